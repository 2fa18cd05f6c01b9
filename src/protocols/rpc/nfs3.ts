// NFS version 2 (RFC 1094) and version 3 (RFC 1813) arguments and results: the key fields only
// (file handle fingerprint, names, offsets and counts, status). WRITE keeps where its data lies in
// the message so a retransmission's bytes can be compared with the original's.

import type { ArgValue, WriteInfo } from '../types.js';
import { fhFingerprint } from './fh.js';
import { nfsStatusName } from './names.js';
import type { Xdr } from './xdr.js';

type Args = Record<string, ArgValue>;

/** RFC 1813 2.5: nfs_fh3 is opaque<64>; NFSv2 handles are a fixed 32 bytes */
const NFS3_FHSIZE = 64;
const NFS2_FHSIZE = 32;
/** longest file name read (NFS servers limit names to 255 bytes) */
const MAX_NAME = 1024;
/** largest WRITE payload accepted as plausible (Linux wsize max 1 MiB; some servers allow more) */
const MAX_WRITE_DATA = 64 << 20;
const FATTR3_BYTES = 84;
const WCC_ATTR_BYTES = 24;

const STABLE = ['UNSTABLE', 'DATA_SYNC', 'FILE_SYNC'];

/** Most result bytes decodeNfs3Reply reads (WRITE: status, wcc_data with both attributes,
 *  count, committed); the framer need not keep more of a reply (READ data). */
export const NFS3_REPLY_BYTES_READ = 4 + (4 + WCC_ATTR_BYTES) + (4 + FATTR3_BYTES) + 4 + 4;

export function stableName(s: number): string {
  return STABLE[s] ?? String(s);
}

function fh3(x: Xdr, args: Args): void {
  const n = x.opaque(NFS3_FHSIZE);
  if (n >= 0) args.fh = fhFingerprint(x.b, x.dataPos, n);
}

function fh2(x: Xdr, args: Args): void {
  const p = x.pos;
  if (x.skip(NFS2_FHSIZE)) args.fh = fhFingerprint(x.b, p, NFS2_FHSIZE);
}

/** NFSv3 call arguments; `msgStart` is the position of the XID (WriteInfo offsets are relative to it). */
export function decodeNfs3Call(x: Xdr, proc: number, msgStart: number, args: Args): WriteInfo | null {
  switch (proc) {
    case 1: case 4: case 5: case 16: case 17: case 18: case 19: case 20: case 2: // GETATTR..PATHCONF: fh first
      fh3(x, args);
      return null;
    case 3: case 8: case 9: case 10: case 11: case 12: case 13: { // diropargs first
      fh3(x, args);
      const name = x.string(MAX_NAME);
      if (x.ok) args.name = name;
      return null;
    }
    case 14: { // RENAME from, to
      fh3(x, args);
      args.name = x.string(MAX_NAME);
      x.opaque(NFS3_FHSIZE);
      const to = x.string(MAX_NAME);
      if (x.ok) args.to = to;
      return null;
    }
    case 15: { // LINK file, link dir + name
      fh3(x, args);
      x.opaque(NFS3_FHSIZE);
      const name = x.string(MAX_NAME);
      if (x.ok) args.name = name;
      return null;
    }
    case 6: case 21: { // READ, COMMIT: fh, offset, count
      fh3(x, args);
      const offset = x.u64();
      const count = x.u32();
      if (x.ok) {
        args.offset = offset;
        args.count = count;
      }
      return null;
    }
    case 7: { // WRITE: fh, offset, count, stable, data<>
      fh3(x, args);
      const offset = x.u64();
      const count = x.u32();
      const stable = x.u32();
      if (!x.ok) return null;
      args.offset = offset;
      args.count = count;
      args.stable = stableName(stable);
      const len = x.u32();
      if (!x.ok || len > MAX_WRITE_DATA) return null;
      return { fileOffset: offset, count, stable, dataOffset: x.pos - msgStart, dataLength: len };
    }
    default:
      return null;
  }
}

export function decodeNfs2Call(x: Xdr, proc: number, msgStart: number, args: Args): WriteInfo | null {
  switch (proc) {
    case 1: case 5: case 17: case 2:
      fh2(x, args);
      return null;
    case 4: case 9: case 10: case 14: case 15: {
      fh2(x, args);
      const name = x.string(MAX_NAME);
      if (x.ok) args.name = name;
      return null;
    }
    case 6: { // READ: fh, offset, count, totalcount
      fh2(x, args);
      const offset = x.u32();
      const count = x.u32();
      if (x.ok) {
        args.offset = offset;
        args.count = count;
      }
      return null;
    }
    case 8: { // WRITE: fh, beginoffset, offset, totalcount, data<>
      fh2(x, args);
      x.u32();
      const offset = x.u32();
      x.u32();
      const len = x.u32();
      if (!x.ok || len > MAX_WRITE_DATA) return null;
      args.offset = offset;
      args.count = len;
      return { fileOffset: offset, count: len, stable: 2, dataOffset: x.pos - msgStart, dataLength: len };
    }
    default:
      return null;
  }
}

function skipPostOpAttr(x: Xdr): void {
  if (x.u32() !== 0) x.skip(FATTR3_BYTES);
}

/** NFSv2/v3 results: every procedure but NULL starts with nfsstat; READ and WRITE say how much. */
export function decodeNfs3Reply(x: Xdr, vers: number, proc: number, args: Args): { code: number; name: string } | null {
  if (proc === 0) return null;
  const status = x.u32();
  if (!x.ok) return null;
  if (status === 0 && vers === 3) {
    if (proc === 6) { // READ: post_op_attr, count, eof
      skipPostOpAttr(x);
      const count = x.u32();
      const eof = x.u32();
      if (x.ok) {
        args.readCount = count;
        args.eof = eof !== 0;
      }
    } else if (proc === 7) { // WRITE: wcc_data, count, committed, verf
      if (x.u32() !== 0) x.skip(WCC_ATTR_BYTES);
      skipPostOpAttr(x);
      const count = x.u32();
      const committed = x.u32();
      if (x.ok) {
        args.written = count;
        args.committed = stableName(committed);
      }
    }
  }
  return { code: status, name: nfsStatusName(vers, status) };
}
