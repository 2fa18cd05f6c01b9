// ONC RPC record marking over TCP (RFC 5531 section 11): each fragment starts with a 4-byte mark,
// the top bit set on the last fragment of a record, the low 31 bits the fragment length. A record
// (one RPC message) may span several fragments; RecordAssembler joins them.

import { u32be } from '../../bytes/reader.js';
import { KEEP_UNDECIDED, PROBE_MORE, PROBE_NO, type FramingSpec, type PduInfo, type PduSink } from '../framer.js';
import { MIN_CALL_BYTES, MIN_REPLY_BYTES, REPLY, probeCall, probeReplyShape } from './message.js';
import type { Places } from '../places.js';

export const LAST_FRAGMENT = 0x80000000;
/** Largest fragment believed: Linux sends one fragment per message, at most rsize/wsize (1 MiB)
 *  plus headers; 16 MiB leaves room for any server while rejecting garbage marks. */
export const MAX_FRAGMENT_BYTES = 16 << 20;
/** Largest record assembled from fragments (same bound). */
export const MAX_RECORD_BYTES = 16 << 20;
/** smallest fragment that can start a message: a denied reply (xid, mtype, stat, reject_stat) */
const MIN_FIRST_FRAGMENT = 16;

export function fragmentLength(b: Uint8Array, o: number): number {
  const len = u32be(b, o) & 0x7fffffff;
  return len > MAX_FRAGMENT_BYTES ? -1 : 4 + len;
}

/**
 * Record framing. A resync candidate is a mark followed by a plausible call header, or by a reply
 * whose XID the caller recognises as pending (`knownXid`): reply headers alone are too generic.
 */
export function recordFraming(knownXid: (xid: number) => boolean): FramingSpec {
  return {
    headerLen: 4,
    pduLength: fragmentLength,
    probe(b: Uint8Array, o: number, avail: number): number {
      if (avail < 12) return PROBE_MORE;
      const len = u32be(b, o) & 0x7fffffff;
      if (len < MIN_FIRST_FRAGMENT || len > MAX_FRAGMENT_BYTES) return PROBE_NO;
      const mtype = u32be(b, o + 8);
      if (mtype === 0) return len < MIN_CALL_BYTES ? PROBE_NO : probeCall(b, o + 4, avail - 4);
      if (mtype !== 1) return PROBE_NO;
      if (len < MIN_REPLY_BYTES - 8) return PROBE_NO;
      const r = probeReplyShape(b, o + 4, Math.min(avail - 4, len));
      if (r !== 1) return r === PROBE_MORE && avail - 4 < len ? PROBE_MORE : PROBE_NO;
      return knownXid(u32be(b, o + 4)) ? r : PROBE_NO;
    },
  };
}

export interface RecordInfo {
  wireLen: number;
  missing: number;
  firstFrame: number;
  lastFrame: number;
  sec: number;
  nsec: number;
  /** where the record's fragment lies in the capture file (a record of one fragment whose bytes
   *  all came from it, else null): the message's byte i is the fragment's byte
   *  RECORD_MARK_BYTES + i; valid during the call only */
  places: Places | null;
  /** bytes at the end of the message left out at the consumer's request (not in the delivered
   *  bytes, not missing either: `places` covers them) */
  trimmed: number;
}

/** The record mark before each fragment. */
export const RECORD_MARK_BYTES = 4;

export type RecordSink = (b: Uint8Array, off: number, len: number, info: RecordInfo) => void;

/** How many bytes of a reply (or call) message (its first `avail` bytes at b[off], after the
 *  record mark) the consumer reads, or KEEP_UNDECIDED when more are needed to say. */
export type ReplyKeep = (b: Uint8Array, off: number, avail: number) => number;
/** The same for a call, whose whole length is `wireLen`. */
export type CallKeep = (b: Uint8Array, off: number, avail: number, wireLen: number, placed: boolean) => number;

export class RecordAssembler implements PduSink {
  private buf = new Uint8Array(0);
  private stored = 0;
  private active = false;
  private readonly info: RecordInfo = { wireLen: 0, missing: 0, firstFrame: 0, lastFrame: 0, sec: 0, nsec: 0, places: null, trimmed: 0 };
  multiFragment = 0;

  /** `callKeep` null: calls are kept whole (their arguments are retained for retransmission
   *  comparison) */
  constructor(private readonly sink: RecordSink, private readonly replyKeep: ReplyKeep | null = null,
    private readonly callKeep: CallKeep | null = null) {}

  /**
   * PduSink.keep(): a reply in a single fragment (Linux sends every message as one) needs only
   * what `replyKeep` says (a READ reply's data is never read), a call only what `callKeep` says
   * (a WRITE's data, when nothing retains it); records of several fragments are kept whole.
   */
  keep(b: Uint8Array, off: number, avail: number, wireLen: number, placed: boolean): number {
    if (this.active || (u32be(b, off) & LAST_FRAGMENT) === 0) return wireLen;
    if (this.replyKeep === null && this.callKeep === null) return wireLen;
    if (avail < 12) return KEEP_UNDECIDED;
    let k: number;
    if (u32be(b, off + 8) === REPLY) {
      if (this.replyKeep === null) return wireLen;
      k = this.replyKeep(b, off + 4, avail - 4);
    } else {
      if (this.callKeep === null) return wireLen;
      k = this.callKeep(b, off + 4, avail - 4, wireLen - 4, placed);
    }
    return k === KEEP_UNDECIDED ? k : 4 + k;
  }

  onPdu(b: Uint8Array, off: number, len: number, pi: PduInfo): void {
    if (len < 4) return;
    const last = (u32be(b, off) & LAST_FRAGMENT) !== 0;
    const info = this.info;
    if (!this.active && last) {
      info.wireLen = pi.wireLen - 4;
      // bytes past MAX_PDU_BYTES count as missing; bytes trimmed at our request do not
      info.missing = pi.missing + (pi.wireLen - len - pi.trimmed);
      info.firstFrame = pi.firstFrame;
      info.lastFrame = pi.lastFrame;
      info.sec = pi.sec;
      info.nsec = pi.nsec;
      info.places = pi.places;
      info.trimmed = pi.trimmed;
      this.sink(b, off + 4, len - 4, info);
      return;
    }
    if (!this.active) {
      this.active = true;
      this.stored = 0;
      info.wireLen = 0;
      info.missing = 0;
      info.firstFrame = pi.firstFrame;
    }
    info.wireLen += pi.wireLen - 4;
    info.missing += pi.missing + (pi.wireLen - len - pi.trimmed); // bytes not delivered count as missing
    const n = Math.min(len - 4, MAX_RECORD_BYTES - this.stored);
    if (n > 0) {
      if (this.buf.length < this.stored + n) {
        const nb = new Uint8Array(Math.max(this.stored + n, this.buf.length * 2, 1024));
        nb.set(this.buf.subarray(0, this.stored));
        this.buf = nb;
      }
      this.buf.set(b.subarray(off + 4, off + 4 + n), this.stored);
      this.stored += n;
    }
    if (last) {
      this.multiFragment++;
      info.lastFrame = pi.lastFrame;
      info.sec = pi.sec;
      info.nsec = pi.nsec;
      info.places = null; // joined from several fragments: a copy
      info.trimmed = 0; // (fragments of a record are kept whole)
      this.active = false;
      this.sink(this.buf, 0, this.stored, info);
      if (this.buf.length > (1 << 20)) this.buf = new Uint8Array(0);
    }
  }

  onSyncLost(): void {
    this.active = false;
    this.stored = 0;
  }
}
