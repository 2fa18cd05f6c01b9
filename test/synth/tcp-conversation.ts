// A scenario API for realistic TCP conversations between a client and a server, as seen by a
// capture point (the "tap") somewhere on the path between them. Underneath is a small
// discrete-event simulation: two endpoints with enough of TCP to be believable (RFC 9293
// sequence/ack arithmetic modulo 2^32, RFC 7323 window scaling and timestamps, RFC 2018 SACK,
// RFC 5681 delayed ACKs / fast retransmit / slow start, RFC 6298 retransmission timeout, RFC 9293
// 3.8.6.1 zero-window probing), and a path with a delay on each side of the tap. Frames are emitted
// in the order they pass the tap, streaming, so a multi-gigabyte capture needs constant memory.
//
// A script drives it: connect(), send(side, bytes, fates), idle(ns), keepAlive(), close(),
// reset(). Fates pick which segments of a write are lost (before or after the tap), reordered,
// duplicated or missing from the capture only. Every frame can carry a comment saying what it is.
// Deterministic for a given seed.

import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../../src/bytes/seq.js';
import { EventQueue, type TimedEvent } from './event-queue.js';
import {
  ACK, FIN, PSH, RST, SYN, buildPacket, ip, linkTypeOf, mac, type LinkSpec, type PacketSpec, type TcpOptions, type TcpSpec,
} from './packets.js';
import { Rng } from './rng.js';
import { StreamStore } from './stream.js';

export type Side = 'client' | 'server';

export interface SynthFrame {
  tsSec: number;
  tsNsec: number;
  /** the captured bytes (cut to the snaplen); valid during the sink callback only unless collected */
  data: Uint8Array;
  origLen: number;
  linkType: number;
  comment: string;
}
export type SynthSink = (f: SynthFrame) => void;

export interface EndpointConfig {
  ip: string;
  port: number;
  mac?: string;
  /** initial sequence number; random (from the seed) when absent */
  isn?: number;
  /** MSS announced in the SYN; default 1460 (IPv4) or 1440 (IPv6) */
  mss?: number;
  /** window scale shift announced; null = no window-scale option. Default 7 */
  wscale?: number | null;
  sackPermitted?: boolean;
  timestamps?: boolean;
  /** receive buffer in bytes (the advertised window when the application reads at once). Default 256 KiB */
  recvBuffer?: number;
  /** timestamp clock rate (Linux: 1000 Hz) */
  tsHz?: number;
  ttl?: number;
  /** delayed-ACK timeout (Linux minimum 40 ms; Windows 200 ms) */
  delayedAckNs?: number;
  /** initial congestion window in segments (RFC 6928: 10) */
  initialCwnd?: number;
}

export interface ConversationConfig {
  seed?: number;
  client: EndpointConfig;
  server: EndpointConfig;
  /** one-way delay between the client and the tap, and between the tap and the server */
  clientToTapNs?: number;
  tapToServerNs?: number;
  /** random extra delay per packet, uniform in [0, jitterNs); never reorders a direction */
  jitterNs?: number;
  /** link rate for serialization spacing, bits per second (default 1 Gbit/s) */
  bitsPerSecond?: number;
  /** where that link's queue sits: by default before the tap (the tap sees the segments spaced
   *  by the link rate, after any wait in the queue); true puts the tap on the sending host, before
   *  a slower link (a capture on a laptop behind a cable modem): the tap sees each segment when it
   *  is sent and the wait in the queue shows up in the round trips it measures */
  queueAfterTap?: boolean;
  /** capture start time, epoch seconds and nanoseconds */
  startSec?: number;
  startNsec?: number;
  link?: 'ethernet' | 'sll' | 'sll2' | 'raw';
  /** 802.1Q tags (outermost first) on every Ethernet frame */
  vlans?: number[];
  qinq?: boolean;
  /** captured bytes per frame; longer frames are cut (origLen keeps the length on the wire) */
  snaplen?: number;
  /** build comment strings (turn off for bulk generation) */
  comments?: boolean;
  /** where frames go; default: collected (copied) into `frames` */
  sink?: SynthSink;
  /** minimum retransmission timeout (Linux 200 ms; RFC 6298 says 1 s) */
  minRtoNs?: number;
  /** SYN retransmission timeout (RFC 6298 2.1: 1 s) */
  synRtoNs?: number;
}

/** What happens to segments of one write, by index of the segment within the write (0-based,
 *  first transmissions only). Rates apply to every first transmission, using the seed. */
export interface Fates {
  /** lost between the tap and the receiver: the tap sees it, the receiver does not */
  lose?: number[];
  /** lost between the sender and the tap: neither sees it */
  loseBeforeTap?: number[];
  /** missing from the capture only (the receiver gets it and acknowledges it) */
  captureDrop?: number[];
  /** delayed before the tap so it passes after the next segment */
  reorder?: number[];
  /** duplicated before the tap (both copies seen and received) */
  duplicate?: number[];
  lossRate?: number;
  reorderRate?: number;
  captureDropRate?: number;
}

export const MS = 1_000_000;
const SHARED_BUF = new Uint8Array(70_000);
const SHARED_SCRATCH = new Uint8Array(70_000);
const US = 1_000;
const DEFAULT_RECV_BUFFER = 256 * 1024;
/** RFC 5681 3.2: the third duplicate ACK triggers fast retransmit */
const DUPACK_THRESHOLD = 3;
/** RFC 6298 2.5: a maximum RTO of at least 60 s may be placed */
const MAX_RTO_NS = 60_000 * MS;
/** SACK blocks that fit with timestamps (40 option bytes - 12 for TS - 4 = 24 = 3 blocks) */
const MAX_SACK_BLOCKS_TS = 3;
const MAX_SACK_BLOCKS = 4;
/** keeps a broken script from looping forever */
const MAX_EVENTS_PER_STEP = 50_000_000;
/** a step that needs more simulated time than this is stuck (e.g. a window that never opens) */
const MAX_STEP_NS = 3600 * 1000 * MS;

