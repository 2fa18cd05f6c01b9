// Byte sinks for the capture writers: a file descriptor written in large blocks (constant memory
// however big the capture), or memory (tests). Writers fill a block buffer themselves and hand
// over whole blocks, so a sink sees few, large writes.

import { closeSync, openSync, writeSync } from 'node:fs';

export interface ByteSink {
  write(chunk: Uint8Array): void;
  close(): void;
}

/** Writes every chunk to a file descriptor synchronously (generation scripts have nothing else
 *  to do meanwhile, and synchronous writes keep memory flat). */
export class FdSink implements ByteSink {
  private readonly ownsFd: boolean;
  readonly fd: number;
  constructor(target: string | number) {
    this.ownsFd = typeof target === 'string';
    this.fd = typeof target === 'string' ? openSync(target, 'w') : target;
  }
  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }
  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}

/** Collects everything written; `bytes()` returns one contiguous copy. */
export class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.total += chunk.length;
  }
  close(): void {}
  bytes(): Uint8Array {
    const out = new Uint8Array(this.total);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

/** Default block size for writers: large enough that a syscall per block costs nothing. */
export const WRITE_BLOCK = 4 * 1024 * 1024;

/** A block buffer in front of a sink: `reserve(n)` returns an offset in `buf` with n free bytes. */
export class BlockBuffer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(private readonly sink: ByteSink, size = WRITE_BLOCK) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.buf = new Uint8Array(n);
        this.view = new DataView(this.buf.buffer);
      }
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }
  flush(): void {
    if (this.pos > 0) this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
  close(): void {
    this.flush();
    this.sink.close();
  }
}
