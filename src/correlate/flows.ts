// Flows as each capture sees them, and the translation model that pairs a flow in A with its
// flow in B. A flow is keyed by its own capture's addresses and ports (canonical order: the
// lower endpoint first, so both directions share one flow); VLAN tags and link headers are left
// out on purpose, as they legitimately differ between two capture points.
//
// The pairing is the explicit model of what the path rewrote: addresses and ports (NAT), which
// endpoint is which (`flip`), and for TCP a constant per direction added to sequence numbers
// (sequence randomisation by a firewall; zero when the path leaves them alone).
import { PROTO_TCP } from '../wire/packet.js';
import { hashAddr } from '../wire/addr.js';
import { mix } from './hash.js';
import type { PktRec } from './record.js';
import type { Packet } from '../wire/packet.js';
import type { SeqTrack } from './seqtrack.js';

/** Statistics of one paired flow, indexed by A's direction. Shared by both flows of the pair. */
export class PairStats {
  /** per A-direction: TTL votes (+1 when A saw a higher TTL than B: the packet went A->B) */
  ttlVote = [0, 0];
  /** per A-direction: sum and count of (tB - tA) in ns (A's base), for orientation by timing */
  sumX = [0, 0];
  nX = [0, 0];
  /** per A-direction, per side whose record completed the match: highest partner frame number
   *  seen so far (reordering = a partner frame lower than one already seen) */
  maxPartner = [[0, 0], [0, 0]];
  /** TCP only: what each point saw of the sequence spaces (created with the first segment) */
  seq: SeqTrack | null = null;
  /** the pair's flow in A: a.dir is the A-direction numbering */
  constructor(readonly id: number) {}
}

export class Flow {
  /** canonical endpoints: lo < hi by (address words, port) */
  readonly loAddr = new Uint32Array(4);
  readonly hiAddr = new Uint32Array(4);
  loPort = 0;
  hiPort = 0;
  l3 = 0;
  proto = 0;
  hash = 0;
  chain: Flow | null = null;
  /** paired flow on the other side, and whether its direction numbering is reversed */
  peer: Flow | null = null;
  flip = 0;
  /** A flows only: sequence delta per A-direction (seq in B = seq in A + delta) */
  delta = [0, 0];
  pair: PairStats | null = null;
  /** records that arrived before the flow was paired, in time order (head index for FIFO) */
  waiting: PktRec[] = [];
  waitHead = 0;
  /** last capture time a packet of this flow was extracted (ns, own base) */
  lastT = 0;
  packets = 0;
  evicted = false;
  /** packets of this flow judged while it was unpaired ("flow not seen"), per canonical
   *  direction, with the first and last aligned time and their frames (up to MAX_FLOW_FRAMES):
   *  if the flow never pairs, they may still be judged as a whole flow lost (Matcher.flowEnded) */
  unseen = [0, 0];
  unseenFirst = Infinity;
  unseenLast = -Infinity;
  unseenFrames: number[] | null = null;
  constructor(readonly id: number, readonly side: 0 | 1) {}

  /** "addr:port <-> addr:port" of this capture's view (untrusted only in the sense of being
   *  capture-derived; formatting happens in the renderer). */
  endpoints(): { l3: number; lo: number[]; loPort: number; hi: number[]; hiPort: number } {
    return { l3: this.l3, lo: Array.from(this.loAddr), loPort: this.loPort, hi: Array.from(this.hiAddr), hiPort: this.hiPort };
  }
}

/** Frames kept per unpaired flow for the evidence of a whole flow lost. */
export const MAX_FLOW_FRAMES = 16;

/** Key of a flow's path and service: its two addresses, protocol and the lower port (the
 *  service's, for client-server traffic). Flows with equal keys at one capture point take the same
 *  path through both points, and a capture filtered by host or port keeps all of them or none. */
export function serviceKey(f: Flow): number {
  return mix(mix(mix(mix(hashAddr(f.l3, f.loAddr), hashAddr(f.l3, f.hiAddr)), f.proto), f.l3), Math.min(f.loPort, f.hiPort)) >>> 0;
}

export function sameService(x: Flow, y: Flow): boolean {
  if (x.l3 !== y.l3 || x.proto !== y.proto || Math.min(x.loPort, x.hiPort) !== Math.min(y.loPort, y.hiPort)) return false;
  for (let i = 0; i < 4; i++) if (x.loAddr[i] !== y.loAddr[i] || x.hiAddr[i] !== y.hiAddr[i]) return false;
  return true;
}

