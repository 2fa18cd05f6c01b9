// PDU framing over an in-order TCP byte stream (tcp/stream.ts), with resynchronisation.
//
// A FramingSpec says how long the PDU starting at a given byte is (NetBIOS session header, RPC
// record mark) and whether some bytes look like the start of a real message (used to find the
// next message after a mid-stream start or a gap that swallowed a header). While synced the
// framer follows lengths; a gap that falls inside a PDU of known length keeps it synced (the PDU
// is delivered with `missing` > 0, the missing bytes zero-filled); a gap at or across a PDU
// boundary, a mid-stream start or an impossible length loses sync, and the framer scans for the
// next recognisable header instead of giving up on the connection.
//
// PDUs are delivered zero-copy when one chunk holds them whole; otherwise they are collected in a
// buffer. At most MAX_PDU_BYTES of a PDU are kept: past that the body is skipped (counted in
// `wireLen` but not in the delivered length) and the header still reaches the consumer.
//
// A consumer that needs only the start of some PDUs (an SMB2 READ response's header but not its
// data, an RPC reply's results but not the READ data) says so through PduSink.keep(), asked once
// per collected PDU as soon as its first bytes are in: the rest of that PDU is counted but never
// copied (`trimmed` in PduInfo). Collecting bulk data nobody reads was the largest protocol cost
// on file-transfer captures. Once the needed start of such a PDU is stored, the framer says so in
// its stream's SkipHint (tcp/stream.ts): the in-order segments before the PDU's last byte then
// reach it as one count (onSkipped) instead of one call chain each.

import type { SkipHint } from '../tcp/stream.js';
import { Places, type FileWindow } from './places.js';

/** Largest PDU reassembled in full (16 MiB: SMB2 max read/write is 8 MiB, NFS rsize/wsize 1 MiB). */
export const MAX_PDU_BYTES = 16 << 20;
/** Buffer kept between PDUs; larger buffers are dropped after use so idle connections stay small. */
const KEEP_BUFFER_BYTES = 256 << 10;
/** Copies up to this many bytes are done byte by byte: cheaper than creating a subarray view. */
const SMALL_COPY = 64;

export const PROBE_NO = 0;
export const PROBE_YES = 1;
export const PROBE_MORE = -1;

export interface FramingSpec {
  /** bytes needed before pduLength() can answer */
  readonly headerLen: number;
  /** total length of the PDU at b[o] (b holds >= headerLen bytes there), -1 if not a valid header */
  pduLength(b: Uint8Array, o: number): number;
  /** does b[o, o+avail) start a real message? PROBE_MORE when more bytes are needed to say */
  probe(b: Uint8Array, o: number, avail: number): number;
}

export interface PduInfo {
  /** bytes of the PDU on the wire (may exceed the delivered length, see MAX_PDU_BYTES) */
  wireLen: number;
  /** bytes lost to gaps inside the PDU (zero-filled in the delivered bytes) */
  missing: number;
  /** frame that carried the first byte, and the frame where the PDU completed */
  firstFrame: number;
  lastFrame: number;
  /** time of the completing frame */
  sec: number;
  nsec: number;
  /** stream offset of the first byte */
  streamOffset: number;
  /** bytes past the delivered length left out at the consumer's request (PduSink.keep), so
   *  `wireLen - len - trimmed` bytes were left out for MAX_PDU_BYTES */
  trimmed: number;
  /** where the PDU's bytes lie in the capture file (Framer.useFileWindow), null when not all of
   *  them were delivered from it; valid during the call only */
  places: Places | null;
}

export interface PduSink {
  /** the PDU's captured bytes are b[off, off+len); valid during the call only */
  onPdu(b: Uint8Array, off: number, len: number, info: PduInfo): void;
  /** framing lost its place (gap across a boundary, bad header, mid-stream start) */
  onSyncLost?(): void;
  /**
   * A PDU of `wireLen` bytes is being collected across chunks; b[off, off+avail) are its first
   * bytes (avail >= the framing's headerLen). Returns how many bytes from its start the consumer
   * needs (the rest is not stored; the delivered length may still be larger), or KEEP_UNDECIDED
   * to be asked again when more bytes are in. Not asked for PDUs delivered whole from one chunk.
   * `placed`: the framer keeps the PDU's file places (useFileWindow) and has them for every byte
   * so far; then PduInfo.places covers the bytes left out too, unless a gap makes it incomplete.
   */
  keep?(b: Uint8Array, off: number, avail: number, wireLen: number, placed: boolean): number;
}

/** PduSink.keep(): not enough bytes yet to say */
export const KEEP_UNDECIDED = -1;

