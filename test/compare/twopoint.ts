// A generator of capture pairs: the same traffic recorded at two points of a path, A on the
// clients' side and B on the servers' side, with everything the path may do between them known
// exactly. A writes classic pcap (Ethernet, microseconds); B writes pcapng (Linux SLL2,
// nanoseconds), so every comparison also crosses formats and link types.
//
// Between the points: a one-way delay per direction (base + uniform jitter), TTL decremented by
// `hops`, optionally NAT of the clients (address and port), a firewall that adds a constant to
// the clients' sequence numbers (and subtracts it from the servers' acknowledgements), MSS
// clamping, and per-packet fates: lost, held back (reordered), window rewritten, or a RST injected
// by a middlebox towards both ends. B's clock runs `offsetNs` ahead of A's and drifts by
// `driftPpm`. B may start capturing late. Each side's frames are written in time order through a
// small heap that holds only the packets still in flight, so a million-packet pair needs constant
// memory.
import { EventQueue } from '../synth/event-queue.js';
import { ACK, FIN, PSH, RST, SYN, buildPacket, ip, mac, type LinkSpec, type PacketSpec, type TcpOptions } from '../synth/packets.js';
import { PcapWriter } from '../synth/pcap-writer.js';
import { PcapngWriter } from '../synth/pcapng-writer.js';
import { Rng } from '../synth/rng.js';

export interface PairConfig {
  seed: number;
  /** TCP connections opened in total, and how many run at once */
  connections: number;
  concurrent: number;
  /** request/response exchanges per connection */
  exchanges: number;
  /** response segments per exchange (max) */
  responseSegments: number;
  /** UDP request/response pairs and ICMP echoes, spread over the run */
  udpPairs: number;
  icmpEchoes: number;
  /** mean gap between packets (ns) */
  gapNs: number;
  delayAbNs: number;
  delayBaNs: number;
  jitterNs: number;
  hops: number;
  offsetNs: number;
  driftPpm: number;
  nat: boolean;
  seqDelta: number;
  mssClampTo: number | null;
  lossAb: number;
  lossBa: number;
  reorder: number;
  reorderExtraNs: number;
  windowRewrite: number;
  /** connections (index) after whose first exchange a middlebox injects a RST both ways */
  injectRstIn: number[];
  /** B starts capturing this long after A (ns of true time from the start) */
  bLateNs: number;
  /** TCP data segments that crossed both points but that capture A / capture B did not record
   *  (a capture dropping packets: the receiver acknowledges them, nobody re-sends them) */
  captureDropA: number;
  captureDropB: number;
  /** TCP data segments lost before the near point: seen at neither point, re-sent by the sender
   *  right after its next segment in that direction (so both points see the gap first) */
  upstreamLoss: number;
  /** TCP data segments delivered but recorded by neither capture (acknowledged, never re-sent) */
  dropBoth: number;
  /** connections (index) whose every SYN is lost between the points (three tries, no answer) */
  lostConnections: number[];
  /** client hosts the connections are spread over (0: one per connection), so that several
   *  connections run between the same two hosts */
  clientHosts: number;
  /** payload bytes per full segment */
  mss: number;
  /** keep the ground truth (tests); off for the million-packet measurement */
  truth: boolean;
}

export const DEFAULTS: PairConfig = {
  seed: 1, connections: 20, concurrent: 4, exchanges: 10, responseSegments: 4, udpPairs: 20, icmpEchoes: 10,
  gapNs: 200_000, delayAbNs: 5_000_000, delayBaNs: 5_000_000, jitterNs: 2_000_000, hops: 3, offsetNs: 0, driftPpm: 0,
  nat: false, seqDelta: 0, mssClampTo: null, lossAb: 0, lossBa: 0, reorder: 0, reorderExtraNs: 8_000_000, windowRewrite: 0,
  injectRstIn: [], bLateNs: 0, captureDropA: 0, captureDropB: 0, upstreamLoss: 0, dropBoth: 0, lostConnections: [], clientHosts: 0,
  mss: 1448, truth: true,
};

