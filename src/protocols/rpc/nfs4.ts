// NFSv4.x COMPOUND (RFC 7530 section 16, RFC 8881 section 18): the list of operations in a call,
// with the key arguments of PUTFH, LOOKUP, OPEN, READ and WRITE. Operations are walked by
// skipping each one's arguments; the walk stops at an operation whose arguments pcapdx does not
// know how to skip (the list then ends with '...'). The reply gives the COMPOUND status.

import type { ArgValue, WriteInfo } from '../types.js';
import { fhFingerprint } from './fh.js';
import { nfsStatusName } from './names.js';
import { stableName } from './nfs3.js';
import type { Xdr } from './xdr.js';

type Args = Record<string, ArgValue>;

const NFS4_FHSIZE = 128;
const STATEID = 16;
const SESSIONID = 16;
const VERIFIER = 8;
/** names, tags, owners: NFSv4 does not bound them; real ones are short */
const MAX_OPAQUE = 4096;
const MAX_BITMAP_WORDS = 16;
/** operations listed per COMPOUND (real clients send fewer than 20) */
const MAX_OPS = 64;
const MAX_WRITE_DATA = 64 << 20;

/** Most result bytes decodeNfs4Reply reads: status, tag<MAX_OPAQUE>, result count. */
export const NFS4_REPLY_BYTES_READ = 4 + 4 + MAX_OPAQUE + 4;

export const OP_SEQUENCE = 53;
export const OP_RENEW = 30;
export const OP_WRITE = 38;

const OPS: Record<number, string> = {
  3: 'ACCESS', 4: 'CLOSE', 5: 'COMMIT', 6: 'CREATE', 7: 'DELEGPURGE', 8: 'DELEGRETURN', 9: 'GETATTR',
  10: 'GETFH', 11: 'LINK', 12: 'LOCK', 13: 'LOCKT', 14: 'LOCKU', 15: 'LOOKUP', 16: 'LOOKUPP',
  17: 'NVERIFY', 18: 'OPEN', 19: 'OPENATTR', 20: 'OPEN_CONFIRM', 21: 'OPEN_DOWNGRADE', 22: 'PUTFH',
  23: 'PUTPUBFH', 24: 'PUTROOTFH', 25: 'READ', 26: 'READDIR', 27: 'READLINK', 28: 'REMOVE',
  29: 'RENAME', 30: 'RENEW', 31: 'RESTOREFH', 32: 'SAVEFH', 33: 'SECINFO', 34: 'SETATTR',
  35: 'SETCLIENTID', 36: 'SETCLIENTID_CONFIRM', 37: 'VERIFY', 38: 'WRITE', 39: 'RELEASE_LOCKOWNER',
  40: 'BACKCHANNEL_CTL', 41: 'BIND_CONN_TO_SESSION', 42: 'EXCHANGE_ID', 43: 'CREATE_SESSION',
  44: 'DESTROY_SESSION', 45: 'FREE_STATEID', 46: 'GET_DIR_DELEGATION', 47: 'GETDEVICEINFO',
  48: 'GETDEVICELIST', 49: 'LAYOUTCOMMIT', 50: 'LAYOUTGET', 51: 'LAYOUTRETURN', 52: 'SECINFO_NO_NAME',
  53: 'SEQUENCE', 54: 'SET_SSV', 55: 'TEST_STATEID', 56: 'WANT_DELEGATION', 57: 'DESTROY_CLIENTID',
  58: 'RECLAIM_COMPLETE', 59: 'ALLOCATE', 60: 'COPY', 61: 'COPY_NOTIFY', 62: 'DEALLOCATE',
  63: 'IO_ADVISE', 64: 'LAYOUTERROR', 65: 'LAYOUTSTATS', 66: 'OFFLOAD_CANCEL', 67: 'OFFLOAD_STATUS',
  68: 'READ_PLUS', 69: 'SEEK', 70: 'WRITE_SAME', 71: 'CLONE', 10044: 'ILLEGAL',
};

const CB_OPS: Record<number, string> = {
  3: 'CB_GETATTR', 4: 'CB_RECALL', 5: 'CB_LAYOUTRECALL', 6: 'CB_NOTIFY', 7: 'CB_PUSH_DELEG',
  8: 'CB_RECALL_ANY', 9: 'CB_RECALLABLE_OBJ_AVAIL', 10: 'CB_RECALL_SLOT', 11: 'CB_SEQUENCE',
  12: 'CB_WANTS_CANCELLED', 13: 'CB_NOTIFY_LOCK', 14: 'CB_NOTIFY_DEVICEID', 15: 'CB_OFFLOAD',
};

