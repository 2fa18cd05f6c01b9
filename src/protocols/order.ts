// Putting exchanges back into request order with bounded memory.
//
// Exchanges are reported when they complete (the response arrives, the capture ends, a table
// evicts a request), so a slow request is reported after faster ones sent later. A reader wants
// them by request frame. Holding every exchange to sort them at the end grows with the capture;
// this window holds at most `capacity` items in a heap ordered by (key, arrival) and releases the
// smallest whenever it is full. The result is in key order whenever no item completes more than
// `capacity` items after one with a larger key was released; an item later than that (a request
// answered or declared unanswered very late) is released at once, out of order, and counted.
// Items with equal keys keep their arrival order.

export class ReorderWindow<T> {
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;
  private lastKey = -Infinity;
  /** items released out of key order because they came after a larger key was released */
  late = 0;

  constructor(private readonly capacity: number, private readonly release: (item: T) => void) {
    if (capacity < 1) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  push(key: number, item: T): void {
    if (key < this.lastKey) {
      this.late++;
      this.release(item);
      return;
    }
    this.insert(key, this.seq++, item);
    if (this.items.length > this.capacity) this.popMin();
  }

  /** Releases everything held, in order. */
  flush(): void {
    while (this.items.length > 0) this.popMin();
  }

  private less(i: number, j: number): boolean {
    const a = this.keys[i];
    const b = this.keys[j];
    return a < b || (a === b && this.seqs[i] < this.seqs[j]);
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i]; this.keys[i] = this.keys[j]; this.keys[j] = k;
    const s = this.seqs[i]; this.seqs[i] = this.seqs[j]; this.seqs[j] = s;
    const t = this.items[i]; this.items[i] = this.items[j]; this.items[j] = t;
  }

  private insert(key: number, seq: number, item: T): void {
    this.keys.push(key);
    this.seqs.push(seq);
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private popMin(): void {
    const top = this.items[0];
    this.lastKey = this.keys[0];
    const last = this.items.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.seqs.pop();
    this.items.pop();
    let i = 0;
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.less(r, l) ? r : l;
      if (!this.less(m, i)) break;
      this.swap(i, m);
      i = m;
    }
    this.release(top);
  }
}
