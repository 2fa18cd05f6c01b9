// Frame-exact capture scripting for the incident scenarios. The conversation simulator in
// test/synth/ plays TCP by its rules; the incidents are exactly the places where endpoints break
// those rules (parallel SYNs, a SYN-ACK for a superseded ISN, a challenge ACK, a retransmission with
// other bytes), so here every segment is placed by the scenario, and this file only keeps the
// arithmetic right: sequence and acknowledgment numbers modulo 2^32 (src/bytes/seq.ts), RFC 7323
// timestamps at 1000 Hz, IP ids, checksums (test/synth/packets.ts) and frame numbers.
//
// Time is a number of nanoseconds since the capture start (exact as a double up to 104 days).

import { seqAdd } from '../../src/bytes/seq.js';
import {
  ACK, PSH, SYN, buildPacket, icmpQuote, ip, mac, packet, packetLength, type IpSpec, type LinkSpec, type PacketSpec, type TcpOptions,
} from '../synth/packets.js';
import { PcapWriter } from '../synth/pcap-writer.js';
import { PcapngWriter } from '../synth/pcapng-writer.js';
import { LINKTYPE_ETHERNET } from '../synth/packets.js';

export const US = 1_000;
export const MS = 1_000_000;
export const S = 1_000_000_000;

/** Capture start used by every scenario unless told otherwise: 2019-02-12 19:00:00 UTC, the
 *  evening of seed 000 (any fixed instant would do; a fixed one keeps files byte-identical). */
export const DEFAULT_START_SEC = 1_549_998_000;

export interface TraceFrame {
  /** ns since the capture start */
  t: number;
  data: Uint8Array;
  comment: string;
}

/** An ordered list of captured frames; frame numbers are 1-based in order of `add`. */
export class Trace {
  readonly frames: TraceFrame[] = [];
  constructor(readonly startSec = DEFAULT_START_SEC) {}

  /** Appends a frame; returns its 1-based number. Time must not go backwards (a capture point
   *  stamps frames in the order it sees them). */
  add(t: number, data: Uint8Array, comment: string): number {
    const last = this.frames[this.frames.length - 1];
    if (last && t < last.t) throw new Error(`frame ${this.frames.length + 1} (${comment}) at ${t} ns is before frame ${this.frames.length} at ${last.t} ns`);
    if (!Number.isSafeInteger(t) || t < 0) throw new Error(`bad time ${t}`);
    this.frames.push({ t, data, comment });
    return this.frames.length;
  }

  get count(): number {
    return this.frames.length;
  }

  /** Time of frame `n` (1-based), ns since the start. */
  time(n: number): number {
    return this.frames[n - 1].t;
  }

  /** Writes the frames as pcapng (nanosecond clock, one comment per frame) or classic pcap
   *  (microseconds; comments are lost). */
  write(path: string, format: 'pcap' | 'pcapng' = 'pcapng'): void {
    if (format === 'pcap') {
      const w = new PcapWriter(path, { linkType: LINKTYPE_ETHERNET });
      for (const f of this.frames) w.write(this.startSec + Math.floor(f.t / S), f.t % S, f.data);
      w.close();
      return;
    }
    const w = new PcapngWriter(path);
    w.section('le', 'pcapdx test/incidents');
    const id = w.iface({ linkType: LINKTYPE_ETHERNET, tsresol: 9, name: 'tap0' });
    for (const f of this.frames) w.packet(id, this.startSec + Math.floor(f.t / S), f.t % S, f.data, f.data.length, f.comment);
    w.close();
  }
}

// ------------------------------------------------------------------ hosts and TCP flows

export interface Host {
  ip: string;
  mac: string;
}

export type Side = 'client' | 'server';

/** What an endpoint of a scripted flow has sent and received. */
export interface EndState {
  isn: number;
  /** SND.NXT: the next sequence number it will send */
  nxt: number;
  /** raw (unscaled) window it advertises */
  win: number;
  /** timestamp clock offset (TSval = tsBase + ms since the capture start) */
  tsBase: number;
  /** last TSval it sent (the peer echoes it) */
  lastTsVal: number;
  ipId: number;
  /** payload bytes sent so far (stream offset of the next byte) */
  sent: number;
}

export interface FlowOptions {
  /** RFC 7323 timestamps on every segment (default true) */
  timestamps?: boolean;
  /** MSS each side announces; payload per segment is this minus 12 with timestamps */
  mss?: number;
  /** window scale shift announced in SYNs (default 7) */
  wscale?: number;
  /** raw window after the handshake */
  clientWin?: number;
  serverWin?: number;
  /** window in SYN and SYN-ACK (never scaled; RFC 7323 2.2); default 64240 / 65535 */
  clientSynWin?: number;
  serverSynWin?: number;
  clientTtl?: number;
  serverTtl?: number;
}

