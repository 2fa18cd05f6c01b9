// The two identities of a packet.
//
// The match key says "this is the same packet" once the flow's translation is known: B's flow and
// direction, and for TCP the sequence and acknowledgement numbers in B's sequence space, the
// identity flags (SYN/FIN/RST/ACK) and the payload length; for UDP and ICMP the payload length and
// prefix hash (and ICMP type, code, echo sequence). Everything else (TTL, IP ID, window, options,
// PSH/ECN flags, payload bytes of TCP) is compared, not keyed, so a change shows as "modified"
// instead of as one lost and one injected packet.
//
// The discovery key finds the flow pairing in the first place and must survive every translation
// the path may apply (addresses, ports, sequence offsets, MSS clamping): TCP data by flags, length
// and payload prefix; TCP without data by its timestamps option (RFC 7323 values are per-host
// clocks that middleboxes normally pass through); a SYN-ACK by window, window scale and SACK
// permission; UDP and ICMP by length and payload prefix. TCP discovery needs the ACK flag so that
// one packet gives the sequence offsets of both directions.
import { PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN } from '../wire/packet.js';
import { mix } from './hash.js';
import type { Flow } from './flows.js';
import { KEY_FLAGS, type PktRec } from './record.js';

export const DK_NONE = 0;
export const DK_TCP_DATA = 1;
export const DK_TCP_TS = 2;
export const DK_TCP_SYNACK = 3;
export const DK_UDP = 4;
export const DK_ICMP = 5;

/** Sets r's discovery key (dkind stays DK_NONE when the packet cannot discover a flow). */
export function setDiscoveryKey(r: PktRec): void {
  let k = DK_NONE;
  let a = 0;
  let b = 0;
  if (r.proto === PROTO_TCP) {
    if ((r.flags & TCP_ACK) === 0) return;
    if (r.len > 0 && r.dcount > 0) {
      k = DK_TCP_DATA;
      a = ((r.flags & KEY_FLAGS) | (r.len << 9)) >>> 0;
      b = r.dhash;
    } else if (r.hasTs) {
      k = DK_TCP_TS;
      a = r.tsval;
      b = (r.tsecr ^ (r.flags & KEY_FLAGS)) >>> 0;
    } else if (r.flags & TCP_SYN) {
      k = DK_TCP_SYNACK;
      a = r.win;
      b = ((r.wscale + 1) << 1) | (r.sackPerm ? 1 : 0);
    } else return;
  } else if (r.proto === PROTO_UDP) {
    k = DK_UDP;
    a = r.len;
    b = r.dhash;
  } else {
    k = DK_ICMP;
    a = ((r.icmpType << 8) | r.icmpCode) + (r.icmpSeq + 1) * 65536;
    b = (r.dhash ^ r.len) >>> 0;
  }
  r.dkind = k;
  r.dk1 = a;
  r.dk2 = b;
  r.dkhash = mix(mix(mix(k, a), b), r.proto);
}

export function discoveryEqual(x: PktRec, y: PktRec): boolean {
  return x.dkind === y.dkind && x.dk1 === y.dk1 && x.dk2 === y.dk2 && x.proto === y.proto && (x.dkind !== DK_TCP_DATA || x.dcount === y.dcount);
}

/** Sets r's translated match key. `flow` is r's flow, already paired. */
export function setMatchKey(r: PktRec, flow: Flow): void {
  const peer = flow.peer as Flow;
  if (r.side === 0) {
    r.kflow = peer.id;
    r.kdir = r.dir ^ flow.flip;
    if (r.proto === PROTO_TCP) {
      r.kseq = (r.seq + flow.delta[r.dir]) >>> 0;
      r.kack = r.flags & TCP_ACK ? (r.ack + flow.delta[1 - r.dir]) >>> 0 : 0;
    }
  } else {
    r.kflow = flow.id;
    r.kdir = r.dir;
    if (r.proto === PROTO_TCP) {
      r.kseq = r.seq;
      r.kack = r.flags & TCP_ACK ? r.ack : 0;
    }
  }
  let h = mix(mix(r.kflow, r.kdir), r.len);
  if (r.proto === PROTO_TCP) h = mix(mix(mix(h, r.kseq), r.kack), r.flags & KEY_FLAGS);
  else h = mix(mix(h, r.dhash), (r.icmpType << 8) ^ r.icmpCode ^ (r.icmpSeq << 16));
  r.khash = h;
}

export function matchEqual(x: PktRec, y: PktRec): boolean {
  if (x.kflow !== y.kflow || x.kdir !== y.kdir || x.len !== y.len || x.proto !== y.proto) return false;
  if (x.proto === PROTO_TCP) return x.kseq === y.kseq && x.kack === y.kack && (x.flags & KEY_FLAGS) === (y.flags & KEY_FLAGS);
  return x.dhash === y.dhash && x.icmpType === y.icmpType && x.icmpCode === y.icmpCode && x.icmpSeq === y.icmpSeq;
}
