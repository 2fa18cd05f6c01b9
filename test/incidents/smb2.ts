// Byte-correct SMB2 messages for the incident captures, with their NetBIOS session framing
// (RFC 1002 4.3.1 as used by MS-SMB2 2.1: a zero byte, then a 24-bit big-endian length). Only the
// messages the scenarios need: NEGOTIATE, ECHO and READ, requests and responses. Every field is
// written at its MS-SMB2 offset; integers are little-endian.

export const SMB2_NEGOTIATE = 0x0000;
export const SMB2_READ = 0x0008;
export const SMB2_ECHO = 0x000d;
/** MS-SMB2 2.2.1: the header is always 64 bytes */
const HEADER_SIZE = 64;
const SMB2_FLAGS_SERVER_TO_REDIR = 0x00000001;
/** FILETIME of 2019-02-12 (100 ns units since 1601), for SystemTime */
const FILETIME_2019 = 131_944_000_000_000_000n;

class Le {
  readonly b: Uint8Array;
  private readonly v: DataView;
  constructor(n: number) {
    this.b = new Uint8Array(n);
    this.v = new DataView(this.b.buffer);
  }
  u8(o: number, x: number): this {
    this.b[o] = x;
    return this;
  }
  u16(o: number, x: number): this {
    this.v.setUint16(o, x, true);
    return this;
  }
  u32(o: number, x: number): this {
    this.v.setUint32(o, x >>> 0, true);
    return this;
  }
  u64(o: number, x: bigint | number): this {
    this.v.setBigUint64(o, BigInt(x), true);
    return this;
  }
  bytes(o: number, x: Uint8Array): this {
    this.b.set(x, o);
    return this;
  }
}

export interface Smb2HeaderFields {
  command: number;
  messageId: number;
  response: boolean;
  sessionId?: bigint;
  treeId?: number;
  /** CreditRequest (requests) or CreditResponse (responses) */
  credits?: number;
  status?: number;
}

/** The 64-byte sync header (MS-SMB2 2.2.1.2). */
function header(h: Smb2HeaderFields): Le {
  return new Le(HEADER_SIZE)
    .u8(0, 0xfe).u8(1, 0x53).u8(2, 0x4d).u8(3, 0x42) // ProtocolId 0xFE 'S' 'M' 'B'
    .u16(4, HEADER_SIZE) // StructureSize
    .u16(6, 1) // CreditCharge
    .u32(8, h.status ?? 0) // Status (responses) / ChannelSequence+Reserved (requests)
    .u16(12, h.command)
    .u16(14, h.credits ?? 1)
    .u32(16, h.response ? SMB2_FLAGS_SERVER_TO_REDIR : 0)
    .u32(20, 0) // NextCommand: no compounding
    .u64(24, h.messageId)
    .u32(32, 0) // Reserved (sync)
    .u32(36, h.treeId ?? 0)
    .u64(40, h.sessionId ?? 0n); // Signature (48..63) stays zero: unsigned
}

/** NetBIOS session message carrying one SMB2 message. */
function frame(h: Smb2HeaderFields, body: Uint8Array): Uint8Array {
  const len = HEADER_SIZE + body.length;
  const out = new Uint8Array(4 + len);
  out[0] = 0x00; // session message
  out[1] = (len >>> 16) & 0xff;
  out[2] = (len >>> 8) & 0xff;
  out[3] = len & 0xff;
  out.set(header(h).b, 4);
  out.set(body, 4 + HEADER_SIZE);
  return out;
}

const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302];