/** What happened to one packet, with its frame numbers (1-based, 0 when not captured there). */
export interface Truth {
  fromA: boolean;
  frameA: number;
  frameB: number;
  lost: boolean;
  injected: boolean;
  reordered: boolean;
  modified: boolean;
  /** sent before B started capturing (not judgeable) */
  early: boolean;
  /** crossed, but capture A / B did not record it */
  notCapturedA: boolean;
  notCapturedB: boolean;
  /** recorded by neither capture (lost upstream of both points, or dropped by both captures) */
  missingBoth: boolean;
  /** payload bytes */
  len: number;
  /** flow and direction, for working out reordering */
  flow: string;
}

export interface PairResult {
  framesA: number;
  framesB: number;
  truth: Truth[];
}

const BASE_SEC = 1_700_000_000;
const CLIENT_MAC = mac('02:00:00:00:00:0a');
const ROUTER_MAC = mac('02:00:00:00:00:01');
const SERVER_IP = ip('192.0.2.10');
const NAT_IP = ip('198.51.100.7');
const NAT_PORT_SHIFT = 20000;
const SERVER_PORT = 445;
/** UDP and ICMP answers follow their request this soon: less than the smallest gap between
 *  packets (gapNs / 2), so packets are still sent in time order. */
const RESPONSE_NS = 20_000;
/** After the last connection, UDP keepalives both ways for this long, so that every packet of the
 *  scenario lies well inside both captures (the comparison does not judge the edges). */
const TAIL_NS = 200_000_000;
const TAIL_EVERY_NS = 10_000_000;
/** The same before the first connection. */
const HEAD_NS = 50_000_000;
/** A lost TCP segment is re-sent this soon after the packet that triggers it (the generator's
 *  sender knows at once; only the order matters to the comparison). */
const RETX_NS = 10_000;
/** Added to a re-sent segment's TSval: a retransmission carries a newer timestamp than anything
 *  sent before it (RFC 7323), which is how a re-send is told from a late original. */
const RETX_TS_STEP = 100_000;
/** SYN retries of a connection that never gets through (compressed from 1 s and 3 s). */
const SYN_RETRY_NS = [20_000_000, 60_000_000];

type Mk = (atB: boolean) => PacketSpec;
interface Retx {
  fromA: boolean;
  mk: Mk;
  payOff: number;
  payLen: number;
  stamp: number;
}

interface Conn {
  idx: number;
  cIp: Uint8Array;
  cPort: number;
  isnC: number;
  isnS: number;
  sndC: number;
  sndS: number;
  step: number;
  exch: number;
  segsLeft: number;
  tsC: number;
  tsS: number;
  ipIdC: number;
  ipIdS: number;
  /** a segment lost before the near point, re-sent after the next segment in its direction */
  retx: Retx | null;
}

