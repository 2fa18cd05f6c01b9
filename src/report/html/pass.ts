// The second pass for the time-sequence (Stevens) graphs: the analysed trace keeps only a
// connection's key segments, so the graph of a chosen connection reads the capture again with
// the same reader, decoder and TCP tracker (stream numbers are assigned the same way, so they
// match the first pass) and keeps a decimated series of that connection's segments, ACKs,
// window edges, SACK blocks, zero windows and RTT samples. Model building, not rendering.
// Standard input cannot be read twice: no graph for '-'.

import { readCapture } from '../../capture/open.js';
import { toNs } from '../../bytes/time.js';
import { seqDiff } from '../../bytes/seq.js';
import { decodeFrame } from '../../wire/decode.js';
import { newPacket, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_SYN } from '../../wire/packet.js';
import { TcpTracker } from '../../tcp/tracker.js';
import {
  L_FAST_RETRANSMISSION, L_KEEP_ALIVE, L_OUT_OF_ORDER, L_RETRANSMISSION, L_SPURIOUS_RETRANSMISSION, L_ZERO_WINDOW, L_ZERO_WINDOW_PROBE,
} from '../../tcp/labels.js';
import type { AnalysedTrace, ConnectionFacts } from '../../analysis/trace.js';
import type { PlotData, SegmentKind, TimeSequence } from '../plotdata.js';
import { formatEndpoint } from '../../wire/addr.js';

/** Ordinary points per series (segments, ACKs, RTT): a 1,000-pixel-wide plot cannot show more
 *  than a few points per pixel column, and 20,000 keeps the report small. */
export const MAX_SERIES_POINTS = 20_000;
/** Labelled segments (retransmissions, out of order, probes), SACK blocks and zero windows are
 *  evidence and kept beyond the decimation, up to this many each. */
export const MAX_MARKED_POINTS = 20_000;

/** A series that keeps every `stride`-th point and doubles the stride (dropping every other
 *  kept point) when it reaches its cap, so it stays evenly thinned without knowing its length. */
class Thinned<T> {
  items: T[] = [];
  stride = 1;
  seen = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(make: () => T): void {
    if (this.seen++ % this.stride !== 0) {
      this.dropped++;
      return;
    }
    this.items.push(make());
    if (this.items.length >= this.cap) {
      const before = this.items.length;
      this.items = this.items.filter((_, i) => i % 2 === 0);
      this.dropped += before - this.items.length;
      this.stride *= 2;
    }
  }
}

class Capped<T> {
  items: T[] = [];
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(v: T): void {
    if (this.items.length < this.cap) this.items.push(v);
    else this.dropped++;
  }
}

/** Sequence numbers made relative and unwrapped: each value is the previous one plus the signed
 *  32-bit step (seq.ts), so a transfer beyond 4 GiB keeps climbing. */
class Unwrap {
  private last = 0;
  private rel = 0;
  private started = false;
  at(v: number): number {
    if (!this.started) {
      this.started = true;
      this.last = v;
      return (this.rel = 0);
    }
    this.rel += seqDiff(v, this.last);
    this.last = v;
    return this.rel;
  }
  /** The relative value of `v` without moving the reference (for SACK edges). */
  peek(v: number): number {
    return this.rel + seqDiff(v, this.last);
  }
  get ready(): boolean {
    return this.started;
  }
}

class SeriesBuilder {
  readonly sender: 0 | 1;
  readonly seq = new Unwrap();
  segs = new Thinned<TimeSequence['segments'][number]>(MAX_SERIES_POINTS);
  marked = new Capped<TimeSequence['segments'][number]>(MAX_MARKED_POINTS);
  acks = new Thinned<TimeSequence['acks'][number]>(MAX_SERIES_POINTS);
  sacks = new Capped<TimeSequence['sacks'][number]>(MAX_MARKED_POINTS);
  zero = new Capped<TimeSequence['zeroWindows'][number]>(MAX_MARKED_POINTS);
  rtt = new Thinned<TimeSequence['rtt'][number]>(MAX_SERIES_POINTS);
  /** window scale shift announced in each side's SYN; -1 when not seen */
  wscale: [number, number] = [-1, -1];
  constructor(readonly conn: ConnectionFacts) {
    this.sender = conn.orig.payload >= conn.resp.payload ? 0 : 1;
  }
  /** RFC 7323 2.2: the shift applies only when both SYNs carried the option. */
  receiverShift(): number {
    return this.wscale[0] >= 0 && this.wscale[1] >= 0 ? this.wscale[1 - this.sender] : 0;
  }
}