/** NEGOTIATE request (2.2.3) offering SMB 2.0.2 to 3.0.2 (no 3.1.1, so no negotiate contexts). */
export function negotiateRequest(messageId: number, clientGuid: Uint8Array): Uint8Array {
  const body = new Le(36 + 2 * DIALECTS.length)
    .u16(0, 36) // StructureSize
    .u16(2, DIALECTS.length)
    .u16(4, 0x0001) // SecurityMode: signing enabled
    .u32(8, 0x0000007f & ~0x40) // Capabilities: DFS, leasing, large MTU, multi-channel, persistent handles, directory leasing (no encryption)
    .bytes(12, clientGuid.subarray(0, 16))
    .u64(28, 0); // ClientStartTime (must be 0 below 3.1.1)
  DIALECTS.forEach((d, i) => body.u16(36 + 2 * i, d));
  return frame({ command: SMB2_NEGOTIATE, messageId, response: false, credits: 10 }, body.b);
}

/** NEGOTIATE response (2.2.4) selecting SMB 3.0.2, with an empty security buffer. */
export function negotiateResponse(messageId: number, serverGuid: Uint8Array): Uint8Array {
  const body = new Le(64)
    .u16(0, 65) // StructureSize is 65 although the fixed part is 64 bytes (the buffer's first byte counts)
    .u16(2, 0x0001) // SecurityMode
    .u16(4, 0x0302) // DialectRevision
    .u16(6, 0) // NegotiateContextCount
    .bytes(8, serverGuid.subarray(0, 16))
    .u32(24, 0x0000002f) // Capabilities
    .u32(28, 8 * 1024 * 1024) // MaxTransactSize
    .u32(32, 8 * 1024 * 1024) // MaxReadSize
    .u32(36, 8 * 1024 * 1024) // MaxWriteSize
    .u64(40, FILETIME_2019) // SystemTime
    .u64(48, 0) // ServerStartTime
    .u16(56, HEADER_SIZE + 64) // SecurityBufferOffset (from the start of the header)
    .u16(58, 0) // SecurityBufferLength
    .u32(60, 0); // NegotiateContextOffset
  return frame({ command: SMB2_NEGOTIATE, messageId, response: true, credits: 1 }, body.b);
}

/** ECHO request or response (2.2.28 / 2.2.29): StructureSize 4 and two reserved bytes. */
export function echo(messageId: number, response: boolean, sessionId: bigint): Uint8Array {
  return frame({ command: SMB2_ECHO, messageId, response, sessionId, credits: 1 }, new Le(4).u16(0, 4).b);
}

/** READ request (2.2.19): `length` bytes at `offset` of the open `fileId`. */
export function readRequest(messageId: number, sessionId: bigint, treeId: number, fileId: Uint8Array, offset: number, length: number): Uint8Array {
  const body = new Le(49)
    .u16(0, 49) // StructureSize
    .u8(2, 0x50) // Padding: where the server should put the data in its response
    .u8(3, 0) // Flags
    .u32(4, length)
    .u64(8, offset)
    .bytes(16, fileId.subarray(0, 16))
    .u32(32, 1) // MinimumCount
    .u32(36, 0) // Channel: none
    .u32(40, 0) // RemainingBytes
    .u16(44, 0) // ReadChannelInfoOffset
    .u16(46, 0); // ReadChannelInfoLength; byte 48 is the one-byte Buffer
  return frame({ command: SMB2_READ, messageId, response: false, sessionId, treeId, credits: 1 }, body.b);
}

/** READ response (2.2.20) carrying `data`. */
export function readResponse(messageId: number, sessionId: bigint, treeId: number, data: Uint8Array): Uint8Array {
  const body = new Le(16 + data.length)
    .u16(0, 17) // StructureSize 17: 16 fixed bytes and the buffer
    .u8(2, HEADER_SIZE + 16) // DataOffset from the start of the header
    .u8(3, 0)
    .u32(4, data.length)
    .u32(8, 0) // DataRemaining
    .u32(12, 0) // Reserved2
    .bytes(16, data);
  return frame({ command: SMB2_READ, messageId, response: true, sessionId, treeId, credits: 1 }, body.b);
}

/** TCP payload length of a READ response carrying `n` data bytes. */
export const readResponseLength = (n: number): number => 4 + HEADER_SIZE + 16 + n;