export function generatePair(fileA: string, fileB: string, cfgIn: Partial<PairConfig>): PairResult {
  const cfg: PairConfig = { ...DEFAULTS, ...cfgIn };
  const rng = new Rng(cfg.seed);
  const wa = new PcapWriter(fileA, { linkType: 1 });
  const wb = new PcapngWriter(fileB);
  wb.section();
  wb.iface({ linkType: 276, tsresol: 9, name: 'eth1' });
  const qa = new EventQueue();
  const qb = new EventQueue();
  const truth: Truth[] = [];
  let framesA = 0;
  let framesB = 0;
  const buf = new Uint8Array(70000);
  const payloadBase = new Uint8Array(65536 + 2048);
  for (let i = 0; i < payloadBase.length; i++) payloadBase[i] = rng.u32() & 0xff;
  const linkA: LinkSpec = { kind: 'ethernet', src: CLIENT_MAC, dst: ROUTER_MAC };
  const linkB: LinkSpec = { kind: 'sll2', packetType: 0, addr: ROUTER_MAC, ifIndex: 2 };
  const clockB = (t: number): number => t + cfg.offsetNs + cfg.driftPpm * 1e-6 * t;
  const maxDelay = Math.max(cfg.delayAbNs, cfg.delayBaNs) + cfg.jitterNs + cfg.reorderExtraNs + 1e6;

  const writeA = (tTrue: number, bytes: Uint8Array, tr: Truth | null): void => {
    qa.push(tTrue, () => {
      framesA++;
      if (tr) tr.frameA = framesA;
      const ns = Math.round(tTrue);
      wa.write(BASE_SEC + Math.floor(ns / 1e9), ns % 1e9, bytes);
    });
  };
  const writeB = (tTrue: number, bytes: Uint8Array, tr: Truth | null): void => {
    if (tTrue < cfg.bLateNs) return;
    qb.push(tTrue, () => {
      framesB++;
      if (tr) tr.frameB = framesB;
      const ns = Math.round(clockB(tTrue));
      wb.packet(0, BASE_SEC + Math.floor(ns / 1e9), ns - Math.floor(ns / 1e9) * 1e9, bytes);
    });
  };
  const flush = (q: EventQueue, before: number): void => {
    for (let e = q.peek(); e && e.t < before; e = q.peek()) (q.pop() as { fn: () => void }).fn();
  };
  const build = (spec: PacketSpec, payOff: number, payLen: number, stamp: number): Uint8Array => {
    const l = buildPacket(buf, 0, spec, payloadBase.subarray(payOff, payOff + payLen));
    if (payLen >= 8) {
      // a stamp in the payload makes every segment's bytes distinct, as real data mostly is
      const p = l - payLen;
      buf[p] = stamp >>> 24; buf[p + 1] = stamp >>> 16; buf[p + 2] = stamp >>> 8; buf[p + 3] = stamp;
      // the checksum is not recomputed; pcapdx does not verify it and neither matters here
    }
    return buf.slice(0, l);
  };

  /** one packet from the client's side (A is near) or the server's side (B is near) */
  let stampCounter = 1;
  const lastFar = [0, 0];
  /** the same segment again with a newer TSval */
  const resend = (mk: Mk): Mk => (atB) => {
    const p = mk(atB);
    if (p.l4.kind === 'tcp' && p.l4.options?.ts) p.l4.options = { ...p.l4.options, ts: [(p.l4.options.ts[0] + RETX_TS_STEP) >>> 0, p.l4.options.ts[1]] };
    return p;
  };
  const send = (t: number, c: Conn | null, fromA: boolean, mk: Mk, payOff: number, payLen: number, fate: { lost?: boolean; stamp?: number } = {}): void => {
    // a re-send carries the same bytes as the original
    const stamp = fate.stamp ?? stampCounter++;
    const near = mk(!fromA);
    const tr: Truth | null = cfg.truth ? { fromA, frameA: 0, frameB: 0, lost: false, injected: false, reordered: false, modified: false, early: false, notCapturedA: false, notCapturedB: false, missingBoth: false, len: payLen, flow: flowName(near, fromA) } : null;
    const pending = c !== null && c.retx !== null && c.retx.fromA === fromA ? c.retx : null;
    const tcpSeq = near.l4.kind === 'tcp' && (payLen > 0 || (near.l4.flags & (SYN | FIN)) !== 0) && (near.l4.flags & RST) === 0;
    // what happens to a data segment around the two points (rates only drawn when set)
    const data = c !== null && payLen > 0 && c.retx === null && fate.lost === undefined;
    const upLost = data && rng.chance(cfg.upstreamLoss);
    const both = data && !upLost && rng.chance(cfg.dropBoth);
    const dropA = data && !upLost && !both && rng.chance(cfg.captureDropA);
    const dropB = data && !upLost && !both && !dropA && rng.chance(cfg.captureDropB);
    if (upLost) {
      // never reaches the near point: nothing is written; re-sent after the next segment
      (c as Conn).retx = { fromA, mk: resend(mk), payOff, payLen, stamp };
      if (tr) {
        tr.missingBoth = true;
        truth.push(tr);
      }
      return;
    }
    // a capture drop is of a packet that crossed: not also lost
    const lost = fate.lost ?? (!dropA && !dropB && rng.chance(fromA ? cfg.lossAb : cfg.lossBa));
    let extra = 0;
    if (rng.chance(cfg.reorder)) extra = cfg.reorderExtraNs;
    const rewrite = c !== null && rng.chance(cfg.windowRewrite);
    // the path is a queue per direction: jitter never reorders, only a held-back packet does
    const di = fromA ? 0 : 1;
    let dly = (fromA ? cfg.delayAbNs : cfg.delayBaNs) + rng.next() * cfg.jitterNs;
    if (t + dly <= lastFar[di]) dly = lastFar[di] - t + 1000;
    if (extra === 0 && !lost) lastFar[di] = t + dly;
    dly += extra;
    const far = mk(fromA);
    if (far.ip.v === 4) far.ip.ttl = (near.ip.v === 4 ? near.ip.ttl ?? 64 : 64) - cfg.hops;
    if (rewrite && far.l4.kind === 'tcp') far.l4.window = (far.l4.window + 1000) & 0xffff;
    const nearBytes = build(near, payOff, payLen, stamp);
    const farBytes = build(far, payOff, payLen, stamp);
    const tNear = t;
    const tFar = t + dly;
    const early = fromA ? tFar < cfg.bLateNs : tNear < cfg.bLateNs;
    const recA = !dropA && !both;
    const recB = !dropB && !both;
    if (tr) {
      tr.lost = lost && !early;
      tr.modified = rewrite && !lost && !early && recA && recB;
      tr.early = early;
      tr.notCapturedA = dropA && !early;
      tr.notCapturedB = dropB && !early;
      tr.missingBoth = both;
      truth.push(tr);
    }
    if (fromA) {
      if (recA) writeA(tNear, nearBytes, tr);
      if (!lost && recB) writeB(tFar, farBytes, tr);
    } else {
      if (recB) writeB(tNear, nearBytes, tr);
      if (!lost && recA) writeA(tFar, farBytes, tr);
    }
    // a segment lost between the points is re-sent at once; one lost upstream after this segment
    if (lost && tcpSeq && c !== null && fate.lost === undefined) send(t + RETX_NS, c, fromA, resend(mk), payOff, payLen, { lost: false, stamp });
    if (pending !== null && c !== null && c.retx === pending) {
      c.retx = null;
      send(t + RETX_NS, c, fromA, pending.mk, pending.payOff, pending.payLen, { lost: false, stamp: pending.stamp });
    }
  };

  const tcpSpec = (c: Conn, fromClient: boolean, atB: boolean, seq: number, ack: number, flags: number, win: number, opts?: TcpOptions): PacketSpec => {
    const natted = cfg.nat && atB;
    const cIp = natted ? NAT_IP : c.cIp;
    const cPort = natted ? c.cPort + NAT_PORT_SHIFT : c.cPort;
    // the firewall between the points shifts the client's sequence space as seen at B
    const shiftC = atB ? cfg.seqDelta : 0;
    let o = opts;
    if (o && o.mss !== undefined && atB && cfg.mssClampTo !== null && fromClient) o = { ...o, mss: cfg.mssClampTo };
    const link = atB ? linkB : linkA;
    const ipSpec = fromClient
      ? { v: 4 as const, src: cIp, dst: SERVER_IP, ttl: 64, id: c.ipIdC }
      : { v: 4 as const, src: SERVER_IP, dst: cIp, ttl: 64, id: c.ipIdS };
    return {
      link, ip: ipSpec,
      l4: {
        kind: 'tcp', srcPort: fromClient ? cPort : SERVER_PORT, dstPort: fromClient ? SERVER_PORT : cPort,
        seq: fromClient ? (seq + shiftC) >>> 0 : seq, ack: fromClient ? ack : flags & ACK ? (ack + shiftC) >>> 0 : ack,
        flags, window: win, options: o,
      },
    };
  };

  const conns: Conn[] = [];
  let opened = 0;
  let t = 1e6;
  let udpLeft = cfg.udpPairs;
  let icmpLeft = cfg.icmpEchoes;
  const extrasEvery = Math.max(1, Math.floor((cfg.connections * (3 + cfg.exchanges * (2 + cfg.responseSegments))) / Math.max(1, cfg.udpPairs + cfg.icmpEchoes)));
  let tick = 0;
  const hostOf = (k: number): number => (cfg.clientHosts > 0 ? k % cfg.clientHosts : k);
  const newConn = (): Conn => ({
    idx: opened, retx: null, cIp: ip(`10.1.${(hostOf(opened) >> 8) & 0xff}.${(hostOf(opened) & 0xff) + 1 > 255 ? 1 : (hostOf(opened) & 0xff) + 1}`), cPort: 30000 + (opened % 30000), isnC: rng.u32(), isnS: rng.u32(),
    sndC: 0, sndS: 0, step: 0, exch: 0, segsLeft: 0, tsC: rng.u32() >>> 8, tsS: rng.u32() >>> 8, ipIdC: rng.int(0, 65535), ipIdS: rng.int(0, 65535),
  });

  /** UDP keepalives both ways, never lost: they make both captures cover the scenario */
  const keepalive = (at: number, k: number): void => {
    const mk = (fromClient: boolean) => (atB: boolean): PacketSpec => {
      const src = cfg.nat && atB ? NAT_IP : ip('10.4.0.1');
      const port = 5000 + (cfg.nat && atB ? 1000 : 0);
      return fromClient
        ? { link: atB ? linkB : linkA, ip: { v: 4, src, dst: SERVER_IP, ttl: 64, id: k }, l4: { kind: 'udp', srcPort: port, dstPort: 123 } }
        : { link: atB ? linkB : linkA, ip: { v: 4, src: SERVER_IP, dst: src, ttl: 64, id: k }, l4: { kind: 'udp', srcPort: 123, dstPort: port } };
    };
    send(at, null, true, mk(true), (k * 48) % 60000, 48, { lost: false });
    send(at + RESPONSE_NS, null, false, mk(false), (k * 48 + 7) % 60000, 48, { lost: false });
  };
  for (let k = 0; k < HEAD_NS / TAIL_EVERY_NS; k++) {
    keepalive(t, k);
    t += TAIL_EVERY_NS;
  }

  while (opened < cfg.connections || conns.length > 0) {
    while (conns.length < cfg.concurrent && opened < cfg.connections) {
      conns.push(newConn());
      opened++;
    }
    t += cfg.gapNs * (0.5 + rng.next());
    tick++;
    if (tick % extrasEvery === 0 && (udpLeft > 0 || icmpLeft > 0)) {
      if (udpLeft > 0) {
        udpLeft--;
        const id = udpLeft;
        const cIp = ip(`10.2.0.${(id % 200) + 1}`);
        const mk = (fromClient: boolean) => (atB: boolean): PacketSpec => {
          const src = cfg.nat && atB ? NAT_IP : cIp;
          const port = 40000 + id + (cfg.nat && atB ? 1000 : 0);
          return fromClient
            ? { link: atB ? linkB : linkA, ip: { v: 4, src, dst: SERVER_IP, ttl: 64, id: id * 7 }, l4: { kind: 'udp', srcPort: port, dstPort: 53 } }
            : { link: atB ? linkB : linkA, ip: { v: 4, src: SERVER_IP, dst: src, ttl: 64, id: id * 11 }, l4: { kind: 'udp', srcPort: 53, dstPort: port } };
        };
        send(t, null, true, mk(true), (id * 97) % 60000, 40 + (id % 30));
        send(t + RESPONSE_NS, null, false, mk(false), (id * 131) % 60000, 90 + (id % 50));
      } else {
        icmpLeft--;
        const id = icmpLeft;
        const mk = (req: boolean) => (atB: boolean): PacketSpec => {
          const cIp = cfg.nat && atB ? NAT_IP : ip('10.3.0.1');
          return req
            ? { link: atB ? linkB : linkA, ip: { v: 4, src: cIp, dst: SERVER_IP, ttl: 64, id: 500 + id }, l4: { kind: 'icmp', type: 8, code: 0, rest: (0x1234 << 16) | id } }
            : { link: atB ? linkB : linkA, ip: { v: 4, src: SERVER_IP, dst: cIp, ttl: 64, id: 900 + id }, l4: { kind: 'icmp', type: 0, code: 0, rest: (0x1234 << 16) | id } };
        };
        send(t, null, true, mk(true), id * 64, 56);
        send(t + RESPONSE_NS, null, false, mk(false), id * 64, 56);
      }
    }
    const ci = rng.int(0, conns.length - 1);
    const c = conns[ci];
    const C = (seqOff: number) => (c.isnC + seqOff) >>> 0;
    const S = (seqOff: number) => (c.isnS + seqOff) >>> 0;
    const tsOpt = (fromClient: boolean): TcpOptions => ({ ts: fromClient ? [c.tsC, c.tsS] : [c.tsS, c.tsC] });
    c.tsC = (c.tsC + 1) >>> 0;
    c.tsS = (c.tsS + 1) >>> 0;
    c.ipIdC = (c.ipIdC + 1) & 0xffff;
    c.ipIdS = (c.ipIdS + 1) & 0xffff;
    switch (c.step) {
      case 0:
        if (cfg.lostConnections.includes(c.idx)) {
          // every try of the SYN is lost between the points: seen at A only, three times
          const mkSyn = (ts: number): Mk => (atB) => tcpSpec(c, true, atB, C(0), 0, SYN, 64240, { mss: 1460, sackPermitted: true, ts: [ts, 0], wscale: 7 });
          send(t, c, true, mkSyn(c.tsC), 0, 0, { lost: true });
          for (const d of SYN_RETRY_NS) send(t + d, c, true, mkSyn((c.tsC + d / 1e6) >>> 0), 0, 0, { lost: true });
          conns.splice(ci, 1);
          break;
        }
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(0), 0, SYN, 64240, { mss: 1460, sackPermitted: true, ts: [c.tsC, 0], wscale: 7 }), 0, 0);
        c.step = 1;
        break;
      case 1:
        send(t, c, false, (atB) => tcpSpec(c, false, atB, S(0), C(1), SYN | ACK, 65160, { mss: 1460, sackPermitted: true, ts: [c.tsS, c.tsC], wscale: 7 }), 0, 0);
        c.step = 2;
        break;
      case 2:
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(1), S(1), ACK, 502, tsOpt(true)), 0, 0);
        c.sndC = 1;
        c.sndS = 1;
        c.step = 3;
        break;
      case 3: {
        // request
        const len = 60 + rng.int(0, 400);
        const off = rng.int(0, 60000);
        const seq = c.sndC;
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(seq), S(c.sndS), PSH | ACK, 502, tsOpt(true)), off, len);
        c.sndC += len;
        c.segsLeft = rng.int(1, cfg.responseSegments);
        c.step = 4;
        break;
      }
      case 4: {
        // response segment
        const last = c.segsLeft === 1;
        const len = last ? 100 + rng.int(0, cfg.mss - 100) : cfg.mss;
        const off = rng.int(0, 60000);
        const seq = c.sndS;
        send(t, c, false, (atB) => tcpSpec(c, false, atB, S(seq), C(c.sndC), last ? PSH | ACK : ACK, 509, tsOpt(false)), off, len);
        c.sndS += len;
        c.segsLeft--;
        if (c.segsLeft === 0) c.step = 5;
        break;
      }
      case 5:
        // client ACK of the response
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(c.sndC), S(c.sndS), ACK, 502, tsOpt(true)), 0, 0);
        c.exch++;
        if (cfg.injectRstIn.includes(c.idx) && c.exch === 1) {
          // a middlebox between the points resets the connection: a RST towards the client (seen
          // only at A) and one towards the server (seen only at B), with valid sequence numbers
          const tr1: Truth | null = cfg.truth ? { fromA: false, frameA: 0, frameB: 0, lost: false, injected: true, reordered: false, modified: false, early: false, notCapturedA: false, notCapturedB: false, missingBoth: false, len: 0, flow: 'rst' } : null;
          const tr2: Truth | null = cfg.truth ? { fromA: true, frameA: 0, frameB: 0, lost: false, injected: true, reordered: false, modified: false, early: false, notCapturedA: false, notCapturedB: false, missingBoth: false, len: 0, flow: 'rst' } : null;
          if (tr1 && tr2) truth.push(tr1, tr2);
          writeA(t + 2e6, build(tcpSpec(c, false, false, S(c.sndS), C(c.sndC), RST | ACK, 0), 0, 0, 0), tr1);
          writeB(t + 2e6, build(tcpSpec(c, true, true, C(c.sndC), S(c.sndS), RST | ACK, 0), 0, 0, 0), tr2);
          conns.splice(ci, 1);
          break;
        }
        c.step = c.exch >= cfg.exchanges ? 6 : 3;
        break;
      case 6:
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(c.sndC), S(c.sndS), FIN | ACK, 502, tsOpt(true)), 0, 0);
        c.step = 7;
        break;
      case 7:
        send(t, c, false, (atB) => tcpSpec(c, false, atB, S(c.sndS), C(c.sndC + 1), FIN | ACK, 509, tsOpt(false)), 0, 0);
        c.step = 8;
        break;
      default:
        send(t, c, true, (atB) => tcpSpec(c, true, atB, C(c.sndC + 1), S(c.sndS + 1), ACK, 502, tsOpt(true)), 0, 0);
        conns.splice(ci, 1);
        break;
    }
    flush(qa, t - maxDelay);
    flush(qb, t - maxDelay);
  }
  for (let k = 0; k < TAIL_NS / TAIL_EVERY_NS; k++) {
    t += TAIL_EVERY_NS;
    keepalive(t, k + 1000);
  }
  flush(qa, Infinity);
  flush(qb, Infinity);
  wa.close();
  wb.close();
  if (cfg.truth) markReordered(truth);
  return { framesA, framesB, truth };
}

