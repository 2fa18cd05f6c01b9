// Tiny in-memory builders of pcap and pcapng bytes for reader tests (the full synthesiser with
// realistic traffic lives in test/synth).

import { readFromPull, pullFromChunks } from './open.js';
import type { Frame, ReadSummary } from './types.js';

export function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class W {
  private readonly v: DataView;
  private o = 0;
  readonly bytes: Uint8Array;
  constructor(n: number, private readonly le: boolean) {
    this.bytes = new Uint8Array(n);
    this.v = new DataView(this.bytes.buffer);
  }
  u8(x: number): this { this.v.setUint8(this.o, x); this.o += 1; return this; }
  u16(x: number): this { this.v.setUint16(this.o, x, this.le); this.o += 2; return this; }
  u32(x: number): this { this.v.setUint32(this.o, x >>> 0, this.le); this.o += 4; return this; }
  raw(b: Uint8Array): this { this.bytes.set(b, this.o); this.o += b.length; return this; }
}

export interface PcapRec { sec: number; frac: number; data: Uint8Array; origlen?: number }

export function pcapFile(opts: { le?: boolean; nanos?: boolean; linkType?: number; snaplen?: number }, recs: PcapRec[]): Uint8Array {
  const le = opts.le ?? true;
  const h = new W(24, le).u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0)
    .u32(opts.snaplen ?? 65535).u32(opts.linkType ?? 1);
  const parts = [h.bytes];
  for (const r of recs) {
    parts.push(new W(16, le).u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.origlen ?? r.data.length).bytes, r.data);
  }
  return concat(parts);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length);
  const w = new W(total, le).u32(type).u32(total).raw(body);
  new DataView(w.bytes.buffer).setUint32(total - 4, total, le);
  return w.bytes;
}

export function shb(le: boolean): Uint8Array {
  return block(le, 0x0a0d0d0a, new W(16, le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).bytes);
}

export interface IdbOpts { linkType?: number; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string }

export function idb(le: boolean, o: IdbOpts = {}): Uint8Array {
  const opts: Uint8Array[] = [];
  const opt = (code: number, val: Uint8Array): void => {
    opts.push(concat([new W(4, le).u16(code).u16(val.length).bytes, val, new Uint8Array(pad4(val.length) - val.length)]));
  };
  if (o.name !== undefined) opt(2, new TextEncoder().encode(o.name));
  if (o.tsresol !== undefined) opt(9, Uint8Array.of(o.tsresol));
  if (o.tsoffset !== undefined) {
    const v = new W(8, le);
    // 64-bit signed seconds, in the section's byte order
    if (le) v.u32(o.tsoffset).u32(o.tsoffset < 0 ? 0xffffffff : 0);
    else v.u32(o.tsoffset < 0 ? 0xffffffff : 0).u32(o.tsoffset);
    opt(14, v.bytes);
  }
  if (opts.length) opts.push(new Uint8Array(4)); // opt_endofopt
  return block(le, 1, concat([new W(8, le).u16(o.linkType ?? 1).u16(0).u32(o.snaplen ?? 0).bytes, ...opts]));
}

/** Enhanced Packet Block with a 64-bit timestamp in interface units. */
export function epb(le: boolean, iface: number, ts: bigint, data: Uint8Array, origlen = data.length): Uint8Array {
  const hdr = new W(20, le).u32(iface).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(origlen).bytes;
  return block(le, 6, concat([hdr, data]));
}

export function opb(le: boolean, iface: number, ts: bigint, data: Uint8Array): Uint8Array {
  const hdr = new W(20, le).u16(iface).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(data.length).bytes;
  return block(le, 2, concat([hdr, data]));
}

export function spb(le: boolean, data: Uint8Array, origlen = data.length): Uint8Array {
  return block(le, 3, concat([new W(4, le).u32(origlen).bytes, data]));
}

export function bytesOf(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

interface Seen { number: number; sec: number; nsec: number; caplen: number; origlen: number; linkType: number; data: number[]; offset: number }

/** Feeds `bytes` to the reader in chunks of `chunk` bytes, collecting copies of every frame. */
export async function readAll(bytes: Uint8Array, chunk = 1 << 20): Promise<{ frames: Seen[]; summary: ReadSummary }> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.slice(i, i + chunk);
  }
  const frames: Seen[] = [];
  const summary = await readFromPull('mem', pullFromChunks(chunks()), null, (f: Frame) => {
    frames.push({ number: f.number, sec: f.tsSec, nsec: f.tsNsec, caplen: f.caplen, origlen: f.origlen, linkType: f.linkType, data: Array.from(f.data), offset: f.offset });
  });
  return { frames, summary };
}