/** Compares endpoint (addr, port) a and b: negative when a sorts first. */
function cmpEndpoint(a: Uint32Array, ap: number, b: Uint32Array, bp: number): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return (a[i] >>> 0) < (b[i] >>> 0) ? -1 : 1;
  return ap - bp;
}

export interface FlowTableStats {
  flows: number;
  evicted: number;
  forced: number;
}

/**
 * One capture's flows. Bounded: at most `max` flows; idle flows (no packet for `idleNs` and no
 * waiting records) are swept out periodically, and when the table is full the flow idle longest
 * goes (counted in `forced`).
 */
export class FlowTable {
  private readonly map = new Map<number, Flow>();
  private nextId: number;
  size = 0;
  readonly stats: FlowTableStats = { flows: 0, evicted: 0, forced: 0 };
  onEvict: (f: Flow) => void = () => {};

  constructor(readonly side: 0 | 1, readonly max: number, idBase: number) {
    this.nextId = idBase;
  }

  /** The flow of this packet and the packet's direction in it (written to dirOut[0]). Ports are
   *  0 for ICMP: an ICMP "flow" is the address pair (echo ids are rewritten by NAT). */
  lookup(pkt: Packet, t: number, dirOut: number[]): Flow {
    const tcpUdp = pkt.srcPort >= 0 && pkt.proto !== 1 && pkt.proto !== 58;
    const sp = tcpUdp ? pkt.srcPort : 0;
    const dp = tcpUdp ? pkt.dstPort : 0;
    const c = cmpEndpoint(pkt.src, sp, pkt.dst, dp);
    const dir = c <= 0 ? 0 : 1;
    const lo = dir === 0 ? pkt.src : pkt.dst;
    const hi = dir === 0 ? pkt.dst : pkt.src;
    const lp = dir === 0 ? sp : dp;
    const hp = dir === 0 ? dp : sp;
    let h = mix(mix(mix(hashAddr(pkt.l3, lo), hashAddr(pkt.l3, hi)), (lp << 16) | hp), pkt.proto);
    h = h >>> 0;
    let f = this.map.get(h) ?? null;
    while (f !== null) {
      if (f.proto === pkt.proto && f.l3 === pkt.l3 && f.loPort === lp && f.hiPort === hp && cmpEndpoint(f.loAddr, 0, lo, 0) === 0 && cmpEndpoint(f.hiAddr, 0, hi, 0) === 0) break;
      f = f.chain;
    }
    if (f === null) {
      if (this.size >= this.max) this.evictOldest();
      f = new Flow(this.nextId++, this.side);
      f.loAddr.set(lo);
      f.hiAddr.set(hi);
      f.loPort = lp;
      f.hiPort = hp;
      f.l3 = pkt.l3;
      f.proto = pkt.proto;
      f.hash = h;
      f.chain = this.map.get(h) ?? null;
      this.map.set(h, f);
      this.size++;
      this.stats.flows++;
    }
    f.lastT = t;
    f.packets++;
    dirOut[0] = dir;
    return f;
  }

  private remove(f: Flow): void {
    let head = this.map.get(f.hash) ?? null;
    if (head === f) {
      if (f.chain) this.map.set(f.hash, f.chain);
      else this.map.delete(f.hash);
    } else {
      while (head !== null && head.chain !== f) head = head.chain;
      if (head !== null) head.chain = f.chain;
    }
    f.chain = null;
    f.evicted = true;
    this.size--;
    this.stats.evicted++;
    this.onEvict(f);
  }

  /** Removes flows idle since before `beforeT` (own clock) that hold no waiting records. */
  sweep(beforeT: number): void {
    const dead: Flow[] = [];
    for (const head of this.map.values()) {
      for (let f: Flow | null = head; f !== null; f = f.chain) {
        if (f.lastT < beforeT && f.waiting.length === f.waitHead) dead.push(f);
      }
    }
    for (const f of dead) this.remove(f);
  }

  /** The table is full: drop the sixteenth of flows idle longest in one pass (amortised, so a
   *  full table does not cost a scan per new flow). */
  private evictOldest(): void {
    const all = this.all().sort((x, y) => x.lastT - y.lastT);
    const n = Math.max(1, all.length >> 4);
    for (let i = 0; i < n; i++) {
      this.stats.forced++;
      this.remove(all[i]);
    }
  }

  all(): Flow[] {
    const out: Flow[] = [];
    for (const head of this.map.values()) for (let f: Flow | null = head; f !== null; f = f.chain) out.push(f);
    return out;
  }
}

export const isTcp = (f: Flow): boolean => f.proto === PROTO_TCP;
