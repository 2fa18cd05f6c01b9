// SMB2 NEGOTIATE (MS-SMB2 2.2.3 request, 2.2.4 response): the dialects offered and the one chosen.
import { u16le } from '../../bytes/reader.js';
import type { Smb2Args } from './args.js';
import { dialectName } from './constants.js';

const REQUEST_SIZE = 36;
const RESPONSE_SIZE = 65;
/** at most this many offered dialects are listed (real clients offer up to 6) */
const MAX_DIALECTS = 16;

export function decodeNegotiate(b: Uint8Array, _hdr: number, body: number, end: number, response: boolean, args: Smb2Args): void {
  if (end - body < 6) return;
  const size = u16le(b, body);
  if (!response) {
    if (size !== REQUEST_SIZE) return;
    const count = u16le(b, body + 2);
    const names: string[] = [];
    let cut = count > MAX_DIALECTS;
    for (let i = 0; i < count && i < MAX_DIALECTS; i++) {
      const o = body + REQUEST_SIZE + 2 * i;
      if (o + 2 > end) {
        cut = true;
        break;
      }
      names.push(dialectName(u16le(b, o)));
    }
    // a list cut short by the capture (or longer than we list) says so
    args.dialects = names.join(',') + (cut ? ',...' : '');
  } else {
    if (size !== RESPONSE_SIZE) return;
    args.dialect = dialectName(u16le(b, body + 4));
  }
}