type State = 'closed' | 'listen' | 'syn_sent' | 'syn_received' | 'established' | 'fin_wait' | 'close_wait' | 'closing';

interface Seg {
  seq: number;
  len: number;
  syn: boolean;
  fin: boolean;
  /** stream offset of the first data byte */
  off: number;
  lost: boolean; // needs retransmission
  sacked: boolean;
  sentAt: number;
  retransmitted: boolean;
}

/** A packet on its way: fields fixed when sent. */
interface Pkt {
  from: Side;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  len: number;
  off: number;
  options: TcpOptions | undefined;
  comment: string;
}

class End {
  state: State = 'closed';
  isn: number;
  sndUna: number;
  sndNxt: number;
  rcvNxt = 0;
  irs = 0;
  /** stream offset that maps to sndUna */
  readonly stream = new StreamStore();
  segs: Seg[] = [];
  /** peer's window in bytes (scaled) */
  peerWnd = 65535;
  lastPeerWndRaw = -1;
  wsOk = false;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  peerWscale = 0;
  mss: number;
  peerMss = 536;
  cwnd = 0;
  ssthresh = 1 << 30;
  dupAcks = 0;
  inRecovery = false;
  recoverPoint = 0;
  rto: number;
  rtoTimer: TimedEvent | null = null;
  delAckTimer: TimedEvent | null = null;
  persistTimer: TimedEvent | null = null;
  persistBackoff = 0;
  unackedSegs = 0;
  lastAckSent = -1;
  lastWndSent = -1;
  /** out-of-order ranges received, most recently changed first (absolute seq) */
  ooo: [number, number][] = [];
  /** bytes held by a paused application (shrinks the window) */
  appHeld = 0;
  appPaused = false;
  finSeq = -1;
  /** when the peer's FIN arrives: close too after this delay (-1: stay open; 0: FIN with the ACK) */
  closeOnFin = -1;
  finReceived = false;
  ipId: number;
  flowLabel: number;
  writeStartSeg = 0;
  firstTxCount = 0;
  fates: Fates = {};
  /** segment indices that close the current write (PSH) */
  pushAt = -1;

  constructor(
    readonly side: Side,
    readonly cfg: EndpointConfig,
    rng: Rng,
    v6: boolean,
  ) {
    this.isn = cfg.isn !== undefined ? cfg.isn >>> 0 : rng.u32();
    this.sndUna = this.isn;
    this.sndNxt = this.isn;
    this.mss = cfg.mss ?? (v6 ? 1440 : 1460);
    this.rto = 0;
    this.ipId = rng.int(0, 0xffff);
    this.flowLabel = rng.int(0, 0xfffff);
  }
  get wscale(): number {
    return this.cfg.wscale === undefined ? 7 : (this.cfg.wscale ?? 0);
  }
  get recvBuffer(): number {
    return this.cfg.recvBuffer ?? DEFAULT_RECV_BUFFER;
  }
  /** stream offset of sequence number s (data bytes follow the SYN) */
  offOf(s: number): number {
    return seqDiff(s, this.isn) - 1;
  }
}

export class TcpConversation {
  readonly frames: SynthFrame[] = [];
  readonly client: End;
  readonly server: End;
  /** simulation time, ns since the capture start */
  now = 0;
  private readonly q = new EventQueue();
  private readonly rng: Rng;
  private readonly v6: boolean;
  private readonly comments: boolean;
  private readonly sink: SynthSink;
  // shared by all conversations: emission is synchronous and frames are valid only in the sink
  // call, so one packet buffer serves every conversation (generating a million short
  // connections must not allocate 140 KB each)
  private readonly buf = SHARED_BUF;
  private readonly scratch = SHARED_SCRATCH;
  private readonly specs: Record<Side, PacketSpec>;
  private readonly tcp: Record<Side, TcpSpec>;
  private readonly linkType: number;
  private readonly out: SynthFrame;
  private readonly lastTap: Record<Side, number> = { client: 0, server: 0 };
  private readonly lastArrive: Record<Side, number> = { client: 0, server: 0 };
  private readonly linkFree: Record<Side, number> = { client: 0, server: 0 };
  private inFlight = 0;
  /** right window edge each side last advertised past the tap (-1 before any) */
  private readonly tapEdge: Record<Side, number> = { client: -1, server: -1 };
  private readonly cfg: ConversationConfig;

  constructor(cfg: ConversationConfig) {
    this.cfg = cfg;
    this.rng = new Rng(cfg.seed ?? 1);
    this.v6 = cfg.client.ip.includes(':');
    this.comments = cfg.comments ?? true;
    this.client = new End('client', cfg.client, this.rng, this.v6);
    this.server = new End('server', cfg.server, this.rng, this.v6);
    this.server.state = 'listen';
    this.sink = cfg.sink ?? ((f) => this.frames.push({ ...f, data: f.data.slice() }));
    const cip = ip(cfg.client.ip);
    const sip = ip(cfg.server.ip);
    const cmac = mac(cfg.client.mac ?? '02:00:00:00:00:01');
    const smac = mac(cfg.server.mac ?? '02:00:00:00:00:02');
    const linkFor = (from: Side): LinkSpec => {
      switch (cfg.link ?? 'ethernet') {
        case 'ethernet':
          return { kind: 'ethernet', src: from === 'client' ? cmac : smac, dst: from === 'client' ? smac : cmac, vlans: cfg.vlans, qinq: cfg.qinq };
        case 'sll':
          return { kind: 'sll', packetType: from === 'client' ? 4 : 0, addr: from === 'client' ? cmac : smac };
        case 'sll2':
          return { kind: 'sll2', packetType: from === 'client' ? 4 : 0, addr: from === 'client' ? cmac : smac, ifIndex: 2 };
        case 'raw':
          return { kind: 'raw' };
      }
    };
    const mk = (from: Side): TcpSpec => ({
      kind: 'tcp', srcPort: from === 'client' ? cfg.client.port : cfg.server.port,
      dstPort: from === 'client' ? cfg.server.port : cfg.client.port, seq: 0, ack: 0, flags: 0, window: 0,
    });
    this.tcp = { client: mk('client'), server: mk('server') };
    const ipFor = (from: Side) => {
      const src = from === 'client' ? cip : sip;
      const dst = from === 'client' ? sip : cip;
      const ttl = (from === 'client' ? cfg.client.ttl : cfg.server.ttl) ?? 64;
      return this.v6 ? { v: 6 as const, src, dst, hopLimit: ttl } : { v: 4 as const, src, dst, ttl, df: true, id: 0 };
    };
    this.specs = {
      client: { link: linkFor('client'), ip: ipFor('client'), l4: this.tcp.client },
      server: { link: linkFor('server'), ip: ipFor('server'), l4: this.tcp.server },
    };
    this.linkType = linkTypeOf(this.specs.client.link);
    this.out = { tsSec: 0, tsNsec: 0, data: this.buf, origLen: 0, linkType: this.linkType, comment: '' };
    for (const e of [this.client, this.server]) e.rto = cfg.synRtoNs ?? 1000 * MS;
  }

