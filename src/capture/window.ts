// A sliding window over a byte stream: the reader asks for "at least n bytes from here" and the
// window reads more only when needed. Records are handed out as views into the window, so a
// frame's bytes are valid until the next call that may refill (the next ensure()). Memory is the
// window's capacity: one read chunk plus the largest record seen, never the file.

import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Read size for files: large enough to amortise the syscall over thousands of records, small
 *  enough that the chunk the kernel just copied is still in the core's L2 cache (2 MiB per core
 *  here; with 4 MiB the first records of every chunk came from L3 or memory). */
export const READ_CHUNK = 512 * 1024;

export type Pull = (into: Uint8Array, at: number, max: number) => Promise<number>;

export class Window {
  buf: Uint8Array;
  /** first unconsumed byte in buf */
  pos = 0;
  /** one past the last valid byte in buf */
  end = 0;
  /** stream offset of buf[0] */
  base = 0;
  eof = false;
  /** awaited before each refill: lets a slow consumer (a pipe to `less`) hold the reader back */
  beforeRefill: (() => Promise<void>) | null = null;
  private readonly pull: Pull;

  constructor(pull: Pull, capacity = READ_CHUNK) {
    this.pull = pull;
    this.buf = new Uint8Array(capacity);
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** stream offset of the byte at buf[pos] */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Makes at least n bytes available from pos, unless the stream ends first. Returns available(). */
  async ensure(n: number): Promise<number> {
    while (this.end - this.pos < n && !this.eof) {
      if (this.pos > 0 && (this.buf.length - this.pos < n || this.end === this.buf.length)) {
        // slide the unconsumed tail to the front
        this.buf.copyWithin(0, this.pos, this.end);
        this.base += this.pos;
        this.end -= this.pos;
        this.pos = 0;
      }
      if (this.buf.length - this.pos < n) {
        // a record larger than the window: grow (callers bound n before asking)
        const bigger = new Uint8Array(Math.max(n + READ_CHUNK, this.buf.length * 2));
        bigger.set(this.buf.subarray(this.pos, this.end));
        this.base += this.pos;
        this.end -= this.pos;
        this.pos = 0;
        this.buf = bigger;
      }
      if (this.beforeRefill) await this.beforeRefill();
      const got = await this.pull(this.buf, this.end, this.buf.length - this.end);
      if (got <= 0) this.eof = true;
      else this.end += got;
    }
    return this.end - this.pos;
  }
}

/** Reads a file synchronously on this thread: the reader waits for every chunk anyway (there is
 *  no read-ahead), and an asynchronous read copied the chunk on a thread-pool thread, often on
 *  the other core, so its bytes then crossed to this core's cache, on top of the hand-off cost. */
export function pullFromFile(fh: FileHandle, startAt = 0): Pull {
  let position = startAt;
  return async (into, at, max) => {
    const bytesRead = readSync(fh.fd, into, at, max, position);
    position += bytesRead;
    return bytesRead;
  };
}

/** Pulls from an async iterator of chunks (a stream), keeping the part of a chunk that did not fit. */
export function pullFromChunks(chunks: AsyncIterator<Uint8Array>): Pull {
  let pending: Uint8Array | null = null;
  return async (into, at, max) => {
    while (pending === null || pending.length === 0) {
      const r = await chunks.next();
      if (r.done) return 0;
      pending = r.value;
    }
    const n = Math.min(max, pending.length);
    into.set(pending.subarray(0, n), at);
    pending = n === pending.length ? null : pending.subarray(n);
    return n;
  };
}
