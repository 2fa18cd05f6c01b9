// State shared by the format readers while one capture is read: the reused Frame, the sink, the
// counters and the (capped) list of container issues.

import type { CaptureInfo, CaptureIssue, CaptureIssueCode, Frame, FrameSink, ReadSummary } from './types.js';
import { toNs } from '../bytes/time.js';

/** Issues kept in full per capture; the rest are only counted (a damaged 20 GB file must not
 *  fill memory with messages). */
export const MAX_ISSUES_KEPT = 100;

/** The largest record or block pcapdx will buffer. Far above any real link type's maximum packet
 *  (libpcap's MAXIMUM_SNAPLEN is 262,144; TSO super-frames are at most 64 KiB + headers), so a
 *  larger length field is a damaged file, not a big packet. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** The reused frame; `data` is made on demand from buf/start/caplen. */
export class ReaderFrame implements Frame {
  number = 0;
  tsSec = 0;
  tsNsec = 0;
  tsDigits = 6;
  caplen = 0;
  origlen = 0;
  linkType = 0;
  iface = 0;
  offset = 0;
  filePos = -1;
  buf: Uint8Array = EMPTY;
  start = 0;
  private view: Uint8Array | null = null;

  get data(): Uint8Array {
    if (this.view === null) this.view = this.buf.subarray(this.start, this.start + this.caplen);
    return this.view;
  }

  /** called for each new record, before it is delivered */
  clearView(): void {
    this.view = null;
  }
}
const EMPTY = new Uint8Array(0);

export class ReadContext {
  readonly frame: ReaderFrame;
  frames = 0;
  truncatedFrames = 0;
  firstSec = -1;
  firstNsec = 0;
  lastSec = -1;
  lastNsec = 0;
  readonly issueCounts: Partial<Record<CaptureIssueCode, number>> = {};
  readonly issues: CaptureIssue[] = [];
  stoppedEarly = false;

  constructor(readonly info: CaptureInfo, private readonly sink: FrameSink) {
    this.frame = new ReaderFrame();
  }

  /** Delivers the frame whose fields the reader has just filled. */
  emit(): void {
    const f = this.frame;
    f.number = ++this.frames;
    f.clearView();
    if (f.caplen < f.origlen) this.truncatedFrames++;
    if (this.firstSec < 0) {
      this.firstSec = f.tsSec;
      this.firstNsec = f.tsNsec;
    }
    this.lastSec = f.tsSec;
    this.lastNsec = f.tsNsec;
    this.sink(f);
  }

  issue(code: CaptureIssueCode, severity: CaptureIssue['severity'], message: string, offset: number): void {
    this.issueCounts[code] = (this.issueCounts[code] ?? 0) + 1;
    if (this.issues.length < MAX_ISSUES_KEPT) {
      this.issues.push({ code, severity, message, offset, frame: this.frames });
    }
  }

  /** Records damage that ends reading: the frames before it were delivered. */
  fatal(code: CaptureIssueCode, message: string, offset: number): void {
    this.issue(code, 'error', message, offset);
    this.stoppedEarly = true;
  }

  summary(bytesRead: number): ReadSummary {
    return {
      info: this.info,
      frames: this.frames,
      truncatedFrames: this.truncatedFrames,
      bytesRead,
      firstNs: this.firstSec < 0 ? null : toNs(this.firstSec, this.firstNsec),
      lastNs: this.lastSec < 0 ? null : toNs(this.lastSec, this.lastNsec),
      issueCounts: this.issueCounts,
      issues: this.issues,
      stoppedEarly: this.stoppedEarly,
    };
  }
}