function kindOf(labels: number): SegmentKind {
  if (labels & (L_RETRANSMISSION | L_FAST_RETRANSMISSION | L_SPURIOUS_RETRANSMISSION)) return 1;
  if (labels & L_OUT_OF_ORDER) return 2;
  if (labels & L_ZERO_WINDOW_PROBE) return 3;
  if (labels & L_KEEP_ALIVE) return 4;
  return 0;
}

/** Thrown from the frame sink once past the last frame of every chosen connection, to stop
 *  reading (the reader has no other way to be stopped); caught right below, never escapes. */
class PassDone extends Error {}

/** Reads `path` again and builds the time-sequence series of the given connections. */
export async function timeSequences(path: string, conns: readonly ConnectionFacts[], t0: bigint, beforeRefill?: () => Promise<void>): Promise<TimeSequence[]> {
  if (path === '-' || conns.length === 0) return [];
  const builders = new Map<number, SeriesBuilder>();
  for (const c of conns) builders.set(c.stream, new SeriesBuilder(c));
  const lastFrame = Math.max(...conns.map((c) => c.lastFrame));
  const pkt = newPacket();
  const tracker = new TcpTracker();
  try {
    await readCapture(path, (f) => {
      if (f.number > lastFrame) throw new PassDone();
      decodeFrame(f, pkt);
      if (pkt.proto !== PROTO_TCP) return;
      const r = tracker.track(f, pkt);
      if (r === null) return;
      const b = builders.get(r.stream);
      if (!b) return;
      const t = Number(toNs(f.tsSec, f.tsNsec) - t0) / 1e9;
      const dir = r.dir as 0 | 1;
      const flags = pkt.tcpFlags;
      if (flags & TCP_SYN) b.wscale[dir] = pkt.wscale;
      if (dir === b.sender) {
        const len = pkt.payloadLength;
        if (len > 0 || flags & (TCP_SYN | TCP_FIN)) {
          const s = b.seq.at(pkt.seq);
          const kind = kindOf(r.labels);
          const frame = f.number;
          const shown = len > 0 ? len : 1;
          if (kind !== 0) b.marked.push([t, s, shown, frame, kind]);
          else b.segs.push(() => [t, s, shown, frame, 0]);
        }
        return;
      }
      // the receiver: its ACKs, window edge, SACK blocks, zero windows and RTT samples
      if (!(flags & TCP_ACK) || !b.seq.ready) return;
      const a = b.seq.peek(pkt.ack);
      const edge = a + pkt.window * 2 ** b.receiverShift();
      b.acks.push(() => [t, a, edge]);
      for (let i = 0; i < pkt.sackCount; i++) b.sacks.push([t, b.seq.peek(pkt.sack[2 * i]), b.seq.peek(pkt.sack[2 * i + 1])]);
      if (r.labels & L_ZERO_WINDOW) b.zero.push([t, a, f.number]);
      if (r.ackRttNs >= 0) b.rtt.push(() => [t, r.ackRttNs / 1e6]);
    }, { beforeRefill });
  } catch (e) {
    if (!(e instanceof PassDone)) throw e;
  }
  return conns.map((c) => {
    const b = builders.get(c.stream)!;
    const segments = [...b.segs.items, ...b.marked.items].sort((x, y) => x[0] - y[0]);
    const ep = formatEndpoint;
    return {
      stream: c.stream, client: ep(c.origAddr, c.origPort), server: ep(c.respAddr, c.respPort), sender: b.sender === 0 ? 'client' : 'server',
      segments, acks: b.acks.items, sacks: b.sacks.items, zeroWindows: b.zero.items, rtt: b.rtt.items,
      omitted: b.segs.dropped + b.marked.dropped + b.acks.dropped + b.sacks.dropped + b.zero.dropped + b.rtt.dropped,
    };
  });
}

/** Fills in the time-sequence graphs of each capture's chosen connections (second pass). */
export async function addTimeSequences(
  plots: PlotData, traces: readonly AnalysedTrace[], streams: readonly number[][],
  hook?: (capture: number, path: string) => (() => Promise<void>) | undefined,
): Promise<void> {
  for (let i = 0; i < traces.length; i++) {
    const trace = traces[i];
    const path = trace.captures[0]?.path ?? '-';
    const conns = streams[i].map((s) => trace.connections.find((c) => c.stream === s)).filter((c): c is ConnectionFacts => c !== undefined);
    if (conns.length === 0 || path === '-') continue;
    plots.captures[i].timeSequences = await timeSequences(path, conns, BigInt(plots.captures[i].t0), hook?.(i, path));
  }
}