export const SMB2_SESSION_SETUP = 0x0001;
export const SMB2_TREE_CONNECT = 0x0003;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
export const STATUS_LOGON_FAILURE = 0xc000006d;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_BAD_NETWORK_NAME = 0xc00000cc;

/** SESSION_SETUP request (2.2.5) with an opaque security blob (a test does not need real GSS). */
export function sessionSetupRequest(messageId: number, sessionId: bigint, blob: Uint8Array): Uint8Array {
  const body = new Le(24 + blob.length)
    .u16(0, 25) // StructureSize: 24 fixed bytes and the buffer
    .u8(2, 0) // Flags: not a binding
    .u8(3, 0x01) // SecurityMode: signing enabled
    .u32(4, 0x01) // Capabilities: DFS
    .u32(8, 0) // Channel
    .u16(12, HEADER_SIZE + 24) // SecurityBufferOffset
    .u16(14, blob.length)
    .u64(16, 0) // PreviousSessionId
    .bytes(24, blob);
  return frame({ command: SMB2_SESSION_SETUP, messageId, response: false, sessionId, credits: 1 }, body.b);
}

/** SESSION_SETUP response (2.2.6) with `status`: success or MORE_PROCESSING_REQUIRED carry a
 *  security blob; an error carries the ERROR response body (2.2.2). */
export function sessionSetupResponse(messageId: number, sessionId: bigint, status: number, blob = new Uint8Array(8)): Uint8Array {
  if (status !== 0 && status !== STATUS_MORE_PROCESSING_REQUIRED) return errorResponse(SMB2_SESSION_SETUP, messageId, sessionId, status);
  const body = new Le(8 + blob.length)
    .u16(0, 9) // StructureSize
    .u16(2, 0) // SessionFlags
    .u16(4, HEADER_SIZE + 8) // SecurityBufferOffset
    .u16(6, blob.length)
    .bytes(8, blob);
  return frame({ command: SMB2_SESSION_SETUP, messageId, response: true, sessionId, credits: 1, status }, body.b);
}

/** TREE_CONNECT request (2.2.9) for a UNC path such as \\server\share. */
export function treeConnectRequest(messageId: number, sessionId: bigint, path: string): Uint8Array {
  const p = new Uint8Array(path.length * 2);
  for (let i = 0; i < path.length; i++) new DataView(p.buffer).setUint16(2 * i, path.charCodeAt(i), true);
  const body = new Le(8 + p.length)
    .u16(0, 9) // StructureSize
    .u16(2, 0) // Flags
    .u16(4, HEADER_SIZE + 8) // PathOffset
    .u16(6, p.length)
    .bytes(8, p);
  return frame({ command: SMB2_TREE_CONNECT, messageId, response: false, sessionId, credits: 1 }, body.b);
}

/** TREE_CONNECT response (2.2.10): a disk share on success, the ERROR body otherwise. */
export function treeConnectResponse(messageId: number, sessionId: bigint, treeId: number, status: number): Uint8Array {
  if (status !== 0) return errorResponse(SMB2_TREE_CONNECT, messageId, sessionId, status);
  const body = new Le(16)
    .u16(0, 16) // StructureSize
    .u8(2, 0x01) // ShareType: disk
    .u32(4, 0) // ShareFlags
    .u32(8, 0) // Capabilities
    .u32(12, 0x001f01ff); // MaximalAccess: full
  return frame({ command: SMB2_TREE_CONNECT, messageId, response: true, sessionId, treeId, credits: 1 }, body.b);
}

/** ERROR response (2.2.2): StructureSize 9, no error contexts, one byte of ErrorData. */
export function errorResponse(command: number, messageId: number, sessionId: bigint, status: number): Uint8Array {
  const body = new Le(9).u16(0, 9).u8(2, 0).u32(4, 0);
  return frame({ command, messageId, response: true, sessionId, credits: 1, status }, body.b);
}
export const STATUS_USER_SESSION_DELETED = 0xc0000203;
