// The capture file opened again for reading bytes back at their places (places.ts): a descriptor
// of its own, positioned reads only (no file offset moves), opened when the first place is kept.
// A file that cannot be opened means no places: the consumer copies, as for standard input.

import { closeSync, openSync, readSync } from 'node:fs';
import type { PlaceReader } from './places.js';

export class CaptureBytes implements PlaceReader {
  /** -1: not opened yet; -2: opening failed */
  private fd = -1;

  constructor(private readonly path: string) {}

  /** Can bytes be read back (opens the file on the first call)? */
  open(): boolean {
    if (this.fd >= 0) return true;
    if (this.fd === -2) return false;
    try {
      this.fd = openSync(this.path, 'r');
      return true;
    } catch {
      this.fd = -2;
      return false;
    }
  }

  read(pos: number, into: Uint8Array, at: number, len: number): number {
    if (this.fd < 0) return 0;
    let got = 0;
    try {
      while (got < len) {
        const r = readSync(this.fd, into, at + got, len - got, pos + got);
        if (r <= 0) break;
        got += r;
      }
    } catch {
      // an I/O error reads as a short read: the caller does not compare
    }
    return got;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -2;
  }
}
