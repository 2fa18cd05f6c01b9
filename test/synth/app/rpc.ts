// ONC RPC messages for generated captures (RFC 5531), encoded in XDR (RFC 4506), over TCP with
// record marking (RFC 5531 section 11: a 4-byte mark, high bit = last fragment, low 31 bits =
// fragment length; one fragment per message here) or bare in a UDP datagram.
//
// NFSv3 (RFC 1813): GETATTR (3.3.1), LOOKUP (3.3.3), READ (3.3.6), WRITE (3.3.7) calls and
// replies. Portmap v2 (RFC 1833 section 3): GETPORT. READ reply and WRITE call data are the TCP
// simulator's filler (AppMessage.data), so they must be a multiple of 4 bytes (no XDR padding
// to write after them).

import { ByteWriter, msg, type AppMessage } from './writer.js';

export const PROG_PORTMAP = 100000;
export const PROG_NFS = 100003;
export const PROG_MOUNT = 100005;
export const PORTMAP_PORT = 111;
export const NFS_PORT = 2049;

export const NFSPROC3_GETATTR = 1;
export const NFSPROC3_LOOKUP = 3;
export const NFSPROC3_READ = 6;
export const NFSPROC3_WRITE = 7;
export const PMAPPROC_GETPORT = 3;

export const NFS3_OK = 0;
export const NFS3ERR_NOENT = 2;
/** RFC 1813 3.3.7 stable_how */
export const UNSTABLE = 0;
export const FILE_SYNC = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

const RPC_VERSION = 2;
const CALL = 0;
const REPLY = 1;
const MSG_ACCEPTED = 0;
const SUCCESS = 0;
const AUTH_NONE = 0;
const AUTH_UNIX = 1;
const LAST_FRAGMENT = 0x80000000;
/** RFC 5531 section 11: the fragment length is 31 bits */
const MAX_FRAGMENT = 0x7fffffff;
/** RFC 1813 2.5: ftype3 */
export const NF3REG = 1;
export const NF3DIR = 2;

export type Framing = 'record' | 'datagram';

/** AUTH_UNIX credential body (RFC 5531 appendix A): stamp, machine name, uid, gid, gids. */
export interface UnixCred {
  stamp: number;
  machine: string;
  uid: number;
  gid: number;
}

function frame(body: ByteWriter, data: number, framing: Framing): AppMessage {
  if (data % 4 !== 0) throw new Error(`RPC bulk data of ${data} bytes is not a multiple of 4 (XDR padding would follow it)`);
  if (framing === 'datagram') {
    if (data) throw new Error('bulk data in a datagram is not supported');
    return msg(body.done());
  }
  const len = body.n + data;
  if (len > MAX_FRAGMENT) throw new Error(`RPC message of ${len} bytes exceeds one fragment`);
  return msg(new ByteWriter(4 + body.n).u32be(LAST_FRAGMENT | len).bytes(body.done()).done(), data);
}

/** Call header (RFC 5531 section 9: call_body) with an AUTH_UNIX or AUTH_NONE credential and an
 *  AUTH_NONE verifier; arguments follow. */
function callHeader(xid: number, prog: number, vers: number, proc: number, cred: UnixCred | null): ByteWriter {
  const w = new ByteWriter(128).u32be(xid).u32be(CALL).u32be(RPC_VERSION).u32be(prog).u32be(vers).u32be(proc);
  if (cred) {
    const body = new ByteWriter(64).u32be(cred.stamp).xdrString(cred.machine).u32be(cred.uid).u32be(cred.gid).u32be(0);
    w.u32be(AUTH_UNIX).xdrOpaque(body.done());
  } else {
    w.u32be(AUTH_NONE).u32be(0);
  }
  return w.u32be(AUTH_NONE).u32be(0); // verifier
}

/** Accepted, successful reply header (reply_body MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS). */
function replyHeader(xid: number): ByteWriter {
  return new ByteWriter(128).u32be(xid).u32be(REPLY).u32be(MSG_ACCEPTED).u32be(AUTH_NONE).u32be(0).u32be(SUCCESS);
}

// ---- NFSv3 attributes

export interface Fattr {
  type: number;
  size: number;
  fileid: number;
  /** mtime = ctime = atime, seconds */
  sec: number;
}

