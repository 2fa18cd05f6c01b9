// ONC RPC calls and replies for a whole trace: decodes each message, pairs replies with calls,
// recognises retransmitted calls, and learns ports from portmap/rpcbind replies.
//
// Pairing key: caller address + callee address + XID, not the connection (RFC 5531 section 9:
// the XID identifies the call for its client; a client that reconnects re-sends pending calls
// with the same XID on the new connection, and the reply then arrives there). Ports are left out
// on purpose: the reconnect uses a new source port.
//
// Retransmission: a call whose key is already pending (no reply yet) or was recently answered is
// a retransmission by the client (TCP-level duplicates never reach here: tcp/stream.ts delivers
// each byte once). Its arguments are compared with the first transmission's retained ones (a copy,
// or their places in the capture file, read back: places.ts, retained.ts): the
// first differing offset and a hex excerpt of both (incident C: same XID, different WRITE data).
//
// Bounds: MAX_PENDING_CALLS pending calls (oldest reported unanswered when evicted),
// MAX_RECENT_CALLS answered calls remembered, retained arguments at most
// MAX_RETAINED_BODY bytes each and MAX_RETAINED_TOTAL bytes together (oldest dropped first,
// retained.ts), MAX_ADDRESS_PAIRS caller/callee pairs named by number. Every eviction is counted.
//
// Cost: the tables are keyed by numbers, not a string: (caller, callee) is named by a small
// integer from an interning table, cached on the connection's RpcOrigin, and the key is that
// number with the XID (calltable.ts). Building and hashing a `${caller}|${callee}|${xid}` string
// per message was one of the largest costs of the pass on NFS captures.

import type { ProtoOutput } from '../output.js';
import { hex } from '../text.js';
import {
  bump, diffNs, ExchangeRecord, NO_FRAMES, type ArgValue, type Endpoint, type Exchange, type ExchangeKind, type RpcRetransmitInfo, type WriteInfo,
} from '../types.js';
import { CALL, MSG_ACCEPTED, ACCEPT_SUCCESS, REPLY, newRpcHeader, parseRpcHeader, replyStatusName } from './message.js';
import {
  PROG_MOUNT, PROG_NFS, PROG_NFS4_CB, PROG_NLM, PROG_PORTMAP, procedureName, serviceName,
} from './names.js';
import { decodeNfs2Call, decodeNfs3Call, decodeNfs3Reply, NFS3_REPLY_BYTES_READ } from './nfs3.js';
import { decodeNfs4Compound, decodeNfs4Reply, NFS4_REPLY_BYTES_READ } from './nfs4.js';
import { decodeNlmCall, decodeNlmReply, NLM_REPLY_BYTES_READ } from './nlm.js';
import { decodePortmapCall, decodePortmapReply, PORTMAP_REPLY_BYTES_READ } from './portmap.js';
import { PortTable } from './ports.js';
import { AT_COUNTED, AT_PLACES, BodyStore, MAX_RETAINED_BODY } from './retained.js';
import { RECORD_MARK_BYTES } from './record.js';
import type { PlaceReader, Places } from '../places.js';
import { Xdr } from './xdr.js';
import { CallTable } from './calltable.js';
import { RecentCalls, type RecentCall } from './recent.js';
import { KEEP_UNDECIDED } from '../framer.js';

export { MAX_RETAINED_BODY, MAX_RETAINED_TOTAL } from './retained.js';

/** Outstanding calls across the trace: NFS clients keep at most a few hundred slots per mount. */
export const MAX_PENDING_CALLS = 65536;
/** Answered calls remembered to recognise late retransmissions (incident C: 60 s later). */
export const MAX_RECENT_CALLS = 65536;
/** Caller/callee address pairs named by number: RPC runs between a few hosts; past this many the
 *  table starts over (counted), and calls pending under the old numbers can no longer pair. */
export const MAX_ADDRESS_PAIRS = 65536;
/** Pair numbers wrap below 2^30 (they are stored as 32-bit integers). */
const PAIR_ID_LIMIT = 1 << 30;
/** Arguments of a call record once its exchange is out (never written to). */
const NO_ARGS: Args = Object.freeze({}) as Args;
/** Bytes shown on each side of a body difference. */
const EXCERPT_BYTES = 16;

type Args = Record<string, ArgValue>;

