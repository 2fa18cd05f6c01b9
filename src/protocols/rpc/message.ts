// ONC RPC message header (RFC 5531 section 9):
//   call:  xid, mtype=0, rpcvers=2, prog, vers, proc, cred{flavor, body<400>}, verf{flavor, body<400>}
//   reply: xid, mtype=1, reply_stat: MSG_ACCEPTED -> verf, accept_stat (PROG_MISMATCH: low, high)
//                                    MSG_DENIED   -> reject_stat (RPC_MISMATCH: low, high | AUTH_ERROR: stat)
// Parsed into one reused flat record; `bodyPos` is where the procedure arguments or results start.

import { PROBE_MORE, PROBE_NO, PROBE_YES } from '../framer.js';
import { u32be } from '../../bytes/reader.js';
import type { Xdr } from './xdr.js';

export const CALL = 0;
export const REPLY = 1;
export const RPC_VERSION = 2;
/** RFC 5531 section 8.2: opaque_auth bodies are at most 400 bytes */
export const MAX_AUTH_BYTES = 400;
/** smallest call: 10 words with empty credential and verifier */
export const MIN_CALL_BYTES = 40;
/** smallest accepted reply: xid, mtype, stat, verf flavor, verf length, accept_stat */
export const MIN_REPLY_BYTES = 24;

export const MSG_ACCEPTED = 0;
export const MSG_DENIED = 1;
export const ACCEPT_SUCCESS = 0;

const ACCEPT_STAT = ['SUCCESS', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];
const AUTH_STAT = ['AUTH_OK', 'AUTH_BADCRED', 'AUTH_REJECTEDCRED', 'AUTH_BADVERF', 'AUTH_REJECTEDVERF',
  'AUTH_TOOWEAK', 'AUTH_INVALIDRESP', 'AUTH_FAILED', 'AUTH_KERB_GENERIC', 'AUTH_TIMEEXPIRE',
  'AUTH_TKT_FILE', 'AUTH_DECODE', 'AUTH_NET_ADDR', 'RPCSEC_GSS_CREDPROBLEM', 'RPCSEC_GSS_CTXPROBLEM'];
const FLAVORS: Record<number, string> = { 0: 'AUTH_NONE', 1: 'AUTH_SYS', 2: 'AUTH_SHORT', 3: 'AUTH_DH', 6: 'RPCSEC_GSS' };

export function flavorName(f: number): string {
  return FLAVORS[f] ?? `flavor_${f}`;
}

export interface RpcHeader {
  xid: number;
  msgType: number;
  // call
  rpcVersion: number;
  program: number;
  version: number;
  procedure: number;
  credFlavor: number;
  verfFlavor: number;
  // reply
  replyStat: number;
  acceptStat: number;
  rejectStat: number;
  authStat: number;
  /** where arguments (call) or results (accepted reply) start */
  bodyPos: number;
}

export function newRpcHeader(): RpcHeader {
  return { xid: 0, msgType: -1, rpcVersion: 0, program: 0, version: 0, procedure: 0, credFlavor: 0, verfFlavor: 0,
    replyStat: -1, acceptStat: -1, rejectStat: -1, authStat: -1, bodyPos: 0 };
}

export type RpcParse = 'ok' | 'truncated' | 'malformed';

function skipAuth(x: Xdr): RpcParse {
  const n = x.u32();
  if (!x.ok) return 'truncated';
  if (n > MAX_AUTH_BYTES) return 'malformed';
  return x.skip(n) ? 'ok' : 'truncated';
}