export function nfs4OpName(op: number): string {
  return OPS[op] ?? `OP_${op}`;
}

function bitmap(x: Xdr): void {
  const n = x.u32();
  if (n > MAX_BITMAP_WORDS) x.skip(-1);
  else x.skip(4 * n);
}
function fattr(x: Xdr): void {
  bitmap(x);
  x.opaque(MAX_OPAQUE);
}
function name(x: Xdr, args: Args | null): void {
  const s = x.string(MAX_OPAQUE);
  if (args && x.ok) args.name = s;
}
function lockOwner(x: Xdr): void {
  x.u64();
  x.opaque(MAX_OPAQUE);
}
/** channel_attrs4: 6 counts + rdma_ird<1> */
function channelAttrs(x: Xdr): void {
  x.skip(24);
  const n = x.u32();
  if (n > 1) x.skip(-1);
  else x.skip(4 * n);
}
/** callback_sec_parms4<> */
function secParms(x: Xdr): void {
  const n = x.u32();
  for (let i = 0; i < n && x.ok; i++) {
    const flavor = x.u32();
    if (flavor === 1) { // AUTH_SYS: stamp, machinename, uid, gid, gids<16>
      x.u32();
      x.opaque(255);
      x.skip(8);
      const g = x.u32();
      if (g > 16) x.skip(-1);
      else x.skip(4 * g);
    } else if (flavor === 6) { // RPCSEC_GSS: service, two handles
      x.u32();
      x.opaque(MAX_OPAQUE);
      x.opaque(MAX_OPAQUE);
    } else if (flavor !== 0) {
      x.skip(-1);
    }
  }
}

/**
 * Skips the arguments of `op`, noting key fields. Returns false when the operation is not known
 * (the walk must stop). `write` receives WRITE's data location.
 */
