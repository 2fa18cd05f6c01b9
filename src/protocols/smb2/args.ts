// Shape shared by the per-command decoders: read fields from the command body
// b[body, end) (offsets in names are relative to the SMB2 header at `hdr`) into `args`.
// A decoder checks its StructureSize and the bounds of every field it reads, and leaves
// `args` untouched for anything it cannot read (error responses carry StructureSize 9).

import type { ArgValue } from '../types.js';

export type Smb2Args = Record<string, ArgValue>;

export type CommandDecoder = (b: Uint8Array, hdr: number, body: number, end: number, response: boolean, args: Smb2Args) => void;

/** StructureSize of an SMB2 ERROR response (MS-SMB2 2.2.2) */
export const ERROR_RESPONSE_SIZE = 9;
