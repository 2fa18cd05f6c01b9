// In-order byte stream of one TCP direction, with gaps tolerated.
//
// Input: every TCP segment of the direction, in capture order (seq, flags, the captured payload
// bytes and the payload length on the wire). Output, to a StreamSink: the bytes in sequence order,
// each chunk tagged with the frame that carried it, and an explicit gap event wherever bytes will
// never be seen (mid-stream start, capture loss, payload cut by snaplen, reorder buffer overflow).
//
// Rules (RFC 9293 section 3.4 sequence space):
// - A SYN consumes one sequence number; data starts at ISN+1. A first segment without SYN starts
//   the stream mid-connection: its seq becomes the origin and a 'midstream' gap is reported, so a
//   consumer knows to resynchronise.
// - Bytes before `next` were already delivered (retransmission, keep-alive): delivered once only,
//   overlapping segments are trimmed.
// - Segments beyond `next` are copied into a bounded reorder buffer (MAX_HELD_BYTES / MAX_HELD
//   SEGMENTS) and delivered when the hole fills. The hole is declared lost ('lost' gap) when the
//   peer acknowledges past it (the receiver had the bytes, the capture did not: Wireshark's
//   "ACKed unseen segment"), when the buffer overflows ('overflow'), or at flush().
// - All sequence comparisons go through bytes/seq.ts (wrap-around).
// Views passed to the sink are valid only during the call; the sink copies what it keeps.
//
// Skipping: a sink that needs neither the bytes nor the chunk boundaries of a stretch of the
// stream (the rest of a PDU whose needed start it already has: READ data) says so in its
// SkipHint. In-order segments that end before `until` are then not delivered one by one: their
// count and the last one's frame and time reach the sink in one onSkipped() call, made before
// the sink's next event of any kind. Per segment that saves the delivery calls, which on bulk
// transfers were a large part of the protocol pass.

import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from '../bytes/seq.js';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';

/** Reorder buffer bound per direction: 1 MiB covers a few windows of a LAN flow; beyond it the
 *  hole is declared lost (a capture rarely recovers a hole that large). */
export const MAX_HELD_BYTES = 1 << 20;
/** ... and at most this many held segments (keeps the sorted insert cheap). */
export const MAX_HELD_SEGMENTS = 1024;

export type GapReason = 'midstream' | 'lost' | 'snaplen' | 'overflow';

/**
 * Where the bytes of the segment being run lie in the capture file (the protocol pass's
 * protocols/places.ts FileWindow: b[off] of the segment's buffer `buf` is at file position
 * base + off), set by the caller around segment(). A segment held back out of order is copied;
 * the copy keeps the position of its first byte, and while it is delivered `buf` is the copy, so a
 * sink can still tell where its bytes lie.
 */
export interface ByteOrigin {
  buf: Uint8Array | null;
  base: number;
}

/** Set by a sink: in-order bytes before stream offset `until` may be skipped (0: none). */
export interface SkipHint {
  until: number;
  /** told where each skipped segment's bytes lie in the file (ByteOrigin; -1: not known), in
   *  stream order, when the sink keeps track of that (the protocol pass's framers) */
  places?: { add(pos: number, n: number): void } | null;
}

export interface StreamSink {
  /** in-order bytes b[off, off+len) at stream offset `streamOffset` (0 = first byte after SYN) */
  onData(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void;
  /** `bytes` bytes at `streamOffset` will never be delivered (0 with 'midstream': unknown count) */
  onGap(bytes: number, streamOffset: number, frame: number, reason: GapReason): void;
  /** FIN reached in sequence order, or RST seen */
  onEnd?(how: 'fin' | 'rst', frame: number): void;
  /** no more bytes will come (flush(): connection released or end of capture) */
  onFlush?(): void;
  /** the sink's skip hint (read once, when the direction is made) */
  readonly skip?: SkipHint;
  /** `bytes` in-order bytes were skipped (SkipHint); `frame`, `sec`, `nsec` of the last chunk */
  onSkipped?(bytes: number, frame: number, sec: number, nsec: number): void;
}

export interface StreamStats {
  deliveredBytes: number;
  duplicateBytes: number;
  gaps: number;
  gapBytes: number;
  snaplenGaps: number;
  overflowGaps: number;
  heldSegments: number;
}

interface Held {
  seq: number;
  data: Uint8Array; // copy of the captured bytes
  /** file position of data[0] (ByteOrigin), -1 when not known */
  pos: number;
  wireLen: number;
  fin: boolean;
  frame: number;
  sec: number;
  nsec: number;
}

const NEW = 0;
const RUNNING = 1;

export class StreamDirection {
  private state = NEW;
  private next = 0;
  private offset = 0;
  private held: Held[] = [];
  private heldBytes = 0;
  private finDone = false;
  private hint: SkipHint;
  /** skipped bytes not yet reported, and the last skipped chunk's frame and time */
  private skipped = 0;
  private skFrame = 0;
  private skSec = 0;
  private skNsec = 0;
  readonly stats: StreamStats = {
    deliveredBytes: 0, duplicateBytes: 0, gaps: 0, gapBytes: 0, snaplenGaps: 0, overflowGaps: 0,
    heldSegments: 0,
  };
  /** the caller's ByteOrigin (null: positions are not followed) */
  origin: ByteOrigin | null = null;

