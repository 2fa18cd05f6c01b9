// SMB2 ECHO (MS-SMB2 2.2.28/2.2.29): StructureSize 4, nothing else. The heartbeat of SMB2
// connections (Linux CIFS sends one per echo_interval when idle).
import { u16le } from '../../bytes/reader.js';
import type { Smb2Args } from './args.js';

export const ECHO_STRUCTURE_SIZE = 4;

export function decodeEcho(b: Uint8Array, _hdr: number, body: number, end: number, _response: boolean, args: Smb2Args): void {
  if (end - body >= 2 && u16le(b, body) !== ECHO_STRUCTURE_SIZE) args.malformed = true;
}