  // ================================================================ script API

  /** The three-way handshake (SYN, SYN-ACK, ACK); returns when both sides are established. */
  connect(opts: { synLost?: number; synAckLost?: number } = {}): this {
    const c = this.client;
    c.state = 'syn_sent';
    let synLost = opts.synLost ?? 0;
    let synAckLost = opts.synAckLost ?? 0;
    this.synLossHooks = {
      syn: () => synLost-- > 0,
      synAck: () => synAckLost-- > 0,
    };
    this.sendSyn(c, false);
    this.runUntil(() => c.state === 'established' && this.server.state === 'established' && this.inFlight === 0);
    return this;
  }

  /** The application on `from` writes `data` (bytes, or a count of filler bytes) after `afterNs`;
   *  returns once the peer has received all of it in order. */
  send(from: Side, data: Uint8Array | number, fates: Fates = {}, afterNs = 0): this {
    return this.write(from, data, fates, afterNs).waitDelivered(from);
  }

  /** Like send() but returns at once: the data goes out as the windows allow while the script
   *  goes on (idle, resumeReading...). */
  write(from: Side, data: Uint8Array | number, fates: Fates = {}, afterNs = 0): this {
    this.idle(afterNs);
    const e = this.end(from);
    e.stream.append(data);
    e.fates = fates;
    e.writeStartSeg = e.firstTxCount;
    this.trySend(e);
    return this;
  }

  /** Runs until the peer of `from` has received everything `from` has written, in order. */
  waitDelivered(from: Side): this {
    const e = this.end(from);
    const peer = this.peer(e);
    const target = seqAdd(e.isn, 1 + e.stream.length);
    this.runUntil(() => seqGe(peer.rcvNxt, target) && this.inFlightFrom(from) === 0);
    return this;
  }

  /** Lets time pass (timers fire, delayed ACKs go out). */
  idle(ns: number): this {
    if (ns > 0) this.runTo(this.now + ns);
    return this;
  }

  /** A keep-alive probe from `from` and the peer's ACK. Linux: no payload, seq = next - 1.
   *  Windows: the last acknowledged byte re-sent (one byte, seq = next - 1). */
  keepAlive(from: Side, style: 'linux' | 'windows' = 'linux'): this {
    const e = this.end(from);
    const seq = seqAdd(e.sndNxt, -1);
    if (style === 'windows' && e.stream.length > 0) {
      this.transmit(e, seq, ACK, 1, e.stream.length - 1, this.c(() => `${from} keep-alive (Windows style: 1 byte already acknowledged)`));
    } else {
      this.transmit(e, seq, ACK, 0, 0, this.c(() => `${from} keep-alive (Linux style: no payload, seq = next - 1)`));
    }
    this.settle();
    return this;
  }

  /** The application on `side` stops reading: its window shrinks as data arrives, down to zero. */
  pauseReading(side: Side): this {
    this.end(side).appPaused = true;
    return this;
  }

  /** The application reads everything held and keeps reading; a window update goes out. */
  resumeReading(side: Side): this {
    const e = this.end(side);
    e.appPaused = false;
    if (e.appHeld > 0) {
      e.appHeld = 0;
      this.sendAck(e, this.c(() => `${side} window update (application read the buffer)`));
    }
    this.settle();
    return this;
  }

  /** Orderly close started by `from` (FIN). The peer acknowledges and closes after `peerDelayNs`
   *  (0: its FIN rides on the ACK of ours); each FIN is acknowledged. */
  close(from: Side, peerDelayNs = 0): this {
    const e = this.end(from);
    const peer = this.peer(e);
    peer.closeOnFin = peerDelayNs;
    this.sendFin(e);
    this.runUntil(() => e.finReceived && peer.finReceived && this.inFlight === 0 && seqGe(peer.sndUna, peer.sndNxt) && seqGe(e.sndUna, e.sndNxt));
    this.cancelTimers(e);
    this.cancelTimers(peer);
    return this;
  }

  /** `from` aborts the connection with a RST (with ACK when `withAck`). */
  reset(from: Side, withAck = true): this {
    const e = this.end(from);
    this.transmit(e, e.sndNxt, RST | (withAck ? ACK : 0), 0, 0, this.c(() => `${from} RST${withAck ? ', ACK' : ''} (abort)`));
    e.state = 'closed';
    this.cancelTimers(e);
    this.settle();
    return this;
  }