interface Call {
  /** caller/callee pair number */
  pair: number;
  xid: number;
  program: number;
  version: number;
  procedure: number;
  frame: number;
  sec: number;
  nsec: number;
  args: Args;
  write: WriteInfo | null;
  caller: Endpoint;
  callee: Endpoint;
  transport: 'tcp' | 'udp';
  stream: number;
  /** the procedure arguments in the body store: ring position (-1 when not retained, AT_PLACES
   *  when kept as file places), bytes stored and the store's sequence number for it (the body is
   *  gone once !bodies.live(bodySeq)) */
  bodyAt: number;
  bodyStored: number;
  bodySeq: number;
  bodyComplete: boolean;
  bodyLen: number;
  replyFrame: number;
  retransmit: RpcRetransmitInfo | undefined;
}

/** Where a message came from, as the dispatcher knows it. */
export interface RpcOrigin {
  src: Endpoint;
  dst: Endpoint;
  transport: 'tcp' | 'udp';
  stream: number;
  /** cache of the tracker's pair numbers for (src, dst) and (dst, src), valid for `pairGen` */
  pairGen?: number;
  fwdPair?: number;
  revPair?: number;
}

/** Small integers naming (caller address, callee address) pairs. */
class PairIds {
  private readonly map = new Map<string, number>();
  private next = 1;
  /** bumped when the table starts over: cached numbers from before are stale */
  generation = 0;

  constructor(private readonly counters: ProtoOutput['counters']) {}

  id(caller: string, callee: string): number {
    const k = `${caller}|${callee}`;
    let id = this.map.get(k);
    if (id === undefined) {
      if (this.map.size >= MAX_ADDRESS_PAIRS) {
        this.map.clear();
        this.generation++;
        bump(this.counters, 'rpc_address_pairs_reset');
      }
      id = this.next;
      this.next = this.next + 1 >= PAIR_ID_LIMIT ? 1 : this.next + 1;
      this.map.set(k, id);
    }
    return id;
  }

  /** the pair's number, -1 when it has none (no call between them was seen) */
  find(caller: string, callee: string): number {
    return this.map.get(`${caller}|${callee}`) ?? -1;
  }
}

export class RpcTracker {
  readonly ports = new PortTable();
  private readonly pending = new CallTable<Call>();
  private readonly recent = new RecentCalls();
  /** what compareBodies reads of a recent call, filled from its row */
  private readonly recentView: RecentCall = {
    program: 0, procedure: 0, frame: 0, sec: 0, nsec: 0, replyFrame: 0, transport: 'tcp', stream: 0, bodyAt: -1,
    bodyStored: 0, bodySeq: -1, bodyComplete: false, bodyLen: 0,
  };
  private readonly bodies: BodyStore;
  private readonly pairs: PairIds;
  private readonly x = new Xdr();
  private readonly h = newRpcHeader();
  private readonly kx = new Xdr(); // for keep(): not the reader of a message being decoded
  private readonly kh = newRpcHeader();
  /** ProtocolOptions.retransmissionDetail: retain call arguments, remember answered calls */
  private readonly detail: boolean;
  /** ProtocolOptions.args 'all': decode procedure arguments and result fields */
  private readonly decodeArgs: boolean;
  /** ProtocolOptions.args 'diagnose': decode NFSv4 COMPOUND calls, and the WriteInfo of a call
   *  whose retransmission differs (types.ts ArgsLevel) */
  private readonly diagnoseArgs: boolean;
  /** messages, calls and replies not yet added to the counters (syncCounters): a keyed bump()
   *  per message was a visible cost; the first of each makes the key, so key order is kept */
  private nMessages = 0;
  private nCalls = 0;
  private nReplies = 0;
  /** where result fields go when arguments are not decoded (written, never read) */
  private readonly scratchArgs: Args = {};
  /** where the arguments of a late WriteInfo decode go (written, never read) */
  private readonly lateArgs: Args = {};
  /** call bodies may be kept as file places (a capture file was given) */
  private readonly placesOn: boolean;
  /** reads a call body read back from the file (late WriteInfo) */
  private readonly bx = new Xdr();

  /** `source`: the capture file, to keep call bodies as places in it (BodyStore) */
  constructor(private readonly out: ProtoOutput, source: PlaceReader | null = null) {
    this.bodies = new BodyStore(source);
    this.placesOn = source !== null;
    this.pairs = new PairIds(out.counters);
    this.detail = out.options.retransmissionDetail;
    this.decodeArgs = out.options.args === 'all';
    this.diagnoseArgs = out.options.args === 'diagnose';
  }

