// SMB2 packet header (MS-SMB2 2.2.1.1 async, 2.2.1.2 sync): 64 bytes, little-endian.
//   0 ProtocolId  4 StructureSize(64)  6 CreditCharge  8 Status (ChannelSequence in requests)
//  12 Command  14 CreditRequest/Response  16 Flags  20 NextCommand  24 MessageId(8)
//  32 async: AsyncId(8) | sync: Reserved(4) TreeId(4)   40 SessionId(8)  48 Signature(16)

import { u16le, u32be, u32le } from '../../bytes/reader.js';
import { SMB2_FLAGS_ASYNC_COMMAND, SMB2_HEADER_LEN, SMB2_MAGIC } from './constants.js';

/** A decoded header: plain numbers, reused by the caller. */
export interface Smb2Header {
  creditCharge: number;
  status: number;
  command: number;
  credits: number;
  flags: number;
  nextCommand: number;
  /** MessageId as a number; -1 for 0xFFFFFFFFFFFFFFFF (unsolicited oplock break) */
  messageId: number;
  /** AsyncId (async form) as a number, -1 in the sync form */
  asyncId: number;
  treeId: number;
  sessionId: number;
}

export function newSmb2Header(): Smb2Header {
  return { creditCharge: 0, status: 0, command: 0, credits: 0, flags: 0, nextCommand: 0, messageId: 0, asyncId: -1, treeId: 0, sessionId: 0 };
}

export type HeaderResult = 'ok' | 'truncated' | 'malformed';

/** 64-bit little-endian value as a number (exact below 2^53); -1 for all ones. */
export function u64le(b: Uint8Array, o: number): number {
  const lo = u32le(b, o);
  const hi = u32le(b, o + 4);
  if (hi === 0xffffffff && lo === 0xffffffff) return -1;
  return hi * 0x100000000 + lo;
}

export function parseSmb2Header(b: Uint8Array, o: number, end: number, h: Smb2Header): HeaderResult {
  if (end - o < SMB2_HEADER_LEN) return 'truncated';
  if (u32be(b, o) !== SMB2_MAGIC || u16le(b, o + 4) !== SMB2_HEADER_LEN) return 'malformed';
  h.creditCharge = u16le(b, o + 6);
  h.status = u32le(b, o + 8);
  h.command = u16le(b, o + 12);
  h.credits = u16le(b, o + 14);
  h.flags = u32le(b, o + 16);
  h.nextCommand = u32le(b, o + 20);
  h.messageId = u64le(b, o + 24);
  if ((h.flags & SMB2_FLAGS_ASYNC_COMMAND) !== 0) {
    h.asyncId = u64le(b, o + 32);
    h.treeId = 0;
  } else {
    h.asyncId = -1;
    h.treeId = u32le(b, o + 36);
  }
  h.sessionId = u64le(b, o + 40);
  return 'ok';
}
