// SMB2 messages for generated captures, each in a NetBIOS session message (RFC 1002 4.3.1 as
// MS-SMB2 2.1 uses it over direct TCP: a zero type byte, then a 24-bit big-endian length).
// Every field sits at its MS-SMB2 offset; integers are little-endian. READ response and WRITE
// request data are left to the TCP simulator's filler (AppMessage.data), so bulk data costs
// nothing to build.
//
// Commands: NEGOTIATE (2.2.3/2.2.4), CREATE (2.2.13/2.2.14), CLOSE (2.2.15/2.2.16), READ
// (2.2.19/2.2.20), WRITE (2.2.21/2.2.22), ECHO (2.2.28/2.2.29), and the ERROR response (2.2.2).

import { ByteWriter, msg, utf16le, type AppMessage } from './writer.js';

export const SMB2_NEGOTIATE = 0x00;
export const SMB2_CREATE = 0x05;
export const SMB2_CLOSE = 0x06;
export const SMB2_READ = 0x08;
export const SMB2_WRITE = 0x09;
export const SMB2_ECHO = 0x0d;

export const STATUS_SUCCESS = 0x00000000;
/** 2.2.14 / MS-ERREF: a CREATE of a name that does not exist */
export const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
/** READ at or past the end of the file (MS-SMB2 3.3.5.12) */
export const STATUS_END_OF_FILE = 0xc0000011;

/** 2.2.1: the SMB2 header is always 64 bytes */
export const SMB2_HEADER_LEN = 64;
const NB_HEADER_LEN = 4;
const NB_SESSION_MESSAGE = 0x00;
/** 2.2.1.2 Flags: the message is a response */
const SMB2_FLAGS_SERVER_TO_REDIR = 0x00000001;
/** credits asked for and granted on every message: enough for a client that keeps a few
 *  requests outstanding (Windows clients ask for more; nothing here checks the balance) */
const CREDITS = 16;
/** FILETIME (100 ns units since 1601-01-01) of 2023-11-14, for the time fields */
const FILETIME = 133_444_800_000_000_000n;
/** 2.2.13 DesiredAccess: FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE */
const DESIRED_ACCESS = 0x00100083;
const FILE_ATTRIBUTE_ARCHIVE = 0x20;
/** ShareAccess: read | write | delete */
const SHARE_ALL = 0x7;
const FILE_OPEN_IF = 3;
/** CreateOptions: FILE_NON_DIRECTORY_FILE */
const FILE_NON_DIRECTORY_FILE = 0x40;
/** ImpersonationLevel: Impersonation */
const IMPERSONATION = 2;
const FILE_OPENED = 1;
/** 2.2.3 dialects offered: SMB 2.0.2, 2.1, 3.0, 3.0.2 (3.1.1 would need negotiate contexts) */
const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302];
const DIALECT_CHOSEN = 0x0302;
/** 2.2.3 SecurityMode: SMB2_NEGOTIATE_SIGNING_ENABLED */
const SIGNING_ENABLED = 0x0001;
/** 2.2.3 Capabilities: DFS | LEASING | LARGE_MTU */
const CAPABILITIES = 0x00000007;
const MAX_IO = 8 << 20;

/** The per-message identifiers a connection carries. */
export interface Smb2Ids {
  messageId: number;
  sessionId: bigint;
  treeId: number;
}

/** A 16-byte SMB2_FILEID: persistent and volatile halves (2.2.14.1). */
export function fileId(persistent: number, volatile: number): Uint8Array {
  return new ByteWriter(16).u64le(persistent).u64le(volatile).done();
}

/**
 * NetBIOS header and 64-byte sync header (2.2.1.2) for a message whose body follows; `extra`
 * is the number of bytes after `body` (filler data) counted in the NetBIOS length.
 */