  /** Adds the per-message counts kept in fields to the counters. */
  syncCounters(): void {
    const c = this.out.counters;
    if (this.nMessages > 0) bump(c, 'rpc_messages', this.nMessages);
    if (this.nCalls > 0) bump(c, 'rpc_calls', this.nCalls);
    if (this.nReplies > 0) bump(c, 'rpc_replies', this.nReplies);
    this.nMessages = this.nCalls = this.nReplies = 0;
    const b = this.bodies;
    if (b.unreadable > 0) bump(c, 'rpc_bodies_unreadable', b.unreadable);
    b.unreadable = 0;
  }

  /** Calls are stored whole when all their arguments are decoded, or when they are retained and
   *  no capture file can hold them (ProtocolOptions.captureFile); else callKeep() says. */
  get keepsWholeCalls(): boolean {
    return this.decodeArgs || (this.detail && !this.placesOn);
  }

  /**
   * How many bytes of a call message (its first `avail` bytes at b[off], `wireLen` in all) the
   * decoding reads when arguments are neither retained nor decoded: the RPC header with
   * credential and verifier, all of a portmap/rpcbind call (its arguments are decoded for port
   * learning) and, at args level 'diagnose', of an NFSv4 COMPOUND call; KEEP_UNDECIDED while the
   * header is incomplete. A call whose arguments are retained is kept whole unless `placed` (the
   * framer has the file places of all its bytes so far) and the capture file can be read back.
   */
  callKeep(b: Uint8Array, off: number, avail: number, wireLen: number, placed: boolean): number {
    // retained arguments are kept from the stored bytes unless the file holds them all (their
    // places: the bytes left out are read back from there for a comparison)
    if (this.detail && !(placed && this.bodies.canPlace())) return wireLen;
    const x = this.kx.reset(b, off, off + avail);
    const h = this.kh;
    const r = parseRpcHeader(x, h);
    if (r === 'truncated') return KEEP_UNDECIDED;
    if (r === 'malformed' || h.msgType !== CALL) return avail;
    return h.program === PROG_PORTMAP || (this.diagnoseArgs && isNfs4Compound(h.program, h.version, h.procedure)) ? wireLen : h.bodyPos - off;
  }

  /** A reply with this XID would have a call to pair with (used by resync and UDP heuristics). */
  isPending(callerAddr: string, calleeAddr: string, xid: number): boolean {
    const pair = this.pairs.find(callerAddr, calleeAddr);
    return pair >= 0 && this.pending.has(pair, xid);
  }

  /** Pair number of messages from o.src to o.dst (forward) or back (reverse), cached on `o`. */
  private pairOf(o: RpcOrigin, forward: boolean): number {
    while (o.pairGen !== this.pairs.generation || o.fwdPair === undefined || o.revPair === undefined) {
      // the table may start over between the two: then both are taken again (at most twice)
      o.pairGen = this.pairs.generation;
      o.fwdPair = this.pairs.id(o.src.addr, o.dst.addr);
      o.revPair = this.pairs.id(o.dst.addr, o.src.addr);
    }
    return forward ? o.fwdPair : o.revPair;
  }

  /**
   * How many bytes of a reply message from o.src (its first `avail` bytes at b[off]) the decoding
   * reads: its RPC header plus the results decodeResults() reads for the call it answers (none
   * when no call is pending: duplicates and orphans are not decoded), KEEP_UNDECIDED while the
   * header is incomplete. If the pending call changes before the reply completes (an XID reused
   * for another program in between), results past the kept bytes read as truncated.
   */
  replyKeep(o: RpcOrigin, b: Uint8Array, off: number, avail: number): number {
    const x = this.kx.reset(b, off, off + avail);
    const h = this.kh;
    const r = parseRpcHeader(x, h);
    if (r === 'truncated') return KEEP_UNDECIDED;
    if (r === 'malformed' || h.msgType !== REPLY) return avail;
    const head = h.bodyPos - off;
    if (h.replyStat !== MSG_ACCEPTED || h.acceptStat !== ACCEPT_SUCCESS) return head;
    const call = this.pending.get(this.pairOf(o, false), h.xid);
    return call ? head + resultBytesRead(call.program, call.version, call.procedure) : head;
  }