export interface SegmentSpec {
  flags: number;
  seq?: number;
  ack?: number;
  payload?: Uint8Array;
  win?: number;
  /** full option override (SYN options are built automatically when absent) */
  options?: TcpOptions | null;
  /** TTL (hop limit) of this segment only: a packet another device sent in the sender's name */
  ttl?: number;
}

/** A TCP connection between a client and a server, scripted segment by segment. The default
 *  seq is the sender's SND.NXT and the default ack the peer's SND.NXT (everything the peer has sent
 *  has arrived), which is right whenever the scenario does not say otherwise. */
export class TcpFlow {
  readonly client: EndState;
  readonly server: EndState;
  private readonly spec: Record<Side, PacketSpec>;
  readonly v6: boolean;
  private readonly ts: boolean;
  readonly mss: number;
  readonly wscale: number;

  constructor(
    readonly trace: Trace,
    readonly clientHost: Host,
    readonly clientPort: number,
    readonly serverHost: Host,
    readonly serverPort: number,
    isns: { client: number; server: number },
    readonly opts: FlowOptions = {},
  ) {
    this.v6 = clientHost.ip.includes(':');
    this.ts = opts.timestamps ?? true;
    this.mss = opts.mss ?? (this.v6 ? 1440 : 1460);
    this.wscale = opts.wscale ?? 7;
    const mk = (isn: number, win: number, salt: number): EndState => ({
      isn: isn >>> 0, nxt: isn >>> 0, win, tsBase: (isn ^ salt) >>> 0, lastTsVal: 0, ipId: (isn >>> 16) & 0xffff, sent: 0,
    });
    this.client = mk(isns.client, opts.clientWin ?? 502, 0x5bd1e995);
    this.server = mk(isns.server, opts.serverWin ?? 513, 0x27d4eb2d);
    const link = (from: Side): LinkSpec => ({
      kind: 'ethernet', src: mac(from === 'client' ? clientHost.mac : serverHost.mac), dst: mac(from === 'client' ? serverHost.mac : clientHost.mac),
    });
    const ipSpec = (from: Side): IpSpec => {
      const src = ip(from === 'client' ? clientHost.ip : serverHost.ip);
      const dst = ip(from === 'client' ? serverHost.ip : clientHost.ip);
      const ttl = (from === 'client' ? opts.clientTtl : opts.serverTtl) ?? (from === 'client' ? 64 : 128);
      return this.v6 ? { v: 6, src, dst, hopLimit: ttl, flowLabel: from === 'client' ? 0x1a2b3 : 0x0c0de } : { v: 4, src, dst, ttl, df: true, id: 0 };
    };
    const tcp = (from: Side) => ({
      kind: 'tcp' as const, srcPort: from === 'client' ? clientPort : serverPort, dstPort: from === 'client' ? serverPort : clientPort,
      seq: 0, ack: 0, flags: 0, window: 0,
    });
    this.spec = {
      client: { link: link('client'), ip: ipSpec('client'), l4: tcp('client') },
      server: { link: link('server'), ip: ipSpec('server'), l4: tcp('server') },
    };
  }

  end(s: Side): EndState {
    return s === 'client' ? this.client : this.server;
  }
  peer(s: Side): EndState {
    return s === 'client' ? this.server : this.client;
  }

  /** Largest payload per segment (MSS less the timestamp option). */
  get segmentSize(): number {
    return this.mss - (this.ts ? 12 : 0);
  }

  /** Options of a SYN or SYN-ACK from `from` at time t, laid out as Linux does. */
  synOptions(from: Side, t: number, echo = 0): TcpOptions {
    const e = this.end(from);
    return { mss: this.mss, sackPermitted: true, ts: this.ts ? [this.tsVal(e, t), echo] : undefined, wscale: this.wscale };
  }

  private tsVal(e: EndState, t: number): number {
    return (e.tsBase + Math.floor(t / MS)) >>> 0;
  }

  /** Builds the bytes of a segment from `from` without adding it (ICMP quotes, tests). Does not
   *  change any state. */
  bytes(from: Side, t: number, s: SegmentSpec): Uint8Array {
    const e = this.end(from);
    const p = this.peer(from);
    const l4 = this.spec[from].l4;
    if (l4.kind !== 'tcp') throw new Error('unreachable');
    l4.seq = (s.seq ?? e.nxt) >>> 0;
    l4.ack = s.flags & ACK ? (s.ack ?? p.nxt) >>> 0 : (s.ack ?? 0) >>> 0;
    l4.flags = s.flags;
    const synWin = from === 'client' ? (this.opts.clientSynWin ?? 64240) : (this.opts.serverSynWin ?? 65535);
    l4.window = s.win ?? (s.flags & SYN ? synWin : e.win);
    if (s.options !== undefined) l4.options = s.options ?? undefined;
    else if (s.flags & SYN) l4.options = this.synOptions(from, t, s.flags & ACK ? p.lastTsVal : 0);
    else l4.options = this.ts ? { ts: [this.tsVal(e, t), p.lastTsVal] } : undefined;
    const ipSpec = this.spec[from].ip;
    if (ipSpec.v === 4) ipSpec.id = e.ipId;
    const payload = s.payload ?? null;
    const b = new Uint8Array(packetLength(this.spec[from], payload ? payload.length : 0));
    const ttl = ipSpec.v === 4 ? ipSpec.ttl : ipSpec.hopLimit;
    if (s.ttl !== undefined) {
      if (ipSpec.v === 4) ipSpec.ttl = s.ttl;
      else ipSpec.hopLimit = s.ttl;
    }
    buildPacket(b, 0, this.spec[from], payload);
    if (ipSpec.v === 4) ipSpec.ttl = ttl;
    else ipSpec.hopLimit = ttl;
    return b;
  }