  /** Emits an arbitrary segment from `from` through the tap, not processed by the peer (for
   *  anomalies the model does not produce by itself). Sequence fields default to the sender's. */
  raw(from: Side, f: { seq?: number; ack?: number; flags: number; window?: number; payload?: Uint8Array; options?: TcpOptions }, comment: string): this {
    const e = this.end(from);
    const spec = this.tcp[from];
    spec.seq = f.seq ?? e.sndNxt;
    spec.ack = f.ack ?? e.rcvNxt;
    spec.flags = f.flags;
    spec.window = f.window ?? this.advertised(e);
    spec.options = f.options;
    const t = Math.max(this.now, this.linkFree[from]);
    this.emitAt(t + this.toTap(from), from, f.payload ?? null, f.payload?.length ?? 0, comment);
    return this;
  }

  /** Runs until no packet is in flight and drains pending timers (delayed ACKs). */
  finish(): SynthFrame[] {
    this.settle();
    this.runUntil(() => this.q.size === 0);
    return this.frames;
  }

  /** Current sequence state, for tests and incident scripts. */
  seqState(side: Side): { isn: number; sndNxt: number; sndUna: number; rcvNxt: number } {
    const e = this.end(side);
    return { isn: e.isn, sndNxt: e.sndNxt, sndUna: e.sndUna, rcvNxt: e.rcvNxt };
  }

  // ================================================================ engine

  private synLossHooks = { syn: () => false, synAck: () => false };

  private end(s: Side): End {
    return s === 'client' ? this.client : this.server;
  }
  private peer(e: End): End {
    return e === this.client ? this.server : this.client;
  }
  private c(f: () => string): string {
    return this.comments ? f() : '';
  }
  private toTap(from: Side): number {
    return from === 'client' ? (this.cfg.clientToTapNs ?? 100 * US) : (this.cfg.tapToServerNs ?? 10 * MS);
  }
  private fromTap(from: Side): number {
    return from === 'client' ? (this.cfg.tapToServerNs ?? 10 * MS) : (this.cfg.clientToTapNs ?? 100 * US);
  }
  private inFlightFromCount: Record<Side, number> = { client: 0, server: 0 };
  private inFlightFrom(s: Side): number {
    return this.inFlightFromCount[s];
  }

  private runTo(t: number): void {
    let n = 0;
    for (;;) {
      const e = this.q.peek();
      if (!e || e.t > t) break;
      this.q.pop();
      if (e.cancelled) continue;
      this.now = Math.max(this.now, e.t);
      e.fn();
      if (++n > MAX_EVENTS_PER_STEP) throw new Error('simulation does not settle');
    }
    this.now = Math.max(this.now, t);
  }

  private runUntil(done: () => boolean): void {
    let n = 0;
    const deadline = this.now + MAX_STEP_NS;
    while (!done()) {
      if (this.now > deadline) throw new Error('conversation step did not complete within an hour of simulated time');
      const e = this.q.pop();
      if (!e) throw new Error('conversation stalled: nothing left to happen but the step is not complete');
      if (e.cancelled) continue;
      this.now = Math.max(this.now, e.t);
      e.fn();
      if (++n > MAX_EVENTS_PER_STEP) throw new Error('simulation does not settle');
    }
  }

  /** until nothing is on the wire */
  private settle(): void {
    this.runUntil(() => this.inFlight === 0);
  }

  private cancelTimers(e: End): void {
    for (const t of [e.rtoTimer, e.delAckTimer, e.persistTimer]) if (t) t.cancelled = true;
    e.rtoTimer = e.delAckTimer = e.persistTimer = null;
  }

  private advertised(e: End): number {
    const free = Math.max(0, e.recvBuffer - e.appHeld);
    return Math.min(0xffff, e.wsOk ? free >> e.wscale : free);
  }

  private tsVal(e: End): number {
    const hz = e.cfg.tsHz ?? 1000;
    return (e.isn ^ 0x5bd1e995) + Math.floor((this.now * hz) / 1e9) >>> 0;
  }

  private sackBlocks(e: End, dsack: [number, number] | null): number[] | undefined {
    if (!e.sackOk || (e.ooo.length === 0 && !dsack)) return undefined;
    const max = e.tsOk ? MAX_SACK_BLOCKS_TS : MAX_SACK_BLOCKS;
    const out: number[] = [];
    if (dsack) out.push(dsack[0], dsack[1]);
    for (const [l, r] of e.ooo) {
      if (out.length / 2 >= max) break;
      out.push(l, r);
    }
    return out;
  }

  private options(e: End, flags: number, sack?: number[]): TcpOptions | undefined {
    if (flags & SYN) {
      const isSynAck = (flags & ACK) !== 0;
      const o: TcpOptions = { mss: e.mss };
      if (e.cfg.sackPermitted !== false && (!isSynAck || e.sackOk)) o.sackPermitted = true;
      if (e.cfg.timestamps !== false && (!isSynAck || e.tsOk)) o.ts = [this.tsVal(e), isSynAck ? e.tsRecent : 0];
      if (e.cfg.wscale !== null && (!isSynAck || e.wsOk)) o.wscale = e.wscale;
      return o;
    }
    if (!e.tsOk && !sack) return undefined;
    const o: TcpOptions = {};
    if (e.tsOk) o.ts = [this.tsVal(e), e.tsRecent];
    if (sack) o.sack = sack;
    return o;
  }