  constructor(private sink: StreamSink) {
    this.hint = sink.skip ?? { until: 0 };
  }

  /**
   * Parking: a caller with many idle directions (the protocol pass's connections whose protocol
   * is not known yet) keeps their few numbers in its own arrays and runs one shared direction
   * over them: unpark() loads a direction's numbers, segment() runs as usual, and when
   * canPark is true the numbers are read back (isRunning, nextSeq, position, finSeen) and the
   * direction holds nothing else. `stats` restart at each unpark (they are per direction object).
   */
  get canPark(): boolean {
    return this.held.length === 0 && this.skipped === 0;
  }

  get isRunning(): boolean {
    return this.state === RUNNING;
  }

  get nextSeq(): number {
    return this.next;
  }

  get finSeen(): boolean {
    return this.finDone;
  }

  /** Loads a parked direction's numbers (see canPark); nothing may be held. */
  unpark(running: boolean, next: number, offset: number, finDone: boolean): void {
    this.state = running ? RUNNING : NEW;
    this.next = next;
    this.offset = offset;
    this.finDone = finDone;
    this.heldBytes = 0;
    this.skipped = 0;
    const s = this.stats;
    s.deliveredBytes = 0; s.duplicateBytes = 0; s.gaps = 0; s.gapBytes = 0; s.snaplenGaps = 0; s.overflowGaps = 0;
    s.heldSegments = 0;
  }

  /** From now on events go to `sink` (and its skip hint is followed), even in the middle of a
   *  segment() call: the rest of that call's events reach the new sink. */
  rebind(sink: StreamSink): void {
    this.sink = sink;
    this.hint = sink.skip ?? { until: 0 };
  }

  /** A segment without payload, SYN, FIN or RST changes nothing once the direction has started
   *  (segment() would return at once): the caller may leave out such pure ACKs. */
  get started(): boolean {
    return this.state === RUNNING;
  }

  /** stream offset of the next byte expected */
  get position(): number {
    return this.offset;
  }

  /**
   * One segment of this direction. `b[off, off+captured)` are the payload bytes present in the
   * capture; `wireLen` is the payload length on the wire (>= captured).
   */
  segment(seq: number, flags: number, b: Uint8Array, off: number, captured: number, wireLen: number,
    frame: number, sec: number, nsec: number): void {
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    if (captured > wireLen) captured = wireLen;
    if (captured < 0) captured = 0;
    let start = syn ? seqAdd(seq, 1) : seq;
    if (this.state === NEW) {
      this.state = RUNNING;
      this.next = start;
      if (!syn) this.gap(0, frame, 'midstream');
    } else if (syn && this.offset === 0 && this.held.length === 0 && start !== this.next) {
      // a SYN with a new ISN before any data: the stream restarts there
      this.next = start;
    }
    if ((flags & TCP_RST) !== 0) {
      if (this.skipped > 0) this.reportSkipped();
      this.sink.onEnd?.('rst', frame);
      return;
    }
    if (wireLen === 0 && !fin) return;
    const end = seqAdd(start, wireLen);
    if (seqLt(start, this.next)) {
      if (seqLe(end, this.next)) {
        this.stats.duplicateBytes += wireLen;
        if (fin && end === this.next) this.finAt(frame);
        return;
      }
      const trim = seqDiff(this.next, start);
      this.stats.duplicateBytes += trim;
      off += trim;
      captured = Math.max(0, captured - trim);
      wireLen -= trim;
      start = this.next;
    }
    if (start === this.next) {
      if (!fin && captured === wireLen && this.offset + captured < this.hint.until && this.held.length === 0) {
        // the sink does not need these bytes: count them (see SkipHint)
        const pl = this.hint.places;
        if (pl) {
          const o = this.origin;
          pl.add(o !== null && b === o.buf ? o.base + off : -1, captured);
        }
        this.skipped += captured;
        this.skFrame = frame;
        this.skSec = sec;
        this.skNsec = nsec;
        this.stats.deliveredBytes += captured;
        this.offset += captured;
        this.next = seqAdd(this.next, captured);
        return;
      }
      this.deliver(b, off, captured, wireLen, frame, sec, nsec);
      if (fin) this.finAt(frame);
      this.drain();
      return;
    }
    this.hold(start, b, off, captured, wireLen, fin, frame, sec, nsec);
  }

