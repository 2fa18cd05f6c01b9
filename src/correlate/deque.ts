// A FIFO of records in processing order (a growable ring): the matching window of one capture.
import type { PktRec } from './record.js';

export class Deque {
  private buf: (PktRec | undefined)[] = new Array<PktRec | undefined>(1024);
  private head = 0;
  size = 0;
  push(r: PktRec): void {
    if (this.size === this.buf.length) {
      const bigger = new Array<PktRec | undefined>(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) bigger[i] = this.buf[(this.head + i) % this.buf.length];
      this.buf = bigger;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = r;
    this.size++;
  }
  peek(): PktRec | undefined {
    return this.size ? this.buf[this.head] : undefined;
  }
  shift(): PktRec | undefined {
    if (!this.size) return undefined;
    const r = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    return r;
  }
}