  /**
   * One RPC message b[off, off+len) (after record marking). `missing` > 0 when bytes of it were
   * lost to gaps or cut by snaplen (headers are still used, bodies are not compared). `places`:
   * where the message lies in the capture file (record.ts RecordInfo.places), null if unknown;
   * `trimmed`: bytes at the end of the message left out of b (callKeep), which `places` covers.
   */
  onMessage(b: Uint8Array, off: number, len: number, missing: number, o: RpcOrigin, frame: number, sec: number, nsec: number,
    places: Places | null = null, trimmed = 0): void {
    const c = this.out.counters;
    const x = this.x.reset(b, off, off + len);
    const h = this.h;
    const r = parseRpcHeader(x, h);
    if (r !== 'ok') {
      bump(c, r === 'truncated' ? 'rpc_header_truncated' : 'rpc_header_malformed');
      return;
    }
    if (this.nMessages++ === 0) bump(c, 'rpc_messages', 0);
    if (h.msgType === CALL) this.call(b, off, len, missing, o, frame, sec, nsec, places, trimmed);
    else if (h.msgType === REPLY) this.reply(o, frame, sec, nsec);
  }

  private call(b: Uint8Array, off: number, len: number, missing: number, o: RpcOrigin, frame: number, sec: number, nsec: number,
    places: Places | null, trimmed: number): void {
    const h = this.h;
    const x = this.x;
    const c = this.out.counters;
    this.out.message?.({ frame, kind: 'rpc', smbCmd: -1, smbMsgId: -1, xid: h.xid, msgType: CALL, program: h.program, procedure: h.procedure });
    if (this.nCalls++ === 0) bump(c, 'rpc_calls', 0);
    const bodyPos = h.bodyPos;
    // portmap arguments are needed whatever the options: their replies teach ports
    const decode = this.decodeArgs || h.program === PROG_PORTMAP || (this.diagnoseArgs && isNfs4Compound(h.program, h.version, h.procedure));
    const args: Args = decode ? {} : NO_ARGS;
    let write = decode ? decodeCallArgs(x, h.program, h.version, h.procedure, bodyPos, args) : null;
    const k = this.pairOf(o, true);
    // the message's end: b holds its bytes up to off + len, the `trimmed` ones after are in the
    // file only (places)
    const bodyEnd = off + len + trimmed;
    const complete = missing === 0;

    const open = this.pending.get(k, h.xid);
    const doneRow = open || !this.detail ? -1 : this.recent.find(k, h.xid);
    const done = doneRow >= 0 ? this.recent.load(doneRow, this.recentView) : undefined;
    const prior: RecentCall | undefined = open ?? done;
    let retransmit: RpcRetransmitInfo | undefined;
    if (prior && prior.program === h.program && prior.procedure === h.procedure) {
      // this call's arguments: in b, or read back from the file when they were left out
      let cb = b;
      let cFrom = bodyPos;
      let cTo = bodyEnd;
      let cComplete = complete;
      if (trimmed > 0) {
        const at = RECORD_MARK_BYTES + (bodyPos - off);
        const got = places !== null ? this.bodies.readPlaces(places, at, bodyEnd - bodyPos) : null;
        if (got === null) {
          cComplete = false; // not compared (only when the file changed under us, or a gap)
          cTo = cFrom;
          if (complete) bump(c, 'rpc_bodies_unreadable');
        } else {
          cb = got;
          cFrom = 0;
          cTo = bodyEnd - bodyPos;
        }
      }
      retransmit = compareBodies(prior, this.bodies, cb, cFrom, cTo, cComplete, sec, nsec, o, done !== undefined, bodyPos - off);
      bump(c, 'rpc_retransmitted_calls');
      if (retransmit.body === 'different') {
        bump(c, 'rpc_retransmissions_with_different_data');
        if (!decode && this.diagnoseArgs) {
          // what rpc/retransmission-differs reads: this call's own WriteInfo, decoded from its
          // bytes (still those of this message) as level 'all' decodes it; its args stay empty
          if (cb === b) {
            x.pos = bodyPos;
            write = decodeCallArgs(x, h.program, h.version, h.procedure, bodyPos, this.lateArgs);
          } else {
            write = decodeCallArgs(this.bx.reset(cb, cFrom, cTo), h.program, h.version, h.procedure, cFrom, this.lateArgs);
          }
        }
      }
      if (open) {
        // the original is still waiting: report this transmission now, pair the reply with the original
        this.emit('retransmission', makeCall(k, h.xid, h.program, h.version, h.procedure, frame, sec, nsec, args, write, o, complete, len),
          0, 0, 0, '', -1, retransmit);
        return;
      }
      this.recent.delete(k, h.xid);
    } else if (prior) {
      bump(c, 'rpc_xid_reused'); // same XID, another procedure: a new call, not a retransmission
      if (open) {
        this.pending.delete(k, h.xid);
        this.emitUnanswered(open);
      }
    }

    const call = makeCall(k, h.xid, h.program, h.version, h.procedure, frame, sec, nsec, args, write, o, complete, len);
    call.retransmit = retransmit;
    if (this.detail) this.retain(call, b, bodyPos, bodyEnd, places, off, off + len);
    if (this.pending.size >= MAX_PENDING_CALLS) {
      const oldest = this.pending.shift();
      if (oldest) {
        bump(c, 'rpc_pending_evicted');
        this.emitUnanswered(oldest);
      }
    }
    this.pending.set(k, h.xid, call);
  }

