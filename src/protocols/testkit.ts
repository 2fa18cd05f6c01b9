// Builders for test messages: SMB2 headers and bodies in NetBIOS framing, ONC RPC calls and
// replies with XDR arguments and record marking. Test-only.

import { concat as concatList } from '../capture/build.test-util.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatList(parts);
}

// ---- XDR ----
export function u32(...vs: number[]): Uint8Array {
  const b = new Uint8Array(4 * vs.length);
  const dv = new DataView(b.buffer);
  vs.forEach((v, i) => dv.setUint32(4 * i, v >>> 0));
  return b;
}
export function u64(v: number): Uint8Array {
  return u32(Math.floor(v / 0x100000000), v >>> 0);
}
export function opaque(data: Uint8Array): Uint8Array {
  const pad = (4 - (data.length % 4)) % 4;
  return concat(u32(data.length), data, new Uint8Array(pad));
}
export function str(s: string): Uint8Array {
  return opaque(new Uint8Array(Buffer.from(s, 'latin1')));
}

/** AUTH_SYS credential (stamp, machine name, uid, gid, no extra gids) */
export function authSys(name = 'client'): Uint8Array {
  return concat(u32(1), opaque(concat(u32(0x1234), str(name), u32(0, 0, 0))));
}
const AUTH_NONE = concat(u32(0), u32(0));

export function rpcCall(xid: number, prog: number, vers: number, proc: number, args: Uint8Array = new Uint8Array(0), cred = authSys()): Uint8Array {
  return concat(u32(xid, 0, 2, prog, vers, proc), cred, AUTH_NONE, args);
}
export function rpcReply(xid: number, results: Uint8Array = new Uint8Array(0), acceptStat = 0): Uint8Array {
  return concat(u32(xid, 1, 0), AUTH_NONE, u32(acceptStat), results);
}
/** record marking: the message split into fragments of at most `frag` bytes */
export function record(msg: Uint8Array, frag = msg.length): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let o = 0; o < msg.length || o === 0; o += frag) {
    const piece = msg.subarray(o, Math.min(msg.length, o + frag));
    const last = o + frag >= msg.length;
    parts.push(u32((last ? 0x80000000 : 0) | piece.length), piece);
    if (msg.length === 0) break;
  }
  return concat(...parts);
}

// ---- SMB2 ----
export interface Smb2H {
  cmd: number;
  msgId: number;
  flags?: number;
  status?: number;
  next?: number;
  asyncId?: number;
  creditCharge?: number;
  treeId?: number;
}
export function smb2Header(h: Smb2H): Uint8Array {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  b.set([0xfe, 0x53, 0x4d, 0x42]);
  dv.setUint16(4, 64, true);
  dv.setUint16(6, h.creditCharge ?? 1, true);
  dv.setUint32(8, h.status ?? 0, true);
  dv.setUint16(12, h.cmd, true);
  dv.setUint16(14, 1, true);
  dv.setUint32(16, h.flags ?? 0, true);
  dv.setUint32(20, h.next ?? 0, true);
  dv.setUint32(24, h.msgId >>> 0, true);
  dv.setUint32(28, Math.floor(h.msgId / 0x100000000), true);
  if ((h.flags ?? 0) & 2) dv.setUint32(32, h.asyncId ?? 0, true);
  else dv.setUint32(36, h.treeId ?? 1, true);
  return b;
}
export function le16(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, v >> 8]);
}
export function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
export function le64(v: number): Uint8Array {
  return concat(le32(v >>> 0), le32(Math.floor(v / 0x100000000)));
}
export function utf16(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}
export function netbios(payload: Uint8Array): Uint8Array {
  const n = payload.length;
  return concat(new Uint8Array([0, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]), payload);
}
/** Several SMB2 messages as one compound chain (NextCommand set, each padded to 8 bytes). */
export function compound(msgs: { h: Smb2H; body: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  msgs.forEach((m, i) => {
    const len = 64 + m.body.length;
    const padded = i < msgs.length - 1 ? (len + 7) & ~7 : len;
    const hdr = smb2Header({ ...m.h, next: i < msgs.length - 1 ? padded : 0 });
    parts.push(hdr, m.body, new Uint8Array(padded - len));
  });
  return concat(...parts);
}
/** ECHO request/response body */
export const ECHO_BODY = concat(le16(4), le16(0));
/** SMB2 READ request body: length, offset */
export function readRequestBody(length: number, offset: number): Uint8Array {
  const b = new Uint8Array(49);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 49, true);
  dv.setUint32(4, length, true);
  dv.setUint32(8, offset >>> 0, true);
  return b;
}
export function readResponseBody(dataLength: number): Uint8Array {
  const b = new Uint8Array(16 + dataLength);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 17, true);
  b[2] = 80;
  dv.setUint32(4, dataLength, true);
  return b;
}
/** SMB2 ERROR response body (StructureSize 9) */
export const ERROR_BODY = concat(le16(9), new Uint8Array(7));
