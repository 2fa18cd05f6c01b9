// SMB2 CREATE (MS-SMB2 2.2.13 request, 2.2.14 response): the file name (UTF-16LE, offset from
// the SMB2 header; empty = share root), disposition, and the FileId and size the server returns.
import { u16le, u32le } from '../../bytes/reader.js';
import { hex16, utf16le } from '../text.js';
import type { Smb2Args } from './args.js';
import { u64le } from './header.js';

const REQUEST_SIZE = 57;
const RESPONSE_SIZE = 89;
const DISPOSITIONS = ['SUPERSEDE', 'OPEN', 'CREATE', 'OPEN_IF', 'OVERWRITE', 'OVERWRITE_IF'];
const ACTIONS = ['SUPERSEDED', 'OPENED', 'CREATED', 'OVERWRITTEN'];

export function decodeCreate(b: Uint8Array, hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  if (end - body < 2) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE || end - body < 56) return;
    args.disposition = DISPOSITIONS[u32le(b, body + 36)] ?? String(u32le(b, body + 36));
    const nameOff = hdr + u16le(b, body + 44);
    const nameLen = u16le(b, body + 46);
    if (nameLen === 0) args.name = '';
    else if (nameOff >= body && nameOff + nameLen <= end) args.name = utf16le(b, nameOff, nameLen);
  } else {
    if (size !== RESPONSE_SIZE || end - body < 80) return;
    args.action = ACTIONS[u32le(b, body + 4)] ?? String(u32le(b, body + 4));
    args.endOfFile = u64le(b, body + 48);
    args.fileId = hex16(b, body + 64);
  }
}