  private reply(o: RpcOrigin, frame: number, sec: number, nsec: number): void {
    const h = this.h;
    const c = this.out.counters;
    if (this.nReplies++ === 0) bump(c, 'rpc_replies', 0);
    // the caller is the reply's destination
    const k = this.pairOf(o, false);
    const call = this.pending.take(k, h.xid);
    if (!call) {
      const old = this.detail ? this.recent.find(k, h.xid) : -1;
      this.out.message?.({ frame, kind: 'rpc', smbCmd: -1, smbMsgId: -1, xid: h.xid, msgType: REPLY,
        program: old >= 0 ? this.recent.program(old) : -1, procedure: old >= 0 ? this.recent.procedure(old) : -1 });
      if (old >= 0) {
        bump(c, 'rpc_duplicate_replies');
        return;
      }
      bump(c, 'rpc_orphan_replies');
      const orphan = makeCall(k, h.xid, -1, -1, -1, 0, 0, 0, {}, null,
        { src: o.dst, dst: o.src, transport: o.transport, stream: o.stream }, false, 0);
      this.emit('orphan_response', orphan, frame, sec, nsec, replyStatusName(h), h.acceptStat, undefined);
      return;
    }
    this.out.message?.({ frame, kind: 'rpc', smbCmd: -1, smbMsgId: -1, xid: h.xid, msgType: REPLY, program: call.program, procedure: call.procedure });
    let status = replyStatusName(h);
    let code = h.replyStat === MSG_ACCEPTED ? h.acceptStat : -2;
    if (h.replyStat === MSG_ACCEPTED && h.acceptStat === ACCEPT_SUCCESS) {
      const s = this.decodeResults(call, frame);
      if (s) {
        status = s.name;
        code = s.code;
      }
    }
    call.replyFrame = frame;
    this.emit('pair', call, frame, sec, nsec, status, code, call.retransmit);
    // remembered only to recognise a late retransmission or a duplicate reply, as a row of
    // numbers (recent.ts); the record can still sit in the pending table's ring for a while, so
    // let the arguments (now the exchange's) go with the exchange
    call.args = NO_ARGS;
    call.write = null;
    if (!this.detail) return;
    if (this.recent.size >= MAX_RECENT_CALLS && this.recent.shift()) bump(c, 'rpc_recent_evicted');
    this.recent.add(k, h.xid, call);
  }

  private decodeResults(call: Call, frame: number): { code: number; name: string } | null {
    const x = this.x;
    x.pos = this.h.bodyPos;
    const a = call.args === NO_ARGS ? this.scratchArgs : call.args;
    switch (call.program) {
      case PROG_NFS:
        if (call.version === 4) return call.procedure === 1 ? decodeNfs4Reply(x, a) : null;
        return decodeNfs3Reply(x, call.version, call.procedure, a);
      case PROG_NLM:
        return decodeNlmReply(x, call.procedure);
      case PROG_MOUNT:
        if (call.procedure === 1) { // MNT: fhs_status first
          const s = x.u32();
          return x.ok ? { code: s, name: s === 0 ? 'MNT_OK' : `MNT_ERR_${s}` } : null;
        }
        return null;
      case PROG_PORTMAP: {
        const port = decodePortmapReply(x, call.version, call.procedure, a);
        if (port > 0 && typeof a.program === 'number' && typeof a.proto === 'string') {
          this.ports.learn(call.callee.addr, a.proto, port, a.program, typeof a.version === 'number' ? a.version : 0, frame);
          bump(this.out.counters, 'rpc_ports_learned');
        }
        return null;
      }
      default:
        return null;
    }
  }

