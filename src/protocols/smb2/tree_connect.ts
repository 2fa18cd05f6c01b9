// SMB2 TREE_CONNECT (MS-SMB2 2.2.9 request, 2.2.10 response): the share path (UTF-16LE, offset
// from the start of the SMB2 header) and the share type.
import { u16le, u8 } from '../../bytes/reader.js';
import { utf16le } from '../text.js';
import type { Smb2Args } from './args.js';

const REQUEST_SIZE = 9;
const RESPONSE_SIZE = 16;
const SHARE_TYPES = ['?', 'disk', 'pipe', 'print'];

export function decodeTreeConnect(b: Uint8Array, hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  if (end - body < 8) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE) return;
    const pathOff = hdr + u16le(b, body + 4);
    const pathLen = u16le(b, body + 6);
    if (pathOff < body || pathOff + pathLen > end) return;
    args.path = utf16le(b, pathOff, pathLen);
  } else {
    if (size !== RESPONSE_SIZE) return;
    args.shareType = SHARE_TYPES[u8(b, body + 2)] ?? String(u8(b, body + 2));
  }
}
