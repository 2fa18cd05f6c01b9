// The coarse clock offset, before the real pass: without it the two captures cannot be walked in
// step (their clocks may differ by hours). Reads both captures from the start, keeps the
// discovery keys of the first BOOT_HEAD packets of each (translation-invariant, see keys.ts), and
// streams on through both until packets of one capture are found among the other's first
// packets. So a capture that started much later than the other still aligns: its first packets
// stay put while the other streams past them. Each hit gives X = tB - tA (offset plus or minus a
// one-way delay); the offset is the median of the densest cluster of hits, which ignores hits on
// content that happens to repeat (the same DNS query an hour later).
import { FlowTable } from './flows.js';
import { DK_NONE, setDiscoveryKey } from './keys.js';
import type { PktRec } from './record.js';
import { RecordSource } from './source.js';

/** Discovery keys kept from the start of each capture. */
export const BOOT_HEAD = 50_000;
/** Hits after which the search stops. */
export const BOOT_HITS = 400;
/** Flows tracked during the search (flow identity does not matter here). */
const BOOT_FLOWS = 65536;

/** What is kept of a head packet: its time and its discovery key, nothing else. */
interface HeadEntry {
  t: number;
  kind: number;
  a: number;
  b: number;
  dup: boolean;
}

const kindOf = (r: PktRec): number => r.dkind | (r.proto << 8) | (r.dcount << 16);

export interface Bootstrap {
  /** coarse offset (ns, tB - tA in A's base), null when the captures share no packet */
  offset: number | null;
  hits: number;
  baseSecA: number | null;
  baseSecB: number | null;
}

export async function bootstrap(pathA: string, pathB: string, clusterNs: number): Promise<Bootstrap> {
  const src = [new RecordSource(pathA, 0, new FlowTable(0, BOOT_FLOWS, 1)), new RecordSource(pathB, 1, new FlowTable(1, BOOT_FLOWS, 1))];
  const heads = [new Map<number, HeadEntry>(), new Map<number, HeadEntry>()];
  const hits: number[] = [];
  const ended = [false, false];
  src[0].start();
  src[1].start();
  try {
    while (hits.length < BOOT_HITS && !(ended[0] && ended[1])) {
      for (let s = 0; s < 2; s++) {
        if (ended[s]) continue;
        const r = await src[s].peek();
        if (r === null) {
          ended[s] = true;
          continue;
        }
        src[s].take();
        setDiscoveryKey(r);
        if (r.dkind === DK_NONE) continue;
        const shift = ((src[1].baseSec ?? 0) - (src[0].baseSec ?? 0)) * 1e9;
        const o = heads[1 - s].get(r.dkhash);
        const kind = kindOf(r);
        if (o && !o.dup && o.kind === kind && o.a === r.dk1 && o.b === r.dk2) hits.push(s === 1 ? r.t + shift - o.t : o.t + shift - r.t);
        const own = heads[s];
        const e = own.get(r.dkhash);
        if (e) e.dup = true;
        else if (own.size < BOOT_HEAD) own.set(r.dkhash, { t: r.t, kind, a: r.dk1, b: r.dk2, dup: false });
      }
    }
  } finally {
    await Promise.all([src[0].stop(), src[1].stop()]);
  }
  return { offset: densest(hits, clusterNs), hits: hits.length, baseSecA: src[0].baseSec, baseSecB: src[1].baseSec };
}

/** Median of the densest run of values within `width` of each other. */
export function densest(values: number[], width: number): number | null {
  if (values.length === 0) return null;
  const v = values.slice().sort((a, b) => a - b);
  let best = 0;
  let bestLo = 0;
  let hi = 0;
  for (let lo = 0; lo < v.length; lo++) {
    while (hi < v.length && v[hi] - v[lo] <= width) hi++;
    if (hi - lo > best) {
      best = hi - lo;
      bestLo = lo;
    }
  }
  return v[bestLo + (best >> 1)];
}