  /** Keeps b[from, to) (a call's arguments; the message starts at b[msgOff]) for comparison: as
   *  its places in the capture file when it has them, else a copy; an incomplete body (bytes lost
   *  to gaps, or beyond MAX_RETAINED_BODY) only counts against the budget: compareBodies says
   *  'unknown' for it whatever its bytes. */
  private retain(call: Call, b: Uint8Array, from: number, to: number, places: Places | null, msgOff: number, have: number): void {
    const n = Math.min(Math.max(0, to - from), MAX_RETAINED_BODY);
    call.bodyLen = to - from;
    if (n < to - from) call.bodyComplete = false;
    const store = this.bodies;
    store.evicted = 0;
    call.bodyAt = !call.bodyComplete ? store.retainCounted(n)
      : places !== null && places.ok ? store.retainPlaced(places, RECORD_MARK_BYTES + (from - msgOff), n, b, from, have - from)
        // (bytes left out always have places: a PDU that loses them mid-way has a gap, incomplete)
        : have - from >= n ? store.retain(b, from, n) : store.retainCounted(n);
    call.bodyStored = n;
    call.bodySeq = store.lastSeq;
    if (store.evicted > 0) bump(this.out.counters, 'rpc_bodies_evicted', store.evicted);
  }

  private emitUnanswered(call: Call): void {
    this.emit('unanswered', call, 0, 0, 0, '', -1, call.retransmit);
  }

  /** End of capture: calls still pending are unanswered. */
  finish(): void {
    for (const call of this.pending.values()) this.emitUnanswered(call);
    this.pending.clear();
  }

  private emit(kind: ExchangeKind, call: Call, resFrame: number, resSec: number, resNsec: number, status: string,
    code: number, retransmit: RpcRetransmitInfo | undefined): void {
    const known = call.program >= 0;
    const e: Exchange = new ExchangeRecord('rpc',
      known ? serviceName(call.program, call.version) : 'RPC',
      known ? procedureName(call.program, call.version, call.procedure) : '?',
      call.program, call.version, call.procedure, call.xid, kind, call.frame, resFrame, NO_FRAMES,
      call.sec, call.nsec, resSec, resNsec,
      call.frame > 0 && resFrame > 0 ? diffNs(call.sec, call.nsec, resSec, resNsec) : -1,
      status, code, call.args, call.caller, call.callee, call.transport, call.stream);
    if (retransmit) e.retransmit = retransmit;
    if (call.write) e.write = call.write;
    this.out.exchange(e);
  }
}

/** Call records are made with a constructor: on the NFS bench capture the 22-field object literal
 *  cost about 2.5% of the pass's samples, the constructor a fifth of that. */
class CallRecord implements Call {
  caller: Endpoint;
  callee: Endpoint;
  transport: 'tcp' | 'udp';
  stream: number;
  bodyAt = -1;
  bodyStored = 0;
  bodySeq = -1;
  replyFrame = 0;
  retransmit: RpcRetransmitInfo | undefined = undefined;

  constructor(public pair: number, public xid: number, public program: number, public version: number, public procedure: number,
    public frame: number, public sec: number, public nsec: number, public args: Args, public write: WriteInfo | null, o: RpcOrigin,
    public bodyComplete: boolean, public bodyLen: number) {
    this.caller = o.src;
    this.callee = o.dst;
    this.transport = o.transport;
    this.stream = o.stream;
  }
}

function makeCall(pair: number, xid: number, program: number, version: number, procedure: number, frame: number, sec: number,
  nsec: number, args: Args, write: WriteInfo | null, o: RpcOrigin, complete: boolean, len: number): Call {
  return new CallRecord(pair, xid, program, version, procedure, frame, sec, nsec, args, write, o, complete, len);
}