function message(command: number, ids: Smb2Ids, response: boolean, status: number, body: ByteWriter, extra = 0): AppMessage {
  const len = SMB2_HEADER_LEN + body.n + extra;
  if (len > 0xffffff) throw new Error(`SMB2 message of ${len} bytes does not fit the 24-bit NetBIOS length`);
  const w = new ByteWriter(NB_HEADER_LEN + SMB2_HEADER_LEN + body.n)
    .u8(NB_SESSION_MESSAGE).u8(len >>> 16).u8((len >>> 8) & 0xff).u8(len & 0xff)
    .u8(0xfe).u8(0x53).u8(0x4d).u8(0x42) // ProtocolId: 0xFE 'S' 'M' 'B'
    .u16le(SMB2_HEADER_LEN) // StructureSize
    .u16le(1) // CreditCharge: every message here moves at most 64 KiB (3.1.5.2)
    .u32le(response ? status : 0) // Status (responses); ChannelSequence/Reserved (requests)
    .u16le(command)
    .u16le(CREDITS) // CreditRequest / CreditResponse
    .u32le(response ? SMB2_FLAGS_SERVER_TO_REDIR : 0)
    .u32le(0) // NextCommand: no compounding
    .u64le(ids.messageId)
    .u32le(0xfeff) // Reserved: the process id Windows clients put here
    .u32le(command === SMB2_NEGOTIATE ? 0 : ids.treeId)
    .u64le(command === SMB2_NEGOTIATE ? 0n : ids.sessionId)
    .zeros(16) // Signature: unsigned
    .bytes(body.done());
  return msg(w.done(), extra);
}

/** An error response (2.2.2): StructureSize 9, no error contexts, and the one ErrorData byte a
 *  zero ByteCount still requires. */
export function errorResponse(command: number, ids: Smb2Ids, status: number): AppMessage {
  return message(command, ids, true, status, new ByteWriter(9).u16le(9).u8(0).u8(0).u32le(0).u8(0));
}

export function negotiateRequest(ids: Smb2Ids, clientGuid: Uint8Array): AppMessage {
  const b = new ByteWriter(48)
    .u16le(36) // StructureSize
    .u16le(DIALECTS.length)
    .u16le(SIGNING_ENABLED)
    .u16le(0) // Reserved
    .u32le(CAPABILITIES)
    .bytes(clientGuid.subarray(0, 16))
    .u64le(0); // ClientStartTime (zero below 3.1.1)
  for (const d of DIALECTS) b.u16le(d);
  return message(SMB2_NEGOTIATE, ids, false, 0, b);
}

/** NEGOTIATE response selecting SMB 3.0.2, with an empty security buffer (no SPNEGO hint). */
export function negotiateResponse(ids: Smb2Ids, serverGuid: Uint8Array): AppMessage {
  const b = new ByteWriter(64)
    .u16le(65) // StructureSize counts the first byte of the (here empty) buffer
    .u16le(SIGNING_ENABLED)
    .u16le(DIALECT_CHOSEN)
    .u16le(0) // NegotiateContextCount / Reserved
    .bytes(serverGuid.subarray(0, 16))
    .u32le(CAPABILITIES)
    .u32le(MAX_IO).u32le(MAX_IO).u32le(MAX_IO) // MaxTransactSize, MaxReadSize, MaxWriteSize
    .u64le(FILETIME) // SystemTime
    .u64le(0) // ServerStartTime
    .u16le(SMB2_HEADER_LEN + 64) // SecurityBufferOffset: just after the fixed part
    .u16le(0) // SecurityBufferLength
    .u32le(0); // NegotiateContextOffset / Reserved2
  return message(SMB2_NEGOTIATE, ids, true, STATUS_SUCCESS, b);
}

/** CREATE request opening (or creating) the file `name` (a path relative to the share). */
export function createRequest(ids: Smb2Ids, name: string): AppMessage {
  const n = utf16le(name);
  const b = new ByteWriter(56 + n.length)
    .u16le(57) // StructureSize: 56 fixed bytes and the variable buffer
    .u8(0) // SecurityFlags
    .u8(0) // RequestedOplockLevel: none
    .u32le(IMPERSONATION)
    .u64le(0) // SmbCreateFlags
    .u64le(0) // Reserved
    .u32le(DESIRED_ACCESS)
    .u32le(FILE_ATTRIBUTE_ARCHIVE)
    .u32le(SHARE_ALL)
    .u32le(FILE_OPEN_IF)
    .u32le(FILE_NON_DIRECTORY_FILE)
    .u16le(SMB2_HEADER_LEN + 56) // NameOffset, from the start of the SMB2 header
    .u16le(n.length) // NameLength in bytes
    .u32le(0) // CreateContextsOffset
    .u32le(0) // CreateContextsLength
    .bytes(n.length ? n : new Uint8Array(1)); // an empty name still takes one buffer byte
  return message(SMB2_CREATE, ids, false, 0, b);
}

