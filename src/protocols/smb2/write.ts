// SMB2 WRITE (MS-SMB2 2.2.21 request, 2.2.22 response): offset and length written, count acknowledged.
import { u16le, u32le } from '../../bytes/reader.js';
import { hex } from '../text.js';
import type { Smb2Args } from './args.js';
import { u64le } from './header.js';

const REQUEST_SIZE = 49;
const RESPONSE_SIZE = 17;
/** Most body bytes decodeWrite reads (the request's fixed part up to the FileId); the data of a
 *  request is never read. */
export const WRITE_BODY_BYTES_READ = 32;

export function decodeWrite(b: Uint8Array, _hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  if (end - body < 8) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE || end - body < 32) return;
    args.length = u32le(b, body + 4);
    args.offset = u64le(b, body + 8);
    args.fileId = hex(b, body + 16, 16);
  } else {
    if (size !== RESPONSE_SIZE) return;
    args.count = u32le(b, body + 4);
  }
}
