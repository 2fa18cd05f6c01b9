// The capture file opened a second time, for reading first transmissions back (segment-index.ts):
// its own descriptor, so the reader's is untouched, and positioned reads (pread), which move no
// file offset. Opened on first need; a file that cannot be opened leaves retention to the ring.

import { closeSync, openSync, readSync } from 'node:fs';
import type { ByteSource } from './segment-index.js';

export class CaptureFile implements ByteSource {
  private path: string | null = null;
  /** -1: not opened yet; -2: opening failed (or no path) */
  private fd = -1;

  /** The capture whose frames come next (its frames carry file positions when seekable). */
  use(path: string): void {
    this.close();
    this.path = path;
  }

  /** True when the file is open for reading back (opens it on the first call). */
  readable(): boolean {
    if (this.fd >= 0) return true;
    if (this.fd === -2 || this.path === null) return false;
    try {
      this.fd = openSync(this.path, 'r');
      return true;
    } catch {
      this.fd = -2;
      return false;
    }
  }

  read(pos: number, into: Uint8Array, at: number, n: number): number {
    if (this.fd < 0) return 0;
    let got = 0;
    try {
      while (got < n) {
        const r = readSync(this.fd, into, at + got, n - got, pos + got);
        if (r <= 0) break;
        got += r;
      }
    } catch {
      // an I/O error reads as a short read: the segment is not compared
    }
    return got;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.path = null;
  }
}
