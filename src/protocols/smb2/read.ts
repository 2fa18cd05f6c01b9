// SMB2 READ (MS-SMB2 2.2.19 request, 2.2.20 response): offset and length asked, bytes returned.
import type { Smb2Args } from './args.js';
import { decodeIo, IO_BODY_BYTES_READ } from './io.js';

/** Most body bytes decodeRead reads; the data of a response is never read. */
export const READ_BODY_BYTES_READ = IO_BODY_BYTES_READ;

export function decodeRead(b: Uint8Array, _hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  decodeIo(b, body, end, response, args, 'dataLength');
}