/** Result bytes RpcTracker.decodeResults reads for a call's reply (keep the two in step). */
function resultBytesRead(program: number, version: number, procedure: number): number {
  switch (program) {
    case PROG_NFS:
      if (version === 4) return procedure === 1 ? NFS4_REPLY_BYTES_READ : 0;
      return NFS3_REPLY_BYTES_READ;
    case PROG_NLM:
      return NLM_REPLY_BYTES_READ;
    case PROG_MOUNT:
      return procedure === 1 ? 4 : 0;
    case PROG_PORTMAP:
      return PORTMAP_REPLY_BYTES_READ;
    default:
      return 0;
  }
}

/** NFSv4 COMPOUND or CB_COMPOUND (the only procedure besides NULL): its operation list tells
 *  heartbeats (views.ts heartbeatKind) and names a rejected call (rpc/call-rejected). */
function isNfs4Compound(prog: number, vers: number, proc: number): boolean {
  return proc === 1 && ((prog === PROG_NFS && vers === 4) || prog === PROG_NFS4_CB);
}

/** Program-specific call arguments; returns WRITE data location when the call is a write. */
function decodeCallArgs(x: Xdr, prog: number, vers: number, proc: number, bodyPos: number, args: Args): WriteInfo | null {
  switch (prog) {
    case PROG_NFS:
      if (vers === 3) return decodeNfs3Call(x, proc, bodyPos, args);
      if (vers === 2) return decodeNfs2Call(x, proc, bodyPos, args);
      if (vers === 4 && proc === 1) return decodeNfs4Compound(x, bodyPos, args, false);
      return null;
    case PROG_NFS4_CB:
      if (proc === 1) decodeNfs4Compound(x, bodyPos, args, true);
      return null;
    case PROG_NLM:
      decodeNlmCall(x, vers, proc, args);
      return null;
    case PROG_PORTMAP:
      decodePortmapCall(x, vers, proc, args);
      return null;
    default:
      return null;
  }
}

function compareBodies(prior: RecentCall, bodies: BodyStore, b: Uint8Array, from: number, to: number, complete: boolean, sec: number,
  nsec: number, o: RpcOrigin, afterReply: boolean, headerLen: number): RpcRetransmitInfo {
  const info: RpcRetransmitInfo = {
    originalFrame: prior.frame,
    sinceNs: diffNs(prior.sec, prior.nsec, sec, nsec),
    afterReply,
    originalReplyFrame: prior.replyFrame,
    sameConnection: prior.transport === o.transport && prior.stream === o.stream,
    body: 'unknown', firstDiff: -1, headerLen, differingBytes: -1, originalHex: '', retransmitHex: '',
  };
  // not retained, gone, or incomplete (AT_COUNTED: the comparison below would say 'unknown' for
  // it whatever its bytes)
  if (prior.bodyAt === -1 || prior.bodyAt === AT_COUNTED || !bodies.live(prior.bodySeq)) return info;
  const at = bodies.load(prior.bodySeq, prior.bodyAt, prior.bodyStored);
  if (at < 0) return info; // kept as places, but the file no longer holds them
  const a = bodies.view;
  const aLen = prior.bodyStored;
  const n = to - from;
  // compare what both sides have; a difference inside is certain even if bytes are missing later
  const common = Math.min(aLen, n);
  let d = -1;
  for (let i = 0; i < common; i++) {
    if (a[at + i] !== b[from + i]) {
      d = i;
      break;
    }
  }
  if (d < 0 && prior.bodyComplete && complete) {
    if (prior.bodyLen === n) {
      info.body = 'same';
      info.differingBytes = 0;
      return info;
    }
    d = common;
  }
  if (d < 0) return info;
  if (!prior.bodyComplete || !complete) {
    // zero-filled holes could fake a difference: only trust it when neither side is missing bytes
    return info;
  }
  info.body = 'different';
  info.firstDiff = d;
  // every differing byte over the common length; bytes beyond the shorter body all count
  let differing = Math.abs(aLen - n);
  for (let i = d; i < common; i++) if (a[at + i] !== b[from + i]) differing++;
  info.differingBytes = differing;
  info.originalHex = hex(a, at + d, Math.min(EXCERPT_BYTES, aLen - d));
  info.retransmitHex = hex(b, from + d, Math.min(EXCERPT_BYTES, to - from - d));
  return info;
}