  /** Adds one segment; returns its frame number. SND.NXT advances past new sequence space only
   *  (a segment below SND.NXT is a retransmission or a probe and moves nothing). */
  seg(from: Side, t: number, s: SegmentSpec, comment: string): number {
    const e = this.end(from);
    const b = this.bytes(from, t, s);
    const l4 = this.spec[from].l4;
    if (l4.kind === 'tcp' && l4.options?.ts) e.lastTsVal = l4.options.ts[0];
    e.ipId = (e.ipId + 1) & 0xffff;
    const seq = (s.seq ?? e.nxt) >>> 0;
    const len = (s.payload?.length ?? 0) + (s.flags & SYN ? 1 : 0) + (s.flags & 0x01 ? 1 : 0);
    if (seq === e.nxt) {
      e.nxt = seqAdd(e.nxt, len);
      e.sent += s.payload?.length ?? 0;
    }
    return this.trace.add(t, b, comment);
  }

  /** The client's SYN with its ISN (SND.NXT = ISN + 1). */
  syn(t: number, comment = 'client SYN'): number {
    this.client.nxt = this.client.isn;
    return this.seg('client', t, { flags: SYN, seq: this.client.isn }, `${comment} (ISN ${this.client.isn})`);
  }

  /** The server's SYN-ACK acknowledging the client's ISN. */
  synAck(t: number, comment = 'server SYN-ACK'): number {
    this.server.nxt = this.server.isn;
    return this.seg('server', t, { flags: SYN | ACK, seq: this.server.isn, ack: seqAdd(this.client.isn, 1) }, `${comment} (ISN ${this.server.isn})`);
  }

  /** A pure ACK from `from`. */
  ack(from: Side, t: number, comment = `${from} ACK`): number {
    return this.seg(from, t, { flags: ACK }, comment);
  }

  /** SYN, SYN-ACK after `rttNs`, ACK right after; returns the three frame numbers. */
  handshake(t: number, rttNs: number, clientTurnNs = 30 * US): [number, number, number] {
    return [this.syn(t), this.synAck(t + rttNs), this.ack('client', t + rttNs + clientTurnNs, 'client ACK (handshake complete)')];
  }

  /** Application bytes from `from` at time t, cut into segments of at most segmentSize that leave
   *  `gapNs` apart; PSH on the last. Returns the frame numbers. */
  send(from: Side, t: number, data: Uint8Array, comment: string, gapNs = 12 * US): number[] {
    const out: number[] = [];
    const n = this.segmentSize;
    for (let off = 0, i = 0; off < data.length; off += n, i++) {
      const piece = data.subarray(off, Math.min(data.length, off + n));
      const last = off + n >= data.length;
      const parts = data.length > n ? ` [segment ${i + 1} of ${Math.ceil(data.length / n)}]` : '';
      out.push(this.seg(from, t + i * gapNs, { flags: ACK | (last ? PSH : 0), payload: piece }, `${comment}${parts}`));
    }
    return out;
  }
}

// ------------------------------------------------------------------ ICMP

/** ICMPv4 destination unreachable (type 3) from `from` to `to`, quoting the whole IP packet of
 *  `quoted` (an Ethernet frame: the quote starts at its IP header), as Linux does for short
 *  packets (it quotes up to 576 bytes in all). */
export function icmpUnreachable(from: Host, to: Host, code: number, quoted: Uint8Array, ttl = 64, id = 0): Uint8Array {
  const ETH = 14;
  const ihl = (quoted[ETH] & 0x0f) * 4;
  const quote = icmpQuote(quoted, ETH, quoted.length - ETH - ihl);
  const spec: PacketSpec = {
    link: { kind: 'ethernet', src: mac(from.mac), dst: mac(to.mac) },
    ip: { v: 4, src: ip(from.ip), dst: ip(to.ip), ttl, id, tos: 0xc0 },
    l4: { kind: 'icmp', type: 3, code, rest: 0 },
  };
  return packet(spec, quote);
}
