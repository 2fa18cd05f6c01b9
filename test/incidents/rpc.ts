// Byte-correct ONC RPC messages (RFC 5531) over TCP with record marking (RFC 5531 section 11: a
// 4-byte mark, high bit = last fragment, low 31 bits = fragment length), XDR (RFC 4506: big-endian,
// every item padded to 4 bytes). Only what the scenarios need: portmap GETPORT (RFC 1833), NFSv3
// WRITE (RFC 1813 3.3.7) and NULL procedures.

export const PROG_PORTMAP = 100000;
export const PROG_NFS = 100003;
export const PROG_NLM = 100021;
export const PORTMAP_PORT = 111;
export const NFS_PORT = 2049;
const PMAPPROC_GETPORT = 3;
export const NFSPROC3_WRITE = 7;
const IPPROTO_TCP = 6;
const AUTH_NONE = 0;
const AUTH_UNIX = 1;
const MSG_CALL = 0;
const MSG_REPLY = 1;
const MSG_ACCEPTED = 0;
const SUCCESS = 0;
const LAST_FRAGMENT = 0x80000000;

/** XDR encoder growing as needed. */
export class Xdr {
  private b = new Uint8Array(256);
  private v = new DataView(this.b.buffer);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.b.length) return;
    const nb = new Uint8Array(Math.max(this.b.length * 2, this.n + k));
    nb.set(this.b.subarray(0, this.n));
    this.b = nb;
    this.v = new DataView(nb.buffer);
  }
  u32(x: number): this {
    this.room(4);
    this.v.setUint32(this.n, x >>> 0);
    this.n += 4;
    return this;
  }
  u64(x: number): this {
    this.room(8);
    this.v.setBigUint64(this.n, BigInt(x));
    this.n += 8;
    return this;
  }
  /** fixed-length opaque, padded */
  fixed(x: Uint8Array): this {
    const padded = (x.length + 3) & ~3;
    this.room(padded);
    this.b.set(x, this.n);
    this.b.fill(0, this.n + x.length, this.n + padded);
    this.n += padded;
    return this;
  }
  /** variable-length opaque: length, bytes, padding */
  opaque(x: Uint8Array): this {
    return this.u32(x.length).fixed(x);
  }
  string(s: string): this {
    return this.opaque(new TextEncoder().encode(s));
  }
  bytes(): Uint8Array {
    return this.b.slice(0, this.n);
  }
}

export interface Cred {
  flavor: number;
  body: Uint8Array;
}

/** AUTH_UNIX / AUTH_SYS credential body (RFC 5531 appendix A). */
export function authUnix(stamp: number, machine: string, uid: number, gid: number, gids: number[] = []): Cred {
  const x = new Xdr().u32(stamp).string(machine).u32(uid).u32(gid).u32(gids.length);
  for (const g of gids) x.u32(g);
  return { flavor: AUTH_UNIX, body: x.bytes() };
}
export const AUTH_NULL_CRED: Cred = { flavor: AUTH_NONE, body: new Uint8Array(0) };

/** One record holding one whole message: mark + body. */
export function record(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, (LAST_FRAGMENT | body.length) >>> 0);
  out.set(body, 4);
  return out;
}

/** A call message (record-marked). */
export function call(xid: number, prog: number, vers: number, proc: number, cred: Cred, args: Uint8Array): Uint8Array {
  const x = new Xdr().u32(xid).u32(MSG_CALL).u32(2).u32(prog).u32(vers).u32(proc);
  x.u32(cred.flavor).opaque(cred.body);
  x.u32(AUTH_NONE).opaque(new Uint8Array(0)); // verifier
  x.fixed(args);
  return record(x.bytes());
}

/** An accepted, successful reply (record-marked). */
export function reply(xid: number, results: Uint8Array): Uint8Array {
  const x = new Xdr().u32(xid).u32(MSG_REPLY).u32(MSG_ACCEPTED).u32(AUTH_NONE).opaque(new Uint8Array(0)).u32(SUCCESS);
  x.fixed(results);
  return record(x.bytes());
}