export function createResponse(ids: Smb2Ids, fid: Uint8Array, endOfFile: number): AppMessage {
  const b = new ByteWriter(88)
    .u16le(89) // StructureSize: 88 fixed bytes and the (here empty) buffer
    .u8(0) // OplockLevel
    .u8(0) // Flags
    .u32le(FILE_OPENED) // CreateAction
    .u64le(FILETIME).u64le(FILETIME).u64le(FILETIME).u64le(FILETIME) // creation, access, write, change
    .u64le((endOfFile + 4095) & ~4095) // AllocationSize
    .u64le(endOfFile)
    .u32le(FILE_ATTRIBUTE_ARCHIVE)
    .u32le(0) // Reserved2
    .bytes(fid)
    .u32le(0) // CreateContextsOffset
    .u32le(0); // CreateContextsLength
  return message(SMB2_CREATE, ids, true, STATUS_SUCCESS, b);
}

export function closeRequest(ids: Smb2Ids, fid: Uint8Array): AppMessage {
  const b = new ByteWriter(24).u16le(24).u16le(0).u32le(0).bytes(fid); // StructureSize, Flags, Reserved, FileId
  return message(SMB2_CLOSE, ids, false, 0, b);
}

/** CLOSE response without SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB: the attribute fields are zero. */
export function closeResponse(ids: Smb2Ids): AppMessage {
  const b = new ByteWriter(60).u16le(60).u16le(0).u32le(0).zeros(56 - 4); // StructureSize, Flags, Reserved, times/sizes/attributes
  return message(SMB2_CLOSE, ids, true, STATUS_SUCCESS, b);
}

export function readRequest(ids: Smb2Ids, fid: Uint8Array, offset: number, length: number): AppMessage {
  const b = new ByteWriter(49)
    .u16le(49) // StructureSize: 48 fixed bytes and a one-byte buffer
    .u8(SMB2_HEADER_LEN + 16) // Padding: where the client wants the data in the response
    .u8(0) // Flags
    .u32le(length)
    .u64le(offset)
    .bytes(fid)
    .u32le(1) // MinimumCount
    .u32le(0) // Channel: none
    .u32le(0) // RemainingBytes
    .u16le(0).u16le(0) // ReadChannelInfoOffset, ReadChannelInfoLength
    .u8(0); // Buffer
  return message(SMB2_READ, ids, false, 0, b);
}

/** READ response: 16 fixed bytes, then `length` data bytes (filler). */
export function readResponse(ids: Smb2Ids, length: number): AppMessage {
  const b = new ByteWriter(16)
    .u16le(17) // StructureSize: 16 fixed bytes and the buffer
    .u8(SMB2_HEADER_LEN + 16) // DataOffset from the start of the header
    .u8(0) // Reserved
    .u32le(length) // DataLength
    .u32le(0) // DataRemaining
    .u32le(0); // Reserved2
  return message(SMB2_READ, ids, true, STATUS_SUCCESS, b, length);
}

/** WRITE request: 48 fixed bytes, then `length` data bytes (filler). */
export function writeRequest(ids: Smb2Ids, fid: Uint8Array, offset: number, length: number): AppMessage {
  const b = new ByteWriter(48)
    .u16le(49) // StructureSize: 48 fixed bytes and the buffer
    .u16le(SMB2_HEADER_LEN + 48) // DataOffset from the start of the header
    .u32le(length)
    .u64le(offset)
    .bytes(fid)
    .u32le(0) // Channel
    .u32le(0) // RemainingBytes
    .u16le(0).u16le(0) // WriteChannelInfoOffset, WriteChannelInfoLength
    .u32le(0); // Flags
  return message(SMB2_WRITE, ids, false, 0, b, length);
}

export function writeResponse(ids: Smb2Ids, count: number): AppMessage {
  const b = new ByteWriter(16)
    .u16le(17) // StructureSize
    .u16le(0) // Reserved
    .u32le(count)
    .u32le(0) // Remaining
    .u16le(0).u16le(0); // WriteChannelInfoOffset, WriteChannelInfoLength
  return message(SMB2_WRITE, ids, true, STATUS_SUCCESS, b);
}

export function echoRequest(ids: Smb2Ids): AppMessage {
  return message(SMB2_ECHO, ids, false, 0, new ByteWriter(4).u16le(4).u16le(0));
}

export function echoResponse(ids: Smb2Ids): AppMessage {
  return message(SMB2_ECHO, ids, true, STATUS_SUCCESS, new ByteWriter(4).u16le(4).u16le(0));
}
