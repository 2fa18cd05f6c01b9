// What SMB2 READ and WRITE share (MS-SMB2 2.2.19 / 2.2.21 requests, 2.2.20 / 2.2.22 responses):
// both requests are 49 bytes of StructureSize with Length at 4, Offset at 8 and FileId at 16;
// both responses are 17 bytes with their byte count at 4. Only the count's name differs.
import { u16le, u32le } from '../../bytes/reader.js';
import { hex16 } from '../text.js';
import type { Smb2Args } from './args.js';
import { u64le } from './header.js';

const REQUEST_SIZE = 49;
const RESPONSE_SIZE = 17;
/** Most body bytes a READ or WRITE decoder reads (the request's fixed part up to the FileId);
 *  the data itself is never read. */
export const IO_BODY_BYTES_READ = 32;

export function decodeIo(b: Uint8Array, body: number, end: number, response: boolean, args: Smb2Args, responseCount: string): void {
  if (end - body < 8) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE || end - body < IO_BODY_BYTES_READ) return;
    args.length = u32le(b, body + 4);
    args.offset = u64le(b, body + 8);
    args.fileId = hex16(b, body + 16);
  } else {
    if (size !== RESPONSE_SIZE) return;
    args[responseCount] = u32le(b, body + 4);
  }
}