  /** The peer acknowledged `ack`: bytes before it that we lack were lost by the capture. Only
   *  acted on while segments wait in the reorder buffer (the hole is then certain). */
  peerAck(ack: number, frame: number): void {
    if (this.state !== RUNNING) return;
    while (this.held.length > 0 && seqGt(ack, this.next)) {
      const first = this.held[0].seq;
      this.skipTo(seqLt(ack, first) ? ack : first, frame, 'lost');
      this.drain();
    }
  }

  /** End of capture: deliver what waits in the reorder buffer, declaring the holes. */
  flush(frame: number): void {
    while (this.held.length > 0) {
      this.skipTo(this.held[0].seq, frame, 'lost');
      this.drain();
    }
    if (this.skipped > 0) this.reportSkipped();
    this.sink.onFlush?.();
  }

  /** Tells the sink about the bytes skipped since its last event. */
  private reportSkipped(): void {
    const n = this.skipped;
    this.skipped = 0;
    this.sink.onSkipped?.(n, this.skFrame, this.skSec, this.skNsec);
  }

  private deliver(b: Uint8Array, off: number, captured: number, wireLen: number, frame: number,
    sec: number, nsec: number): void {
    if (this.skipped > 0) this.reportSkipped();
    if (captured > 0) {
      this.sink.onData(b, off, captured, this.offset, frame, sec, nsec);
      this.stats.deliveredBytes += captured;
      this.offset += captured;
    }
    this.next = seqAdd(this.next, captured);
    if (wireLen > captured) {
      this.stats.snaplenGaps++;
      this.gap(wireLen - captured, frame, 'snaplen');
      this.next = seqAdd(this.next, wireLen - captured);
      this.offset += wireLen - captured;
    }
  }

  private finAt(frame: number): void {
    if (this.finDone) return;
    this.finDone = true;
    this.next = seqAdd(this.next, 1);
    if (this.skipped > 0) this.reportSkipped();
    this.sink.onEnd?.('fin', frame);
  }

  private hold(seq: number, b: Uint8Array, off: number, captured: number, wireLen: number, fin: boolean,
    frame: number, sec: number, nsec: number): void {
    const data = b.slice(off, off + captured); // explicit copy: the frame's bytes go away
    const o = this.origin;
    const h: Held = { seq, data, pos: o !== null && b === o.buf ? o.base + off : -1, wireLen, fin, frame, sec, nsec };
    // sorted insert by seq (usually appended at the end)
    let i = this.held.length;
    while (i > 0 && seqGt(this.held[i - 1].seq, seq)) i--;
    this.held.splice(i, 0, h);
    this.heldBytes += captured;
    this.stats.heldSegments++;
    while (this.held.length > 0 && (this.heldBytes > MAX_HELD_BYTES || this.held.length > MAX_HELD_SEGMENTS)) {
      this.stats.overflowGaps++;
      this.skipTo(this.held[0].seq, frame, 'overflow');
      this.drain();
    }
  }

  private skipTo(seq: number, frame: number, reason: GapReason): void {
    const n = seqDiff(seq, this.next);
    if (n <= 0) return;
    this.gap(n, frame, reason);
    this.next = seq;
    this.offset += n;
  }

  private drain(): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      if (seqGt(h.seq, this.next)) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      const end = seqAdd(h.seq, h.wireLen);
      if (seqLe(end, this.next) && h.wireLen > 0) {
        this.stats.duplicateBytes += h.wireLen;
        if (h.fin && end === this.next) this.finAt(h.frame);
        continue;
      }
      const trim = seqDiff(this.next, h.seq);
      this.stats.duplicateBytes += trim;
      const o = this.origin;
      if (o === null) this.deliver(h.data, trim, Math.max(0, h.data.length - trim), h.wireLen - trim, h.frame, h.sec, h.nsec);
      else {
        // the copy is where the sink reads the bytes: point the origin at it for the delivery
        const buf = o.buf;
        const base = o.base;
        o.buf = h.pos >= 0 ? h.data : null;
        o.base = h.pos;
        this.deliver(h.data, trim, Math.max(0, h.data.length - trim), h.wireLen - trim, h.frame, h.sec, h.nsec);
        o.buf = buf;
        o.base = base;
      }
      if (h.fin) this.finAt(h.frame);
    }
  }

  private gap(bytes: number, frame: number, reason: GapReason): void {
    if (this.skipped > 0) this.reportSkipped();
    this.stats.gaps++;
    this.stats.gapBytes += bytes;
    this.sink.onGap(bytes, this.offset, frame, reason);
  }
}