  /** Puts a segment on the path from `e`: serialization, fates, tap and arrival events. */
  private transmit(e: End, seq: number, flags: number, len: number, off: number, comment: string, fate: FateOf = NO_FATE, sack?: number[]): void {
    const from = e.side;
    const p: Pkt = {
      from, seq, ack: flags & ACK ? e.rcvNxt : 0, flags, len, off, comment,
      window: flags & SYN ? Math.min(0xffff, e.recvBuffer) : this.advertised(e), options: this.options(e, flags, sack),
    };
    if (this.comments && p.window === 0 && !(flags & RST)) p.comment += ' [window 0]';
    if (flags & ACK && e.delAckTimer) {
      e.delAckTimer.cancelled = true;
      e.delAckTimer = null;
    }
    if (flags & ACK) {
      e.unackedSegs = 0;
      e.lastAckSent = p.ack;
      e.lastWndSent = p.window;
    }
    const wireBytes = 54 + len;
    const start = Math.max(this.now, this.linkFree[from]);
    this.linkFree[from] = start + Math.ceil((wireBytes * 8 * 1e9) / (this.cfg.bitsPerSecond ?? 1e9));
    if (fate.loseBeforeTap) return;
    const jitter = this.cfg.jitterNs ? this.rng.int(0, this.cfg.jitterNs - 1) : 0;
    // the tap on the sending host: it sees the segment when sent, before the wait in the queue
    let tTap = (this.cfg.queueAfterTap ? this.now : start) + this.toTap(from) + jitter;
    // reordered: passes the tap half a serialization time after the next segment would
    if (fate.reorder) tTap = this.linkFree[from] + this.toTap(from) + Math.ceil((this.linkFree[from] - start) / 2);
    else tTap = Math.max(tTap, this.lastTap[from]);
    if (!fate.reorder) this.lastTap[from] = tTap;
    const copies = fate.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const t = tTap + i * US;
      this.inFlight++;
      this.inFlightFromCount[from]++;
      this.q.push(t, () => {
        this.inFlight--;
        this.inFlightFromCount[from]--;
        if (!fate.captureDrop) this.emitPkt(t, p, i === 1);
        if (fate.loseAfterTap) return;
        const j2 = this.cfg.jitterNs ? this.rng.int(0, this.cfg.jitterNs - 1) : 0;
        // with the queue after the tap, the segment leaves it when its serialization started
        let tArr = (this.cfg.queueAfterTap ? Math.max(t, start + this.toTap(from)) : t) + this.fromTap(from) + j2;
        if (!fate.reorder) tArr = Math.max(tArr, this.lastArrive[from]);
        this.lastArrive[from] = Math.max(this.lastArrive[from], tArr);
        this.inFlight++;
        this.inFlightFromCount[from]++;
        this.q.push(tArr, () => {
          this.inFlight--;
          this.inFlightFromCount[from]--;
          this.receive(this.peer(e), p);
        });
      });
    }
  }

  private emitPkt(t: number, p: Pkt, dupCopy: boolean): void {
    const spec = this.tcp[p.from];
    spec.seq = p.seq;
    spec.ack = p.ack;
    spec.flags = p.flags;
    spec.window = p.window;
    spec.options = p.options;
    const e = this.end(p.from);
    const payload = p.len > 0 ? e.stream.view(p.off, p.len, this.scratch) : null;
    let comment = dupCopy && this.comments ? `${p.comment} (second copy)` : p.comment;
    if (this.comments) {
      // what the tap knows of the windows: the last ACK and window each side sent past it
      const other: Side = p.from === 'client' ? 'server' : 'client';
      if (p.len > 0 && !(p.flags & SYN) && this.tapEdge[other] >= 0 && seqAdd(p.seq, p.len) === this.tapEdge[other]) comment += ' [fills the window advertised at the tap]';
      if (p.flags & ACK && !(p.flags & RST)) this.tapEdge[p.from] = seqAdd(p.ack, p.flags & SYN ? p.window : this.peer(e).wsOk ? p.window << e.wscale : p.window);
    }
    this.emitAt(t, p.from, payload, p.len, comment);
  }

  private emitAt(t: number, from: Side, payload: Uint8Array | null, len: number, comment: string): void {
    const spec = this.specs[from];
    const e = this.end(from);
    if (spec.ip.v === 4) {
      spec.ip.id = e.ipId;
      e.ipId = (e.ipId + 1) & 0xffff;
    } else spec.ip.flowLabel = e.flowLabel;
    const n = buildPacket(this.buf, 0, spec, payload, len);
    const snap = this.cfg.snaplen ?? n;
    const ns = (this.cfg.startNsec ?? 0) + t;
    const out = this.out;
    out.tsSec = (this.cfg.startSec ?? 1_700_000_000) + Math.floor(ns / 1e9);
    out.tsNsec = ns % 1e9;
    out.data = n > snap ? this.buf.subarray(0, snap) : this.buf.subarray(0, n);
    out.origLen = n;
    out.comment = comment;
    this.sink(out);
  }

  // ---------------------------------------------------------------- sending

  private sendSyn(e: End, retransmission: boolean): void {
    const isSynAck = e.side === 'server';
    e.sndNxt = seqAdd(e.isn, 1);
    const lost = isSynAck ? this.synLossHooks.synAck() : this.synLossHooks.syn();
    this.transmit(e, e.isn, isSynAck ? SYN | ACK : SYN, 0, 0,
      this.c(() => `${e.side} ${isSynAck ? 'SYN-ACK' : 'SYN'}${retransmission ? ' retransmission' : ''} (ISN ${e.isn})${lost ? ' [lost after the tap]' : ''}`),
      lost ? { loseAfterTap: true } : NO_FATE);
    this.armRto(e);
  }

  private sendFin(e: End): void {
    e.finSeq = seqAdd(e.isn, 1 + e.stream.length);
    this.trySend(e);
  }

  private sendAck(e: End, comment: string, dsack: [number, number] | null = null): void {
    this.transmit(e, e.sndNxt, ACK, 0, 0, comment, NO_FATE, this.sackBlocks(e, dsack));
  }

  /** An immediate ACK that repeats the previous one when nothing new arrived in order: named a
   *  duplicate ACK (Wireshark's definition: no data, same ACK number and window as the previous
   *  segment in this direction) only when it really is one. */
  private sendMaybeDupAck(e: End, why: string, dsack: [number, number] | null = null): void {
    const dup = e.lastAckSent === e.rcvNxt && e.lastWndSent === this.advertised(e);
    this.sendAck(e, this.c(() => `${e.side} ${dup ? 'duplicate ACK' : 'ACK'} (${why})`), dsack);
  }

  private pipe(e: End): number {
    let n = 0;
    for (const s of e.segs) if (!s.sacked && !s.lost) n += s.len + (s.fin ? 1 : 0);
    return n;
  }

  /** Sends retransmissions first, then new data, as the windows allow; then a FIN if due. */
  private trySend(e: End): void {
    if (e.state !== 'established' && e.state !== 'close_wait' && e.state !== 'fin_wait' && e.state !== 'closing') return;
    const smss = Math.min(e.peerMss, e.mss) - (e.tsOk ? 12 : 0);
    if (e.cwnd === 0) e.cwnd = (e.cfg.initialCwnd ?? 10) * smss;
    // retransmissions of segments marked lost
    for (const s of e.segs) {
      if (!s.lost) continue;
      if (this.pipe(e) + s.len > e.cwnd && this.pipe(e) > 0) return;
      s.lost = false;
      s.retransmitted = true;
      s.sentAt = this.now;
      const kind = e.inRecovery ? 'fast retransmission' : 'retransmission after RTO';
      this.transmit(e, s.seq, ACK | (s.fin ? FIN : 0) | (s.len ? PSH : 0), s.len, s.off,
        this.c(() => `${e.side} ${kind} seq=${s.seq}${s.len ? ` len=${s.len}` : ''}${s.fin ? ' FIN' : ''}`));
    }
    const written = seqAdd(e.isn, 1 + e.stream.length);
    for (;;) {
      const avail = seqDiff(written, e.sndNxt);
      const wndEdge = seqAdd(e.sndUna, e.peerWnd);
      const wndRoom = seqDiff(wndEdge, e.sndNxt);
      if (avail > 0) {
        if (wndRoom <= 0) {
          if (e.segs.length === 0) this.armPersist(e);
          break;
        }
        const len = Math.min(avail, smss, wndRoom);
        if (this.pipe(e) + len > e.cwnd) break;
        this.sendData(e, len, avail === len);
        continue;
      }
      if (e.finSeq >= 0 && e.sndNxt === e.finSeq) {
        // FIN (with ACK) after all data
        const finNow = e.finSeq;
        e.segs.push({ seq: finNow, len: 0, syn: false, fin: true, off: 0, lost: false, sacked: false, sentAt: this.now, retransmitted: false });
        e.sndNxt = seqAdd(finNow, 1);
        e.state = e.state === 'close_wait' ? 'closing' : 'fin_wait';
        this.transmit(e, finNow, FIN | ACK, 0, 0, this.c(() => `${e.side} FIN, ACK`));
        this.armRto(e);
      }
      break;
    }
  }

  private sendData(e: End, len: number, last: boolean): void {
    const seq = e.sndNxt;
    const off = e.offOf(seq);
    const idx = e.firstTxCount++ - e.writeStartSeg;
    const fate = this.fateFor(e.fates, idx);
    e.segs.push({ seq, len, syn: false, fin: false, off, lost: false, sacked: false, sentAt: this.now, retransmitted: false });
    e.sndNxt = seqAdd(seq, len);
    this.transmit(e, seq, ACK | (last ? PSH : 0), len, off,
      this.c(() => `${e.side} data seq=${seq} len=${len} (segment ${idx} of the write)${describeFate(fate)}`), fate);
    this.armRto(e, false);
  }

  private fateFor(f: Fates, idx: number): FateOf {
    const has = (l: number[] | undefined) => !!l && l.includes(idx);
    const fate: FateOf = {
      loseAfterTap: has(f.lose) || this.rng.chance(f.lossRate ?? 0),
      loseBeforeTap: has(f.loseBeforeTap),
      captureDrop: has(f.captureDrop) || this.rng.chance(f.captureDropRate ?? 0),
      reorder: has(f.reorder) || this.rng.chance(f.reorderRate ?? 0),
      duplicate: has(f.duplicate),
    };
    return fate.loseAfterTap || fate.loseBeforeTap || fate.captureDrop || fate.reorder || fate.duplicate ? fate : NO_FATE;
  }

  // ---------------------------------------------------------------- timers

  private armRto(e: End, restart = true): void {
    if (e.rtoTimer && !restart) return;
    if (e.rtoTimer) e.rtoTimer.cancelled = true;
    e.rtoTimer = this.q.push(this.now + e.rto, () => this.onRto(e));
  }

  private onRto(e: End): void {
    e.rtoTimer = null;
    if (e.state === 'syn_sent' || e.state === 'syn_received') {
      e.rto = Math.min(e.rto * 2, MAX_RTO_NS);
      this.sendSyn(e, true);
      return;
    }
    if (e.segs.length === 0) return;
    // RFC 5681 3.1 / RFC 6298 5.5-5.6: collapse the window, back off, resend the oldest first
    e.ssthresh = Math.max(this.pipe(e) >> 1, 2 * e.mss);
    e.cwnd = Math.min(e.peerMss, e.mss);
    e.inRecovery = false;
    e.dupAcks = 0;
    for (const s of e.segs) if (!s.sacked) s.lost = true;
    e.rto = Math.min(e.rto * 2, MAX_RTO_NS);
    this.trySend(e);
    this.armRto(e);
  }

  private armPersist(e: End): void {
    if (e.persistTimer) return;
    const wait = Math.min(Math.max(e.rto, 200 * MS) << e.persistBackoff, MAX_RTO_NS);
    e.persistTimer = this.q.push(this.now + wait, () => {
      e.persistTimer = null;
      const written = seqAdd(e.isn, 1 + e.stream.length);
      if (e.peerWnd > 0 || seqGe(e.sndNxt, written)) return;
      // RFC 9293 3.8.6.1: probe a zero window with one byte of new data
      e.persistBackoff = Math.min(e.persistBackoff + 1, 6);
      this.transmit(e, e.sndNxt, ACK, 1, e.offOf(e.sndNxt), this.c(() => `${e.side} zero-window probe (1 byte)`));
      this.armPersist(e);
    });
  }

  private delayedAck(e: End): void {
    if (e.delAckTimer) return;
    e.delAckTimer = this.q.push(this.now + (e.cfg.delayedAckNs ?? 40 * MS), () => {
      e.delAckTimer = null;
      this.sendAck(e, this.c(() => `${e.side} delayed ACK`));
    });
  }

  // ---------------------------------------------------------------- receiving

  private receive(e: End, p: Pkt): void {
    if (e.state === 'closed') return;
    if (p.flags & RST) {
      e.state = 'closed';
      this.cancelTimers(e);
      return;
    }
    if (p.options?.ts) e.tsRecent = p.options.ts[0];
    if (p.flags & SYN) return this.receiveSyn(e, p);
    if (e.state === 'listen' || e.state === 'syn_sent') return;
    if (e.state === 'syn_received' && p.flags & ACK && p.ack === e.sndNxt) {
      e.state = 'established';
      e.sndUna = e.sndNxt;
      e.segs = [];
      if (e.rtoTimer) e.rtoTimer.cancelled = true;
      e.rtoTimer = null;
      e.rto = this.cfg.minRtoNs ?? 200 * MS;
    }
    if (p.flags & ACK) this.receiveAck(e, p);
    // data, FIN, or a probe below rcvNxt (keep-alive) all need the receive path
    if (p.len > 0 || p.flags & FIN || seqLt(p.seq, e.rcvNxt)) this.receiveData(e, p);
  }

  private receiveSyn(e: End, p: Pkt): void {
    const o = p.options ?? {};
    if (!(p.flags & ACK)) {
      // server: SYN in LISTEN (or a retransmitted SYN while in SYN-RECEIVED)
      if (e.state !== 'listen' && e.state !== 'syn_received') return;
      e.irs = p.seq;
      e.rcvNxt = seqAdd(p.seq, 1);
      this.negotiate(e, o, p.window);
      e.state = 'syn_received';
      this.sendSyn(e, e.sndNxt !== e.isn);
      return;
    }
    // client: SYN-ACK
    if (e.state !== 'syn_sent' || p.ack !== seqAdd(e.isn, 1)) {
      if (e.state === 'established') this.sendAck(e, this.c(() => `${e.side} ACK (SYN-ACK retransmission seen)`));
      return;
    }
    e.irs = p.seq;
    e.rcvNxt = seqAdd(p.seq, 1);
    this.negotiate(e, o, p.window);
    e.sndUna = e.sndNxt;
    e.segs = [];
    if (e.rtoTimer) e.rtoTimer.cancelled = true;
    e.rtoTimer = null;
    e.rto = this.cfg.minRtoNs ?? 200 * MS;
    e.state = 'established';
    this.sendAck(e, this.c(() => `${e.side} ACK (handshake complete)`));
  }

  private negotiate(e: End, o: TcpOptions, synWindow: number): void {
    e.peerWnd = synWindow; // RFC 7323 2.2: the window in a SYN is never scaled
    if (o.mss !== undefined) e.peerMss = o.mss;
    e.sackOk = !!o.sackPermitted && e.cfg.sackPermitted !== false;
    e.tsOk = !!o.ts && e.cfg.timestamps !== false;
    e.wsOk = o.wscale !== undefined && e.cfg.wscale !== null;
    e.peerWscale = e.wsOk ? (o.wscale as number) : 0;
    if (o.ts) e.tsRecent = o.ts[0];
  }

  private receiveAck(e: End, p: Pkt): void {
    const wnd = e.wsOk ? p.window << e.peerWscale : p.window;
    const wndChanged = p.window !== e.lastPeerWndRaw;
    e.lastPeerWndRaw = p.window;
    const oldWnd = e.peerWnd;
    e.peerWnd = wnd;
    if (p.options?.sack) this.markSacked(e, p.options.sack);
    if (seqGt(p.ack, e.sndUna) && seqLe(p.ack, e.sndNxt)) {
      const acked = seqDiff(p.ack, e.sndUna);
      e.sndUna = p.ack;
      e.segs = e.segs.filter((s) => seqGt(seqAdd(s.seq, s.len + (s.fin ? 1 : 0)), p.ack));
      e.stream.release(Math.max(0, e.offOf(p.ack)));
      e.dupAcks = 0;
      e.persistBackoff = 0;
      if (e.inRecovery) {
        if (seqGe(p.ack, e.recoverPoint)) {
          e.inRecovery = false;
          e.cwnd = e.ssthresh;
        } else if (e.segs.length && !e.segs[0].sacked) {
          // RFC 6582 partial ACK: the next hole is lost too
          e.segs[0].lost = true;
        }
      } else if (e.cwnd < e.ssthresh) e.cwnd += Math.min(acked, e.mss);
      else e.cwnd += Math.max(1, Math.floor((e.mss * e.mss) / e.cwnd));
      if (e.finSeq >= 0 && seqGe(p.ack, seqAdd(e.finSeq, 1))) {
        if (e.rtoTimer) e.rtoTimer.cancelled = true;
        e.rtoTimer = null;
      } else if (e.segs.length) this.armRto(e);
      else if (e.rtoTimer) {
        e.rtoTimer.cancelled = true;
        e.rtoTimer = null;
      }
      this.trySend(e);
      return;
    }
    if (p.ack === e.sndUna && p.len === 0 && !(p.flags & FIN) && !wndChanged && e.segs.length > 0) {
      // RFC 5681 2: a duplicate ACK
      e.dupAcks++;
      if (e.dupAcks === DUPACK_THRESHOLD && !e.inRecovery) {
        e.inRecovery = true;
        e.recoverPoint = e.sndNxt;
        e.ssthresh = Math.max(this.pipe(e) >> 1, 2 * e.mss);
        e.cwnd = e.ssthresh + DUPACK_THRESHOLD * e.mss;
        const first = e.segs.find((s) => !s.sacked);
        if (first) first.lost = true;
      } else if (e.inRecovery && e.sackOk) {
        // RFC 6675 4 IsLost(): a hole is lost once DupThresh segments above it are SACKed
        let sackedAbove = 0;
        for (let i = e.segs.length - 1; i >= 0; i--) {
          const s = e.segs[i];
          if (s.sacked) sackedAbove++;
          else if (sackedAbove >= DUPACK_THRESHOLD && !s.retransmitted && !s.lost) s.lost = true;
        }
        e.cwnd += e.mss;
      } else if (e.inRecovery) e.cwnd += e.mss;
      this.trySend(e);
      return;
    }
    if (wnd > oldWnd) this.trySend(e);
  }

  private markSacked(e: End, blocks: readonly number[]): void {
    for (let i = 0; i + 1 < blocks.length; i += 2) {
      const l = blocks[i];
      const r = blocks[i + 1];
      for (const s of e.segs) if (seqGe(s.seq, l) && seqLe(seqAdd(s.seq, s.len), r) && s.len > 0) s.sacked = true;
    }
  }

  private receiveData(e: End, p: Pkt): void {
    const end = seqAdd(p.seq, p.len);
    const wndBytes = Math.max(0, e.recvBuffer - e.appHeld);
    if (p.len > 0 && wndBytes === 0 && p.seq === e.rcvNxt) {
      // zero window: the probe byte is not accepted; ACK it with the unchanged zero window
      this.sendAck(e, this.c(() => `${e.side} ACK of zero-window probe (window still 0)`));
      return;
    }
    if (seqLe(end, e.rcvNxt) && !(p.flags & FIN && p.seq === e.rcvNxt)) {
      // nothing new: a duplicate, a keep-alive, or a spurious retransmission; ACK at once
      const ka = p.len <= 1 && p.seq === seqAdd(e.rcvNxt, -1);
      const dsack: [number, number] | null = p.len > 0 && e.sackOk ? [p.seq, end] : null;
      if (ka) this.sendAck(e, this.c(() => `${e.side} ACK of keep-alive`), dsack);
      else this.sendMaybeDupAck(e, this.c(() => `already received: seq=${p.seq} len=${p.len}`), dsack);
      return;
    }
    if (seqGt(p.seq, e.rcvNxt)) {
      // out of order: remember the range, duplicate ACK with SACK at once (RFC 5681 4.2)
      this.addOoo(e, p.seq, end);
      this.sendMaybeDupAck(e, this.c(() => `out of order: seq=${p.seq} arrived while expecting ${e.rcvNxt}`));
      return;
    }
    // in order (possibly overlapping what we have)
    const had = seqDiff(end, e.rcvNxt);
    e.rcvNxt = end;
    if (e.appPaused) e.appHeld += had;
    let filled = false;
    for (;;) {
      const i = e.ooo.findIndex(([l, r]) => seqLe(l, e.rcvNxt) && seqGt(r, e.rcvNxt));
      const j = e.ooo.findIndex(([, r]) => seqLe(r, e.rcvNxt));
      if (j >= 0) {
        e.ooo.splice(j, 1);
        filled = true;
        continue;
      }
      if (i < 0) break;
      if (e.appPaused) e.appHeld += seqDiff(e.ooo[i][1], e.rcvNxt);
      e.rcvNxt = e.ooo[i][1];
      e.ooo.splice(i, 1);
      filled = true;
    }
    if (p.flags & FIN && p.seq === seqAdd(e.rcvNxt, -p.len)) {
      e.rcvNxt = seqAdd(e.rcvNxt, 1);
      e.finReceived = true;
      if (e.state === 'established') e.state = 'close_wait';
      if (e.closeOnFin === 0 && e.finSeq < 0) {
        e.finSeq = seqAdd(e.isn, 1 + e.stream.length);
        this.trySend(e); // FIN, ACK acknowledges the peer's FIN too
        if (e.sndNxt === seqAdd(e.finSeq, 1)) return;
      }
      this.sendAck(e, this.c(() => `${e.side} ACK of FIN`));
      if (e.closeOnFin > 0 && e.finSeq < 0) {
        const delay = e.closeOnFin;
        this.q.push(this.now + delay, () => this.sendFin(e));
      }
      return;
    }
    if (filled) {
      this.sendAck(e, this.c(() => `${e.side} ACK (hole filled)`));
      return;
    }
    // RFC 5681 4.2 / RFC 1122: ACK at least every second full-sized segment, else delay
    e.unackedSegs++;
    if (e.unackedSegs >= 2) this.sendAck(e, this.c(() => `${e.side} ACK`));
    else this.delayedAck(e);
  }

  private addOoo(e: End, l: number, r: number): void {
    let lo = l;
    let hi = r;
    e.ooo = e.ooo.filter(([a, b]) => {
      if (seqLe(a, hi) && seqGe(b, lo)) {
        if (seqLt(a, lo)) lo = a;
        if (seqGt(b, hi)) hi = b;
        return false;
      }
      return true;
    });
    e.ooo.unshift([lo, hi]);
  }
}

interface FateOf {
  loseAfterTap?: boolean;
  loseBeforeTap?: boolean;
  captureDrop?: boolean;
  reorder?: boolean;
  duplicate?: boolean;
}
const NO_FATE: FateOf = {};

function describeFate(f: FateOf): string {
  const parts: string[] = [];
  if (f.loseAfterTap) parts.push('lost after the tap');
  if (f.loseBeforeTap) parts.push('lost before the tap');
  if (f.captureDrop) parts.push('missing from the capture');
  if (f.reorder) parts.push('delayed: arrives after the next segment');
  if (f.duplicate) parts.push('duplicated in the network');
  return parts.length ? ` [${parts.join(', ')}]` : '';
}
