// A capture as a pull-based stream of records. readCapture pushes frames through a synchronous
// callback; the comparison needs to take records from two captures in time order. The bridge is
// a hand-off of one batch at a time: the reader fills a batch (one read chunk's worth of frames,
// about 4 MiB of capture) and, before it refills its window, hands the batch over and waits until
// the consumer has taken it. So per capture at most two batches exist (the one being consumed and
// the one being filled): memory does not grow with capture length.
import { readCapture } from '../capture/open.js';
import type { Frame, ReadSummary } from '../capture/types.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket, type Packet } from '../wire/packet.js';
import { FlowTable } from './flows.js';
import { extract, type PktRec, type RecordPool, type SkipReason } from './record.js';

class Stopped extends Error {
  constructor() {
    super('reading stopped');
  }
}

export interface SourceCounts {
  frames: number;
  compared: number;
  skipped: Record<SkipReason, number>;
  linkTypes: Set<number>;
}

export class RecordSource {
  private filling: PktRec[] = [];
  private ready: PktRec[] | null = null;
  private current: PktRec[] = [];
  private pos = 0;
  private wakeConsumer: (() => void) | null = null;
  private wakeReader: (() => void) | null = null;
  private stopped = false;
  private finished = false;
  private error: unknown = null;
  private readonly pkt: Packet = newPacket();
  private readonly dirOut = [0];
  private readonly why: { reason: SkipReason | null } = { reason: null };
  summary: ReadSummary | null = null;
  /** the second of the first frame's timestamp: record times are ns relative to it */
  baseSec: number | null = null;
  readonly counts: SourceCounts = {
    frames: 0, compared: 0, skipped: { not_ip: 0, undecodable: 0, fragment: 0, other_protocol: 0 }, linkTypes: new Set(),
  };
  private done: Promise<void> = Promise.resolve();

  constructor(readonly path: string, readonly side: 0 | 1, readonly flows: FlowTable, private readonly pool: RecordPool | null = null) {}

  start(): void {
    this.done = readCapture(this.path, (f) => this.onFrame(f), { beforeRefill: () => this.handOff() })
      .then((s) => {
        this.summary = s;
      }, (e: unknown) => {
        if (!(e instanceof Stopped)) this.error = e;
      })
      .finally(() => {
        this.finished = true;
        this.wake();
      });
  }

  private onFrame(f: Frame): void {
    const c = this.counts;
    c.frames++;
    if (this.baseSec === null) this.baseSec = f.tsSec;
    const t = (f.tsSec - this.baseSec) * 1e9 + f.tsNsec;
    c.linkTypes.add(f.linkType);
    const pkt = this.pkt;
    decodeFrame(f, pkt);
    const r = extract(f, pkt, this.side, t, this.why, this.pool);
    if (r === null) {
      c.skipped[this.why.reason as SkipReason]++;
      return;
    }
    r.flow = this.flows.lookup(pkt, t, this.dirOut);
    r.dir = this.dirOut[0];
    c.compared++;
    this.filling.push(r);
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = null;
    if (w) w();
  }

  /** Called by the reader before each refill: publish the batch and wait until it is taken. */
  private async handOff(): Promise<void> {
    if (this.stopped) throw new Stopped();
    if (this.filling.length === 0) return;
    while (this.ready !== null) {
      await new Promise<void>((res) => (this.wakeReader = res));
      if (this.stopped) throw new Stopped();
    }
    this.ready = this.filling;
    this.filling = [];
    this.wake();
  }

  /** The next record without taking it; null at the end of the capture. */
  async peek(): Promise<PktRec | null> {
    while (this.pos >= this.current.length) {
      if (!(await this.nextBatch())) return null;
    }
    return this.current[this.pos];
  }

  /** Synchronous peek valid after peek() resolved non-null and before take(). */
  head(): PktRec | null {
    return this.pos < this.current.length ? this.current[this.pos] : null;
  }

  take(): void {
    this.pos++;
  }

  private async nextBatch(): Promise<boolean> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.ready !== null) {
        this.current = this.ready;
        this.pos = 0;
        this.ready = null;
        const w = this.wakeReader;
        this.wakeReader = null;
        if (w) w();
        return true;
      }
      if (this.finished) {
        if (this.filling.length) {
          this.current = this.filling;
          this.filling = [];
          this.pos = 0;
          return true;
        }
        return false;
      }
      await new Promise<void>((res) => (this.wakeConsumer = res));
    }
  }

  /** Stops reading (the reader's next refill throws a private error that start() swallows). */
  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.wakeReader;
    this.wakeReader = null;
    if (w) w();
    await this.done;
  }

  async finish(): Promise<void> {
    await this.done;
    if (this.error) throw this.error;
  }
}
