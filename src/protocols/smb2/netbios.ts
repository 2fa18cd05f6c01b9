// NetBIOS session service framing (RFC 1002 4.3.1) as SMB uses it on TCP 139, and the "direct
// TCP" variant on 445 (MS-SMB2 2.1: a zero byte then a 24-bit length). Both are read the same
// way: type 0x00 (session message) takes a 24-bit length, the other types a 17-bit one.

import { u16be, u32be } from '../../bytes/reader.js';
import { PROBE_MORE, PROBE_NO, PROBE_YES, type FramingSpec } from '../framer.js';
import {
  SMB1_MAGIC, SMB2_COMPRESSION_HEADER_LEN, SMB2_COMPRESSION_MAGIC, SMB2_HEADER_LEN, SMB2_MAGIC,
  SMB2_TRANSFORM_HEADER_LEN, SMB2_TRANSFORM_MAGIC,
} from './constants.js';

export const NB_SESSION_MESSAGE = 0x00;
export const NB_SESSION_REQUEST = 0x81;
export const NB_POSITIVE_RESPONSE = 0x82;
export const NB_NEGATIVE_RESPONSE = 0x83;
export const NB_RETARGET = 0x84;
export const NB_KEEPALIVE = 0x85;
export const NB_HEADER_LEN = 4;
/** smallest SMB1 header (MS-CIFS 2.2.3.1) */
const SMB1_HEADER_LEN = 32;
/** bytes a resync probe looks at: NetBIOS header, magic, SMB2 StructureSize */
const PROBE_BYTES = 10;

export function netbiosLength(b: Uint8Array, o: number): number {
  const type = b[o];
  if (type === NB_SESSION_MESSAGE) return NB_HEADER_LEN + ((b[o + 1] << 16) | u16be(b, o + 2));
  if (type >= NB_SESSION_REQUEST && type <= NB_KEEPALIVE && (b[o + 1] & 0xfe) === 0) {
    return NB_HEADER_LEN + (((b[o + 1] & 1) << 16) | u16be(b, o + 2));
  }
  return -1;
}

/** Smallest NetBIOS payload that can hold a message starting with `magic`, 0 if not an SMB magic. */
function minPayload(magic: number): number {
  switch (magic) {
    case SMB2_MAGIC: return SMB2_HEADER_LEN;
    case SMB1_MAGIC: return SMB1_HEADER_LEN;
    case SMB2_TRANSFORM_MAGIC: return SMB2_TRANSFORM_HEADER_LEN;
    case SMB2_COMPRESSION_MAGIC: return SMB2_COMPRESSION_HEADER_LEN;
    default: return 0;
  }
}

/** Does b[o, o+avail) start an SMB message in a NetBIOS session message? */
export function probeSmb(b: Uint8Array, o: number, avail: number): number {
  if (b[o] !== NB_SESSION_MESSAGE) return PROBE_NO;
  if (avail < 8) return PROBE_MORE;
  const magic = u32be(b, o + 4);
  const min = minPayload(magic);
  if (min === 0) return PROBE_NO;
  const len = (b[o + 1] << 16) | u16be(b, o + 2);
  if (len < min) return PROBE_NO;
  if (magic === SMB2_MAGIC) {
    if (avail < PROBE_BYTES) return PROBE_MORE;
    if ((b[o + 8] | (b[o + 9] << 8)) !== SMB2_HEADER_LEN) return PROBE_NO;
  }
  return PROBE_YES;
}

export const netbiosFraming: FramingSpec = {
  headerLen: NB_HEADER_LEN,
  pduLength: netbiosLength,
  probe: probeSmb,
};