export interface FramerStats {
  pdus: number;
  resyncs: number;
  skippedBytes: number;
  incompletePdus: number;
  oversizePdus: number;
  badHeaders: number;
  /** bytes not stored because the consumer did not need them */
  trimmedBytes: number;
}

export class Framer {
  private synced: boolean;
  private buf = new Uint8Array(0);
  private stored = 0; // bytes held in buf for the current PDU
  private have = 0; // bytes of the current PDU seen (incl. missing)
  private need = -1; // total PDU length once the header is known
  private missing = 0;
  private keepLimit = MAX_PDU_BYTES; // bytes of the current PDU to store
  private keepAsked = false; // the sink answered keep() for the current PDU (or has no keep())
  private askedAvail = 0; // bytes the sink saw at its last KEEP_UNDECIDED
  private firstFrame = 0;
  private pduOffset = 0;
  private scanBuf = new Uint8Array(0);
  private scanLen = 0;
  private scanOffset = 0; // stream offset of scanBuf[0]
  private lastSec = 0; // frame and time of the last data chunk (a PDU completed by a gap gets them)
  private lastNsec = 0;
  private lastFrame = 0;
  /** the stream's skip hint (null: none) */
  private hint: SkipHint | null = null;
  private readonly info: PduInfo = { wireLen: 0, missing: 0, firstFrame: 0, lastFrame: 0, sec: 0, nsec: 0, streamOffset: 0, trimmed: 0, places: null };
  /** the window of the segment being run (null: places are not kept) */
  private window: FileWindow | null = null;
  /** file places of the current PDU's bytes (when `window` is set) */
  private readonly places = new Places();
  readonly stats: FramerStats = { pdus: 0, resyncs: 0, skippedBytes: 0, incompletePdus: 0, oversizePdus: 0, badHeaders: 0, trimmedBytes: 0 };