/** Parses the header from the reader's position. */
export function parseRpcHeader(x: Xdr, h: RpcHeader): RpcParse {
  h.xid = x.u32();
  h.msgType = x.u32();
  if (!x.ok) return 'truncated';
  h.replyStat = h.acceptStat = h.rejectStat = h.authStat = -1;
  if (h.msgType === CALL) {
    h.rpcVersion = x.u32();
    h.program = x.u32();
    h.version = x.u32();
    h.procedure = x.u32();
    if (!x.ok) return 'truncated';
    if (h.rpcVersion !== RPC_VERSION) return 'malformed';
    h.credFlavor = x.u32();
    const cred = skipAuth(x);
    if (cred !== 'ok') return cred;
    h.verfFlavor = x.u32();
    const verf = skipAuth(x);
    if (verf !== 'ok') return verf;
    h.bodyPos = x.pos;
    return 'ok';
  }
  if (h.msgType !== REPLY) return 'malformed';
  h.replyStat = x.u32();
  if (!x.ok) return 'truncated';
  if (h.replyStat === MSG_ACCEPTED) {
    h.verfFlavor = x.u32();
    const verf = skipAuth(x);
    if (verf !== 'ok') return verf;
    h.acceptStat = x.u32();
    if (!x.ok) return 'truncated';
    h.bodyPos = x.pos;
    return 'ok';
  }
  if (h.replyStat !== MSG_DENIED) return 'malformed';
  h.rejectStat = x.u32();
  if (h.rejectStat === 1) h.authStat = x.u32();
  if (!x.ok) return 'truncated';
  h.bodyPos = x.pos;
  return 'ok';
}

/** 'SUCCESS', 'PROG_UNAVAIL', 'RPC_MISMATCH', 'AUTH_ERROR(AUTH_BADCRED)' */
export function replyStatusName(h: RpcHeader): string {
  if (h.replyStat === MSG_ACCEPTED) return ACCEPT_STAT[h.acceptStat] ?? `accept_stat_${h.acceptStat}`;
  if (h.rejectStat === 0) return 'RPC_MISMATCH';
  return `AUTH_ERROR(${AUTH_STAT[h.authStat] ?? h.authStat})`;
}

/** Plausibility of a call header at b[o] (no record mark), used by resync and UDP/port heuristics. */
export function probeCall(b: Uint8Array, o: number, avail: number): number {
  if (avail < 8) return PROBE_MORE;
  if (u32be(b, o + 4) !== CALL) return PROBE_NO;
  if (avail < 12) return PROBE_MORE;
  if (u32be(b, o + 8) !== RPC_VERSION) return PROBE_NO;
  if (avail < 32) return PROBE_MORE;
  const prog = u32be(b, o + 12);
  const vers = u32be(b, o + 16);
  const proc = u32be(b, o + 20);
  const flavor = u32be(b, o + 24);
  const credLen = u32be(b, o + 28);
  // program numbers: 0x00000000-0x1fffffff assigned, 0x40000000-0x5fffffff transient
  if (prog === 0 || (prog >= 0x20000000 && prog < 0x40000000) || prog >= 0x60000000) return PROBE_NO;
  if (vers === 0 || vers > 100 || proc > 1000) return PROBE_NO;
  if (flavor > 400000 || credLen > MAX_AUTH_BYTES || (credLen & 3) !== 0) return PROBE_NO;
  return PROBE_YES;
}

/** Reply shape at b[o]: accepted with a sane verifier and accept_stat, or denied with a known reason. */
export function probeReplyShape(b: Uint8Array, o: number, avail: number): number {
  if (avail < 12) return PROBE_MORE;
  if (u32be(b, o + 4) !== REPLY) return PROBE_NO;
  const stat = u32be(b, o + 8);
  if (stat === MSG_DENIED) {
    if (avail < 16) return PROBE_MORE;
    return u32be(b, o + 12) <= 1 ? PROBE_YES : PROBE_NO;
  }
  if (stat !== MSG_ACCEPTED) return PROBE_NO;
  if (avail < 20) return PROBE_MORE;
  const flavor = u32be(b, o + 12);
  const len = u32be(b, o + 16);
  if (flavor > 400000 || len > MAX_AUTH_BYTES || (len & 3) !== 0) return PROBE_NO;
  if (avail < 24 + len) return PROBE_MORE;
  return u32be(b, o + 20 + len) <= 5 ? PROBE_YES : PROBE_NO;
}
