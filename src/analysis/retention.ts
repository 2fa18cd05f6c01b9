// TCP payload retention for the retransmission comparison (tcp/retransmission-differs). Two ways,
// same results: when the capture is a regular, uncompressed file (its frames carry file
// positions, Frame.filePos), per connection direction an index of the recent segments whose
// first transmissions are read back from the file when a retransmission overlaps them
// (segment-index.ts: no payload copied); otherwise (standard input, gzip) a ring of copied
// payload (payload-ring.ts), each from a pool under a global bound. The analysis pass addresses a
// direction by its builder slot (2 * slot + dir, see builders.ts) and releases both directions
// when the connection ends; it names the capture before reading it (startCapture).

import { TCP_SYN, type Packet } from '../wire/packet.js';
import { L_KEEP_ALIVE, L_RETRANSMISSION, L_ZERO_WINDOW_PROBE } from '../tcp/labels.js';
import type { Frame } from '../capture/types.js';
import { RingPool, type PayloadDiff, type PayloadRing, type RetentionStats } from './payload-ring.js';
import { IndexPool, type SegmentIndex } from './segment-index.js';
import { CaptureFile } from './capture-file.js';

/** Ethernet's minimum frame without FCS: a short segment is padded to it, and a device that
 *  counts the padding into the IP length makes a pure ACK look like a few bytes of payload (the
 *  corpus has such frames, zeros or garbage). Payload that fits in the padding of a minimum-size
 *  frame (60 - 14 - 20 - 20 = 6 bytes) is not retained: it would "differ" from the real data
 *  later sent at the same sequence numbers. */
const MIN_ETHERNET_FRAME = 60;
const MAX_PADDING_PAYLOAD = 6;

export class TcpRetention {
  private readonly pool = new RingPool();
  /** ring per direction (null: none yet, or the budget was spent) */
  private rings: (PayloadRing | null)[] = [];
  private readonly indexPool = new IndexPool(this.pool.stats);
  /** index per direction, when the capture's bytes can be read back from its file */
  private indexes: (SegmentIndex | null)[] = [];
  private readonly file = new CaptureFile();
  /** 1 once a ring was asked for: a direction refused by the budget is not asked again */
  private tried = new Uint8Array(64);

  get stats(): RetentionStats {
    return this.pool.stats;
  }

  /** The capture whose frames come next: its file is opened (once, on the first need) to read
   *  first transmissions back when its frames carry file positions. */
  startCapture(path: string): void {
    this.file.use(path);
  }

  /** The capture's frames are done (its directions released): closes the file. */
  endCapture(): void {
    this.file.close();
  }

  /** Keeps the segment's payload for direction `d` and, when the tracker labelled the segment a
   *  retransmission, compares its bytes with what was retained: the difference, or null. */
  take(d: number, f: Frame, p: Packet, labels: number): PayloadDiff | null {
    if ((p.tcpFlags & TCP_SYN) !== 0) return null;
    if (f.caplen <= MIN_ETHERNET_FRAME && p.payloadCaptured <= MAX_PADDING_PAYLOAD) return null;
    // keep-alives and zero-window probes may carry a garbage byte: never compared
    const compare = (labels & L_RETRANSMISSION) !== 0 && (labels & (L_KEEP_ALIVE | L_ZERO_WINDOW_PROBE)) === 0;
    const len = Math.min(p.payloadCaptured, p.payloadLength);
    const pos = f.filePos;
    if (pos >= 0 && this.file.readable()) {
      const ix = (d < this.indexes.length ? this.indexes[d] : null) ?? this.claim(this.indexes, d, this.indexPool);
      if (ix === null) return null;
      return ix.take(p.seq, pos + p.payloadOffset, len, f.number, compare, f.buf, f.start + p.payloadOffset, this.pool.stats, this.indexPool, this.file);
    }
    const ring = (d < this.rings.length ? this.rings[d] : null) ?? this.claim(this.rings, d, this.pool);
    if (ring === null) return null;
    return ring.take(p.seq, f.buf, f.start + p.payloadOffset, len, f.number, compare, this.pool.stats, this.pool);
  }

  /** The connection of directions d and d + 1 ended: their rings and indexes go back to their pools. */
  release(d: number): void {
    for (let i = d; i < d + 2; i++) {
      if (i < this.tried.length) this.tried[i] = 0;
      if (i < this.indexes.length) {
        const x = this.indexes[i];
        if (x !== null) this.indexPool.release(x);
        this.indexes[i] = null;
      }
      if (i >= this.rings.length) continue;
      const r = this.rings[i];
      if (r !== null) this.pool.release(r);
      this.rings[i] = null;
    }
  }

  /** Direction d's first segment with payload: a ring or index from its pool, asked for once (a
   *  direction the pool's bound refused is not asked again until the connection is released). */
  private claim<T>(list: (T | null)[], d: number, pool: { get(): T | null }): T | null {
    if (d >= this.tried.length) this.growTried(d);
    if (this.tried[d]) return null;
    this.tried[d] = 1;
    while (list.length <= d) list.push(null);
    return (list[d] = pool.get());
  }

  private growTried(d: number): void {
    let n = this.tried.length;
    while (n <= d) n *= 2;
    const t = new Uint8Array(n);
    t.set(this.tried);
    this.tried = t;
  }
}
