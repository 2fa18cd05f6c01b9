// A capture file opened a second time, for reading bytes back at their file positions: the first
// transmission of a retransmitted TCP range (analysis/segment-index.ts) and the body of an RPC call
// kept as its place (protocols/places.ts). Its own descriptor, so the reader's is untouched, and
// positioned reads (pread), which move no file offset. Opened on first need; a file that cannot be
// opened, or that was closed, reads nothing (callers then copy, or do not compare).

import { closeSync, openSync, readSync } from 'node:fs';

export class CaptureRereader {
  /** -1: not opened yet; -2: opening failed, or no path */
  private fd = -1;

  constructor(private path: string | null = null) {}

  /** The capture whose frames come next (a new file: the previous one is closed). */
  use(path: string): void {
    this.close();
    this.path = path;
    this.fd = -1;
  }

  /** True when bytes can be read back (opens the file on the first call). */
  open(): boolean {
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

  /** Reads n bytes at file position pos into into[at..]; returns how many it got: fewer at the end
   *  of a file that shrank or on an I/O error (the caller then does not compare). */
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
      // an I/O error reads as a short read
    }
    return got;
  }

  /** Closes the descriptor; nothing is read back afterwards until use() names a file. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -2;
    this.path = null;
  }
}