function skipOp(x: Xdr, op: number, args: Args, msgStart: number, w: { info: WriteInfo | null }): boolean {
  switch (op) {
    case 10: case 16: case 23: case 24: case 27: case 31: case 32: // no arguments
      return true;
    case 3: case 19: case 52: case 58: // one word
      x.u32();
      return true;
    case 4: x.u32(); x.skip(STATEID); return true; // CLOSE
    case 5: x.u64(); x.u32(); return true; // COMMIT
    case 6: { // CREATE: createtype4, objname, createattrs
      const t = x.u32();
      if (t === 5) x.opaque(MAX_OPAQUE); // NF4LNK linkdata
      else if (t === 3 || t === 4) x.skip(8); // block/char specdata
      name(x, args);
      fattr(x);
      return true;
    }
    case 7: case 30: case 57: x.u64(); return true; // DELEGPURGE, RENEW, DESTROY_CLIENTID
    case 8: case 45: x.skip(STATEID); return true;
    case 9: bitmap(x); return true;
    case 11: case 15: case 28: case 33: name(x, args); return true; // LINK, LOOKUP, REMOVE, SECINFO
    case 12: { // LOCK
      x.skip(4 + 4 + 8 + 8);
      if (x.u32() !== 0) { x.u32(); x.skip(STATEID); x.u32(); lockOwner(x); } else { x.skip(STATEID); x.u32(); }
      return true;
    }
    case 13: x.skip(4 + 8 + 8); lockOwner(x); return true; // LOCKT
    case 14: x.skip(4 + 4 + STATEID + 8 + 8); return true; // LOCKU
    case 17: case 37: fattr(x); return true; // NVERIFY, VERIFY
    case 18: { // OPEN
      x.skip(12);
      lockOwner(x);
      if (x.u32() === 1) { // OPEN4_CREATE
        const mode = x.u32();
        if (mode === 0 || mode === 1) fattr(x);
        else if (mode === 2) x.skip(VERIFIER);
        else if (mode === 3) { x.skip(VERIFIER); fattr(x); }
      }
      const claim = x.u32();
      if (claim === 0 || claim === 3) name(x, args);
      else if (claim === 1) x.u32();
      else if (claim === 2) { x.skip(STATEID); name(x, args); }
      else if (claim === 5) x.skip(STATEID);
      return true;
    }
    case 20: x.skip(STATEID); x.u32(); return true; // OPEN_CONFIRM
    case 21: x.skip(STATEID + 12); return true; // OPEN_DOWNGRADE
    case 22: { // PUTFH
      const n = x.opaque(NFS4_FHSIZE);
      if (n >= 0) args.fh = fhFingerprint(x.b, x.dataPos, n);
      return true;
    }
    case 25: { // READ
      x.skip(STATEID);
      const offset = x.u64();
      const count = x.u32();
      if (x.ok) { args.offset = offset; args.count = count; }
      return true;
    }
    case 26: x.skip(8 + VERIFIER + 8); bitmap(x); return true; // READDIR
    case 29: name(x, args); { const to = x.string(MAX_OPAQUE); if (x.ok) args.to = to; } return true;
    case 34: x.skip(STATEID); fattr(x); return true; // SETATTR
    case 35: { // SETCLIENTID
      x.skip(VERIFIER);
      x.opaque(MAX_OPAQUE);
      x.u32();
      x.opaque(MAX_OPAQUE);
      x.opaque(MAX_OPAQUE);
      x.u32();
      return true;
    }
    case 36: x.skip(8 + VERIFIER); return true; // SETCLIENTID_CONFIRM
    case 38: { // WRITE: stateid, offset, stable, data<>
      x.skip(STATEID);
      const offset = x.u64();
      const stable = x.u32();
      const len = x.u32();
      if (!x.ok || len > MAX_WRITE_DATA) { x.skip(-1); return true; }
      args.offset = offset;
      args.count = len;
      args.stable = stableName(stable);
      w.info = { fileOffset: offset, count: len, stable, dataOffset: x.pos - msgStart, dataLength: len };
      x.skip(len);
      return true;
    }
    case 39: lockOwner(x); return true;
    case 40: x.u32(); secParms(x); return true; // BACKCHANNEL_CTL
    case 41: x.skip(SESSIONID + 8); return true; // BIND_CONN_TO_SESSION
    case 42: { // EXCHANGE_ID
      x.skip(VERIFIER);
      x.opaque(MAX_OPAQUE);
      x.u32();
      const how = x.u32();
      if (how === 1) { bitmap(x); bitmap(x); } else if (how !== 0) return false;
      const impl = x.u32();
      if (impl > 1) return false;
      if (impl === 1) { x.opaque(MAX_OPAQUE); x.opaque(MAX_OPAQUE); x.skip(12); }
      return true;
    }
    case 43: x.skip(8 + 4 + 4); channelAttrs(x); channelAttrs(x); x.u32(); secParms(x); return true;
    case 44: x.skip(SESSIONID); return true;
    case 47: x.skip(16 + 4 + 4); bitmap(x); return true; // GETDEVICEINFO
    case 50: x.skip(4 + 4 + 4 + 8 + 8 + 8 + STATEID + 4); return true; // LAYOUTGET
    case 51: { // LAYOUTRETURN
      x.skip(12);
      if (x.u32() === 1) { x.skip(16 + STATEID); x.opaque(MAX_OPAQUE); }
      return true;
    }
    case 53: x.skip(SESSIONID + 16); return true; // SEQUENCE
    case 55: { const n = x.u32(); if (n > 1024) x.skip(-1); else x.skip(STATEID * n); return true; }
    default:
      return false;
  }
}

/** COMPOUND (proc 1) call: tag, minorversion, argarray. */
export function decodeNfs4Compound(x: Xdr, msgStart: number, args: Args, callback: boolean): WriteInfo | null {
  x.opaque(MAX_OPAQUE); // tag
  const minor = x.u32();
  if (callback) x.u32(); // callback_ident
  const n = x.u32();
  if (!x.ok) return null;
  args.minorVersion = minor;
  const names: string[] = [];
  const w = { info: null as WriteInfo | null };
  let complete = true;
  for (let i = 0; i < n; i++) {
    if (i >= MAX_OPS) { complete = false; break; }
    const op = x.u32();
    if (!x.ok) { complete = false; break; }
    if (callback) {
      names.push(CB_OPS[op] ?? `CB_OP_${op}`);
      complete = i + 1 === n;
      break; // callback arguments are not walked: the first operation names the call
    }
    names.push(nfs4OpName(op));
    if (!skipOp(x, op, args, msgStart, w) || !x.ok) { complete = i + 1 === n && x.ok; break; }
  }
  args.ops = names.join(',') + (complete ? '' : ',...');
  return w.info;
}

/** COMPOUND reply: status, tag, number of results. */
export function decodeNfs4Reply(x: Xdr, args: Args): { code: number; name: string } | null {
  const status = x.u32();
  x.opaque(MAX_OPAQUE);
  const n = x.u32();
  if (!x.ok) return null;
  args.results = n;
  return { code: status, name: nfsStatusName(4, status) };
}