function flowName(p: PacketSpec, fromA: boolean): string {
  const l4 = p.l4;
  const ports = l4.kind === 'tcp' || l4.kind === 'udp' ? `${l4.srcPort}>${l4.dstPort}` : 'icmp';
  return `${fromA ? 'A' : 'B'} ${Array.from(p.ip.src).join('.')} ${Array.from(p.ip.dst).join('.')} ${ports}`;
}

/** A delivered packet is reordered when, in its flow and direction, the far point saw it after a
 *  packet that the near point saw later (the definition pcapdx compare uses). */
function markReordered(truth: Truth[]): void {
  const byFlow = new Map<string, Truth[]>();
  for (const t of truth) {
    if (t.injected || t.lost || t.frameA === 0 || t.frameB === 0) continue;
    let l = byFlow.get(t.flow);
    if (!l) byFlow.set(t.flow, (l = []));
    l.push(t);
  }
  for (const l of byFlow.values()) {
    const fromA = l[0].fromA;
    l.sort((x, y) => (fromA ? x.frameB - y.frameB : x.frameA - y.frameA));
    let max = 0;
    for (const t of l) {
      const nearFrame = fromA ? t.frameA : t.frameB;
      if (nearFrame < max) t.reordered = true;
      else max = nearFrame;
    }
  }
}