/** PMAPPROC_GETPORT (v2) call for a program over TCP, and its reply. */
export function getportCall(xid: number, cred: Cred, prog: number, vers: number): Uint8Array {
  return call(xid, PROG_PORTMAP, 2, PMAPPROC_GETPORT, cred, new Xdr().u32(prog).u32(vers).u32(IPPROTO_TCP).u32(0).bytes());
}
export function getportReply(xid: number, port: number): Uint8Array {
  return reply(xid, new Xdr().u32(port).bytes());
}

/** NULL procedure (proc 0) of any program: no arguments, no results. */
export function nullCall(xid: number, prog: number, vers: number, cred: Cred): Uint8Array {
  return call(xid, prog, vers, 0, cred, new Uint8Array(0));
}
export function nullReply(xid: number): Uint8Array {
  return reply(xid, new Uint8Array(0));
}

export const UNSTABLE = 0;
export const FILE_SYNC = 2;

/** NFSv3 WRITE3args: file handle, offset, count, stable_how, data. */
export function writeCall(xid: number, cred: Cred, fh: Uint8Array, offset: number, data: Uint8Array, stable = UNSTABLE): Uint8Array {
  const args = new Xdr().opaque(fh).u64(offset).u32(data.length).u32(stable).opaque(data).bytes();
  return call(xid, PROG_NFS, 3, NFSPROC3_WRITE, cred, args);
}

/** Byte offset, within the record-marked call, of the first data byte of writeCall(). */
export function writeDataOffset(cred: Cred, fh: Uint8Array): number {
  const pad = (n: number) => (n + 3) & ~3;
  return 4 + 24 + 8 + pad(cred.body.length) + 8 + 4 + pad(fh.length) + 8 + 4 + 4 + 4;
}

/** WRITE3res for success: wcc_data with attributes before and after, count, committed, verifier. */
export function writeReply(xid: number, count: number, sizeBefore: number, fileid: number, committed: number, verf: Uint8Array, mtimeSec: number): Uint8Array {
  const x = new Xdr().u32(0); // NFS3_OK
  // pre_op_attr: size, mtime, ctime
  x.u32(1).u64(sizeBefore).u32(mtimeSec).u32(0).u32(mtimeSec).u32(0);
  // post_op_attr: fattr3
  const sizeAfter = Math.max(sizeBefore, count);
  x.u32(1).u32(1 /* NF3REG */).u32(0o644).u32(1).u32(0).u32(0).u64(sizeAfter).u64((sizeAfter + 4095) & ~4095);
  x.u32(0).u32(0); // rdev
  x.u64(0x1234).u64(fileid); // fsid, fileid
  for (let i = 0; i < 3; i++) x.u32(mtimeSec).u32(0); // atime, mtime, ctime
  x.u32(count).u32(committed).fixed(verf.subarray(0, 8));
  return reply(xid, x.bytes());
}

const MSG_DENIED = 1;
const AUTH_ERROR = 1;
export const AUTH_TOOWEAK = 5;
export const PROG_MISMATCH = 2;
export const GARBAGE_ARGS = 4;

/** A MSG_DENIED reply with AUTH_ERROR and `authStat` (RFC 5531 9: rejected_reply). */
export function authErrorReply(xid: number, authStat: number): Uint8Array {
  return record(new Xdr().u32(xid).u32(MSG_REPLY).u32(MSG_DENIED).u32(AUTH_ERROR).u32(authStat).bytes());
}

/** An accepted reply whose accept_stat is not SUCCESS; PROG_MISMATCH carries the versions served. */
export function acceptedErrorReply(xid: number, acceptStat: number, low = 3, high = 3): Uint8Array {
  const x = new Xdr().u32(xid).u32(MSG_REPLY).u32(MSG_ACCEPTED).u32(AUTH_NONE).opaque(new Uint8Array(0)).u32(acceptStat);
  if (acceptStat === PROG_MISMATCH) x.u32(low).u32(high);
  return record(x.bytes());
}
