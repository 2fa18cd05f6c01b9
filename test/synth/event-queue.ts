// A binary min-heap of timed callbacks for the conversation simulator. Ties are broken by
// insertion order so that the simulation is deterministic.

export interface TimedEvent {
  t: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

export class EventQueue {
  private heap: TimedEvent[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, fn: () => void): TimedEvent {
    const e: TimedEvent = { t, order: this.counter++, fn, cancelled: false };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
    return e;
  }

  peek(): TimedEvent | undefined {
    return this.heap[0];
  }

  pop(): TimedEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as TimedEvent;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r], h[l]) ? r : l;
        if (!less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: TimedEvent, b: TimedEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}
