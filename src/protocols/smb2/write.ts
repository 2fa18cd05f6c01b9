// SMB2 WRITE (MS-SMB2 2.2.21 request, 2.2.22 response): offset and length written, count acknowledged.
import type { Smb2Args } from './args.js';
import { decodeIo, IO_BODY_BYTES_READ } from './io.js';

/** Most body bytes decodeWrite reads; the data of a request is never read. */
export const WRITE_BODY_BYTES_READ = IO_BODY_BYTES_READ;

export function decodeWrite(b: Uint8Array, _hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  decodeIo(b, body, end, response, args, 'count');
}