/** RFC 1813 2.6 fattr3: 84 bytes */
function fattr3(w: ByteWriter, a: Fattr): ByteWriter {
  return w
    .u32be(a.type)
    .u32be(a.type === NF3DIR ? 0o755 : 0o644)
    .u32be(a.type === NF3DIR ? 2 : 1) // nlink
    .u32be(1000).u32be(1000) // uid, gid
    .u64be(a.size)
    .u64be(Math.ceil(a.size / 4096) * 4096) // used
    .u32be(0).u32be(0) // rdev
    .u64be(0x2a) // fsid
    .u64be(a.fileid)
    .u32be(a.sec).u32be(0).u32be(a.sec).u32be(0).u32be(a.sec).u32be(0); // atime, mtime, ctime
}

/** post_op_attr: present flag and fattr3 */
function postOpAttr(w: ByteWriter, a: Fattr | null): ByteWriter {
  return a ? fattr3(w.xdrBool(true), a) : w.xdrBool(false);
}

// ---- NFSv3 calls

export function getattrCall(xid: number, cred: UnixCred, fh: Uint8Array): AppMessage {
  return frame(callHeader(xid, PROG_NFS, 3, NFSPROC3_GETATTR, cred).xdrOpaque(fh), 0, 'record');
}

export function lookupCall(xid: number, cred: UnixCred, dir: Uint8Array, name: string): AppMessage {
  return frame(callHeader(xid, PROG_NFS, 3, NFSPROC3_LOOKUP, cred).xdrOpaque(dir).xdrString(name), 0, 'record');
}

export function readCall(xid: number, cred: UnixCred, fh: Uint8Array, offset: number, count: number): AppMessage {
  return frame(callHeader(xid, PROG_NFS, 3, NFSPROC3_READ, cred).xdrOpaque(fh).u64be(offset).u32be(count), 0, 'record');
}

/** WRITE3args; the `count` data bytes (filler) follow the opaque's length word. */
export function writeCall(xid: number, cred: UnixCred, fh: Uint8Array, offset: number, count: number, stable = UNSTABLE): AppMessage {
  const w = callHeader(xid, PROG_NFS, 3, NFSPROC3_WRITE, cred).xdrOpaque(fh).u64be(offset).u32be(count).u32be(stable).u32be(count);
  return frame(w, count, 'record');
}

// ---- NFSv3 replies

export function getattrReply(xid: number, attr: Fattr): AppMessage {
  return frame(fattr3(replyHeader(xid).u32be(NFS3_OK), attr), 0, 'record');
}

/** LOOKUP3resok: object handle, object and directory attributes. */
export function lookupReply(xid: number, fh: Uint8Array, attr: Fattr, dirAttr: Fattr): AppMessage {
  const w = replyHeader(xid).u32be(NFS3_OK).xdrOpaque(fh);
  return frame(postOpAttr(postOpAttr(w, attr), dirAttr), 0, 'record');
}

/** LOOKUP3resfail with NFS3ERR_NOENT: only the directory's attributes. */
export function lookupNoent(xid: number, dirAttr: Fattr): AppMessage {
  return frame(postOpAttr(replyHeader(xid).u32be(NFS3ERR_NOENT), dirAttr), 0, 'record');
}

/** READ3resok: attributes, count, eof, then the data opaque (length word and `count` filler bytes). */
export function readReply(xid: number, attr: Fattr, count: number, eof: boolean): AppMessage {
  const w = postOpAttr(replyHeader(xid).u32be(NFS3_OK), attr).u32be(count).xdrBool(eof).u32be(count);
  return frame(w, count, 'record');
}

/** WRITE3resok: wcc_data (size and times before, attributes after), count, committed, verifier. */
export function writeReply(xid: number, before: Fattr, after: Fattr, count: number, committed: number, verf: Uint8Array): AppMessage {
  const w = replyHeader(xid).u32be(NFS3_OK)
    .xdrBool(true).u64be(before.size).u32be(before.sec).u32be(0).u32be(before.sec).u32be(0); // pre_op_attr: wcc_attr
  postOpAttr(w, after).u32be(count).u32be(committed).xdrFixed(verf.subarray(0, 8));
  return frame(w, 0, 'record');
}

// ---- portmap v2 (UDP)

/** PMAPPROC_GETPORT(mapping): program, version, protocol, port (ignored). AUTH_NONE, as rpcbind
 *  clients send it. */
export function getportCall(xid: number, prog: number, vers: number, proto: number): Uint8Array {
  return frame(callHeader(xid, PROG_PORTMAP, 2, PMAPPROC_GETPORT, null).u32be(prog).u32be(vers).u32be(proto).u32be(0), 0, 'datagram').head;
}

export function getportReply(xid: number, port: number): Uint8Array {
  return frame(replyHeader(xid).u32be(port), 0, 'datagram').head;
}