  constructor(private readonly spec: FramingSpec, private readonly sink: PduSink, startSynced = true) {
    this.synced = startSynced;
    this.keepAsked = sink.keep === undefined;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** From now on, note where each PDU's bytes lie in the capture file (places.ts): `w` tells it for
   *  the chunks of the segment being run. */
  useFileWindow(w: FileWindow): void {
    this.window = w;
  }

  /** Keeps `h` (the stream's SkipHint) up to date from now on. */
  useSkipHint(h: SkipHint): void {
    this.hint = h;
    // the stream tells the places of the segments it skips (they stay in order with the others)
    if (this.window !== null) h.places = this.places;
    this.updateHint();
  }

  /** The bytes of the current PDU before its last byte are of no use to the sink: nothing more of
   *  it is stored and the sink was asked; the stream may skip them (see tcp/stream.ts). */
  private updateHint(): void {
    const h = this.hint;
    if (h === null) return;
    h.until = this.synced && this.need >= 0 && this.have < this.need && this.keepAsked && this.stored >= this.keepLimit
      ? this.pduOffset + this.need : 0;
  }

  onData(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    this.lastSec = sec;
    this.lastNsec = nsec;
    this.lastFrame = frame;
    if (!this.synced) this.scan(b, off, len, streamOffset, frame, sec, nsec);
    else this.framed(b, off, len, streamOffset, frame, sec, nsec);
    this.updateHint();
  }

  /**
   * In-order bytes skipped under the hint: what onData() would have done with them (they lie
   * inside the current PDU, before its last byte, and none of them is stored).
   */
  onSkipped(bytes: number, frame: number, sec: number, nsec: number): void {
    this.lastSec = sec;
    this.lastNsec = nsec;
    this.lastFrame = frame;
    this.have += bytes;
    // their places went to `places` as the stream skipped them (useSkipHint), if it could tell
    if (this.hint === null || this.hint.places !== this.places) this.places.lose();
  }

  onGap(bytes: number, streamOffset: number, frame: number, reason: string): void {
    this.gapped(bytes, streamOffset, frame, reason);
    this.updateHint();
  }

  private gapped(bytes: number, _streamOffset: number, frame: number, reason: string): void {
    if (reason === 'midstream') {
      this.loseSync();
      return;
    }
    if (!this.synced) {
      this.scanLen = 0; // scanned bytes are no longer contiguous with what follows
      return;
    }
    if (this.need >= 0 && this.have + bytes <= this.need) {
      // the hole lies inside a PDU of known length: keep framing, mark the PDU incomplete
      this.missing += bytes;
      this.places.lose(); // zero-filled, not in the file
      const fillTo = Math.min(this.have + bytes, this.keepLimit);
      if (fillTo > this.stored) {
        this.ensure(fillTo);
        this.buf.fill(0, this.stored, fillTo);
        this.stored = fillTo;
      }
      this.have += bytes;
      if (this.have === this.need) this.emitCollected(this.lastFrame, this.lastSec, this.lastNsec);
      return;
    }
    if (this.need >= 0) {
      // the hole runs past the end of this PDU: deliver what we have, then look for a header
      this.missing += this.need - this.have;
      this.places.lose();
      this.have = this.need;
      this.emitCollected(this.lastFrame, this.lastSec, this.lastNsec);
    }
    this.loseSync();
  }

  /**
   * No more bytes will come: a PDU whose header was read but whose body never arrived (capture
   * ended, connection released) is delivered with the rest counted as missing, so its header is
   * still decoded (tshark shows nothing for it).
   */
  flush(): void {
    if (!this.synced || this.need < 0 || this.have === 0) return;
    this.missing += this.need - this.have;
    this.places.lose();
    this.have = this.need;
    this.emitCollected(this.lastFrame, this.lastSec, this.lastNsec);
    this.updateHint();
  }

  private loseSync(): void {
    this.sink.onSyncLost?.();
    this.synced = false;
    this.resetPdu();
    this.scanLen = 0;
  }

  private resetPdu(): void {
    this.stored = 0;
    this.have = 0;
    this.need = -1;
    this.missing = 0;
    this.keepLimit = MAX_PDU_BYTES;
    this.keepAsked = this.sink.keep === undefined;
    this.askedAvail = 0;
  }

  private framed(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    const spec = this.spec;
    while (len > 0) {
      if (this.have === 0) {
        // at a PDU boundary
        if (len >= spec.headerLen) {
          const L = spec.pduLength(b, off);
          if (L < spec.headerLen) {
            this.stats.badHeaders++;
            this.sink.onSyncLost?.();
            this.synced = false;
            this.scan(b, off, len, streamOffset, frame, sec, nsec);
            return;
          }
          if (L <= len) {
            const info = this.info;
            info.wireLen = L;
            info.missing = 0;
            info.firstFrame = frame;
            info.lastFrame = frame;
            info.sec = sec;
            info.nsec = nsec;
            info.streamOffset = streamOffset;
            info.trimmed = 0;
            if (this.window !== null) {
              const pl = this.places;
              pl.reset();
              pl.add(this.window.posOf(b, off), L);
              info.places = pl.ok ? pl : null;
            } else info.places = null;
            this.stats.pdus++;
            this.sink.onPdu(b, off, L, info);
            off += L;
            len -= L;
            streamOffset += L;
            continue;
          }
          this.need = L;
          this.keepLimit = Math.min(L, MAX_PDU_BYTES);
          // (the chunk's bytes are not in `places` yet: whether they are in the file)
          if (!this.keepAsked) this.askKeep(b, off, len, this.window !== null && this.window.posOf(b, off) >= 0);
        }
        this.firstFrame = frame;
        this.pduOffset = streamOffset;
        this.places.reset();
      }
      if (this.need < 0) {
        // collect the header first
        const take = Math.min(len, this.spec.headerLen - this.have);
        this.append(b, off, take);
        off += take;
        len -= take;
        streamOffset += take;
        if (this.have < this.spec.headerLen) return;
        const L = spec.pduLength(this.buf, 0);
        if (L < spec.headerLen) {
          this.stats.badHeaders++;
          // rescan from the second byte of the bad header, then the rest of this chunk
          const bad = this.buf.slice(1, this.stored);
          const badOffset = this.pduOffset + 1;
          this.loseSync();
          this.scan(bad, 0, bad.length, badOffset, frame, sec, nsec);
          if (this.synced) this.framed(b, off, len, streamOffset, frame, sec, nsec);
          else this.scan(b, off, len, streamOffset, frame, sec, nsec);
          return;
        }
        this.need = L;
        this.keepLimit = Math.min(L, MAX_PDU_BYTES);
        if (!this.keepAsked && this.have < L) this.askKeep(this.buf, 0, this.stored, this.placesOk());
        if (this.have === L) {
          this.emitCollected(frame, sec, nsec);
        }
        continue;
      }
      const take = Math.min(len, this.need - this.have);
      this.append(b, off, take);
      if (!this.keepAsked) this.askKeep(this.buf, 0, this.stored, this.placesOk());
      off += take;
      len -= take;
      streamOffset += take;
      if (this.have === this.need) this.emitCollected(frame, sec, nsec);
    }
  }

  /** Asks the sink how much of the current PDU (need known, first bytes at b[off, off+avail)) to store. */
  /** Every byte of the current PDU so far has its file place. */
  private placesOk(): boolean {
    return this.window !== null && this.places.ok;
  }

  /** `placed`: every byte of the PDU so far (b[off, off+avail)) has its file place. */
  private askKeep(b: Uint8Array, off: number, avail: number, placed: boolean): void {
    if (avail <= this.askedAvail) return; // nothing new since the last question
    const k = this.sink.keep!(b, off, avail, this.need, placed);
    if (k === KEEP_UNDECIDED) {
      this.askedAvail = avail;
      return;
    }
    this.keepAsked = true;
    // never below the framing header (a flush or a gap must still deliver a parsable start) nor
    // below what is already stored (it is delivered anyway)
    this.keepLimit = Math.min(this.keepLimit, Math.max(k, this.spec.headerLen, this.stored));
  }

  private append(b: Uint8Array, off: number, n: number): void {
    if (this.window !== null) this.places.add(this.window.posOf(b, off), n);
    const storeN = Math.min(n, this.keepLimit - this.stored);
    if (storeN > 0) {
      this.ensure(this.stored + storeN);
      const buf = this.buf;
      const at = this.stored;
      if (storeN <= SMALL_COPY) for (let i = 0; i < storeN; i++) buf[at + i] = b[off + i];
      else buf.set(b.subarray(off, off + storeN), at);
      this.stored += storeN;
    }
    this.have += n;
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    let size = Math.max(256, this.buf.length * 2);
    while (size < n) size *= 2;
    if (this.need >= 0) size = Math.min(size, Math.max(n, this.keepLimit));
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.stored));
    this.buf = nb;
  }

  private emitCollected(frame: number, sec: number, nsec: number): void {
    const info = this.info;
    info.wireLen = this.need;
    info.missing = this.missing;
    info.firstFrame = this.firstFrame;
    info.lastFrame = frame;
    info.sec = sec;
    info.nsec = nsec;
    info.streamOffset = this.pduOffset;
    // bytes the consumer declined; past MAX_PDU_BYTES the rest is oversize, not trimmed
    info.trimmed = Math.min(this.need, MAX_PDU_BYTES) - this.keepLimit;
    info.places = this.window !== null && this.places.ok ? this.places : null;
    this.stats.pdus++;
    this.stats.trimmedBytes += info.trimmed;
    if (this.missing > 0) this.stats.incompletePdus++;
    if (this.need > MAX_PDU_BYTES) this.stats.oversizePdus++;
    const n = this.stored;
    this.resetPdu();
    this.sink.onPdu(this.buf, 0, n, info);
    if (this.buf.length > KEEP_BUFFER_BYTES) this.buf = new Uint8Array(0);
  }

  /**
   * Unsynced: look for a message start in (carried bytes + this chunk). Positions whose probe
   * needs more bytes are carried to the next chunk (at most one PDU's worth).
   */
  private scan(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    // work area = carry + chunk
    let w: Uint8Array;
    let wOff: number;
    let wLen: number;
    let wStream: number;
    if (this.scanLen > 0) {
      const total = this.scanLen + len;
      if (this.scanBuf.length < total) {
        const nb = new Uint8Array(Math.max(total, this.scanBuf.length * 2));
        nb.set(this.scanBuf.subarray(0, this.scanLen));
        this.scanBuf = nb;
      }
      this.scanBuf.set(b.subarray(off, off + len), this.scanLen);
      w = this.scanBuf;
      wOff = 0;
      wLen = total;
      wStream = this.scanOffset;
    } else {
      w = b;
      wOff = off;
      wLen = len;
      wStream = streamOffset;
    }
    for (let p = 0; p < wLen; p++) {
      const r = this.spec.probe(w, wOff + p, wLen - p);
      if (r === PROBE_YES) {
        this.stats.resyncs++;
        this.stats.skippedBytes += p;
        this.synced = true;
        this.scanLen = 0;
        this.resetPdu();
        if (w === this.scanBuf) {
          // the work area is our own buffer: copy out before framing reuses state
          const rest = w.slice(wOff + p, wOff + wLen);
          this.framed(rest, 0, rest.length, wStream + p, frame, sec, nsec);
        } else {
          this.framed(w, wOff + p, wLen - p, wStream + p, frame, sec, nsec);
        }
        return;
      }
      if (r === PROBE_MORE) {
        // keep w[p..] for the next chunk; bound the carry so garbage cannot grow it forever
        const keepN = Math.min(wLen - p, 64 << 10);
        const from = wOff + wLen - keepN;
        this.stats.skippedBytes += wLen - keepN;
        if (w === this.scanBuf) {
          this.scanBuf.copyWithin(0, from, from + keepN);
        } else {
          if (this.scanBuf.length < keepN) this.scanBuf = new Uint8Array(Math.max(keepN, 256));
          this.scanBuf.set(w.subarray(from, from + keepN), 0);
        }
        this.scanLen = keepN;
        this.scanOffset = wStream + (from - wOff);
        return;
      }
    }
    this.stats.skippedBytes += wLen;
    this.scanLen = 0;
  }
}
