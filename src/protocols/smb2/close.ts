// SMB2 CLOSE (MS-SMB2 2.2.15 request, 2.2.16 response): the FileId closed; the final size when
// the client asked for attributes (flag 0x0001 POSTQUERY_ATTRIB).
import { u16le } from '../../bytes/reader.js';
import { hex16 } from '../text.js';
import type { Smb2Args } from './args.js';
import { u64le } from './header.js';

const REQUEST_SIZE = 24;
const RESPONSE_SIZE = 60;
const POSTQUERY_ATTRIB = 0x0001;

export function decodeClose(b: Uint8Array, _hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  if (end - body < 4) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE || end - body < 24) return;
    args.fileId = hex16(b, body + 8);
  } else {
    if (size !== RESPONSE_SIZE || end - body < 56) return;
    if ((u16le(b, body + 2) & POSTQUERY_ATTRIB) !== 0) args.endOfFile = u64le(b, body + 48);
  }
}
