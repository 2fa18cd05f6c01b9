// pcapng writer (draft-ietf-opsawg-pcapng): section header block in either byte order, any
// number of interface description blocks with if_tsresol / if_tsoffset, enhanced, simple and
// obsolete packet blocks, comments, and arbitrary (unknown) blocks. Several sections may follow
// each other in one file, each with its own byte order and interfaces.

import { BlockBuffer, FdSink, type ByteSink } from './sink.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

export interface IdbOptions {
  linkType: number;
  snaplen?: number;
  name?: string;
  /** the if_tsresol byte: 6 (default) = microseconds, 9 = ns, 0x80|k = 2^-k seconds */
  tsresol?: number;
  /** if_tsoffset: seconds added to every timestamp of this interface */
  tsoffset?: number;
}

interface Iface {
  snaplen: number;
  /** units per second */
  perSec: number;
  decimal: boolean;
  digits: number;
  binaryBits: number;
  tsoffset: number;
}

const enc = new TextEncoder();
const pad4 = (n: number) => (n + 3) & ~3;

export class PcapngWriter {
  private readonly out: BlockBuffer;
  private le = true;
  private ifaces: Iface[] = [];
  frames = 0;

  constructor(sink: ByteSink | string | number) {
    this.out = new BlockBuffer(typeof sink === 'object' ? sink : new FdSink(sink));
  }

  /** Starts a section. Interfaces of earlier sections are forgotten, as the format says. */
  section(byteOrder: 'le' | 'be' = 'le', userAppl = 'pcapdx synth'): this {
    this.le = byteOrder === 'le';
    this.ifaces = [];
    const opts = this.options([[SHB_USERAPPL, enc.encode(userAppl)]]);
    const body = 16 + opts.length;
    const p = this.begin(BT_SHB, body);
    const v = this.out.view;
    v.setUint32(p + 8, BYTE_ORDER_MAGIC, this.le);
    v.setUint16(p + 12, 1, this.le);
    v.setUint16(p + 14, 0, this.le);
    v.setInt32(p + 16, -1, this.le); // section length unknown (-1 as 64 bits)
    v.setInt32(p + 20, -1, this.le);
    this.out.buf.set(opts, p + 24);
    return this;
  }

  /** Adds an interface to the current section; returns its id. */
  iface(o: IdbOptions): number {
    if (this.ifaces.length === 0 && this.frames === 0 && !this.started) this.section();
    const tsresol = o.tsresol ?? 6;
    const decimal = (tsresol & 0x80) === 0;
    const k = tsresol & 0x7f;
    const list: [number, Uint8Array][] = [];
    if (o.name !== undefined) list.push([IF_NAME, enc.encode(o.name)]);
    if (o.tsresol !== undefined) list.push([IF_TSRESOL, Uint8Array.of(tsresol)]);
    if (o.tsoffset !== undefined) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(o.tsoffset), this.le);
      list.push([IF_TSOFFSET, b]);
    }
    const opts = this.options(list);
    const p = this.begin(BT_IDB, 8 + opts.length);
    const v = this.out.view;
    v.setUint16(p + 8, o.linkType, this.le);
    v.setUint16(p + 10, 0, this.le);
    v.setUint32(p + 12, o.snaplen ?? 262144, this.le);
    this.out.buf.set(opts, p + 16);
    this.ifaces.push({
      snaplen: o.snaplen ?? 262144, perSec: decimal ? 10 ** k : 2 ** k, decimal, digits: k, binaryBits: k,
      tsoffset: o.tsoffset ?? 0,
    });
    return this.ifaces.length - 1;
  }

  private get started(): boolean {
    return this.out.pos > 0;
  }

  /** Enhanced packet block; `comment` becomes an opt_comment. Data beyond the interface's snaplen is cut. */
  packet(ifaceId: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length, comment?: string): void {
    const f = this.ifaces[ifaceId];
    if (!f) throw new Error(`no interface ${ifaceId} in this section`);
    const caplen = Math.min(data.length, f.snaplen);
    const opts = comment ? this.options([[OPT_COMMENT, enc.encode(comment)]]) : null;
    const p = this.begin(BT_EPB, 20 + pad4(caplen) + (opts ? opts.length : 0));
    const v = this.out.view;
    v.setUint32(p + 8, ifaceId, this.le);
    this.putTs(p + 12, f, tsSec, tsNsec);
    v.setUint32(p + 20, caplen, this.le);
    v.setUint32(p + 24, Math.max(origLen, data.length), this.le);
    this.putData(p + 28, data, caplen);
    if (opts) this.out.buf.set(opts, p + 28 + pad4(caplen));
    this.frames++;
  }

  /** Simple packet block: no timestamp, interface 0, caplen = min(origLen, snaplen of interface 0). */
  simplePacket(data: Uint8Array, origLen = data.length): void {
    const f = this.ifaces[0];
    if (!f) throw new Error('a simple packet block needs interface 0');
    const caplen = Math.min(data.length, f.snaplen, origLen);
    const p = this.begin(BT_SPB, 4 + pad4(caplen));
    this.out.view.setUint32(p + 8, origLen, this.le);
    this.putData(p + 12, data, caplen);
    this.frames++;
  }

  /** Obsolete packet block (type 2): 16-bit interface id and drops count. */
  obsoletePacket(ifaceId: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length, drops = 0): void {
    const f = this.ifaces[ifaceId];
    if (!f) throw new Error(`no interface ${ifaceId} in this section`);
    const caplen = Math.min(data.length, f.snaplen);
    const p = this.begin(BT_OPB, 20 + pad4(caplen));
    const v = this.out.view;
    v.setUint16(p + 8, ifaceId, this.le);
    v.setUint16(p + 10, drops, this.le);
    this.putTs(p + 12, f, tsSec, tsNsec);
    v.setUint32(p + 20, caplen, this.le);
    v.setUint32(p + 24, Math.max(origLen, data.length), this.le);
    this.putData(p + 28, data, caplen);
    this.frames++;
  }

  /** Any block with the given type and body (padded to 4 bytes); readers must skip unknown types. */
  block(type: number, body: Uint8Array): void {
    const p = this.begin(type, pad4(body.length));
    this.putData(p + 8, body, body.length);
  }

  close(): void {
    this.out.close();
  }

  // -------------------------------------------------------------- internals

  /** Reserves a block of `bodyLen` bytes of body and writes both length fields and the type. */
  private begin(type: number, bodyLen: number): number {
    const total = 12 + bodyLen;
    const p = this.out.reserve(total);
    const v = this.out.view;
    v.setUint32(p, type, this.le);
    v.setUint32(p + 4, total, this.le);
    v.setUint32(p + total - 4, total, this.le);
    return p;
  }

  private putData(p: number, data: Uint8Array, len: number): void {
    const b = this.out.buf;
    b.set(len === data.length ? data : data.subarray(0, len), p);
    b.fill(0, p + len, p + pad4(len));
  }

  /** Writes the 64-bit timestamp in interface units as high and low 32-bit words. */
  private putTs(p: number, f: Iface, tsSec: number, tsNsec: number): void {
    const sec = tsSec - f.tsoffset;
    let hi: number;
    let lo: number;
    if (f.decimal && f.digits <= 9) {
      // units = sec * 10^k + frac, computed in 16-bit pieces so every double stays exact
      const m = f.perSec;
      const frac = Math.floor(tsNsec / 10 ** (9 - f.digits));
      const t1 = (sec % 65536) * m + frac; // < 2^47
      const t2 = Math.floor(sec / 65536) * m; // < 2^46
      const sumLo = (t2 % 65536) * 65536 + (t1 % 4294967296);
      hi = Math.floor(t2 / 65536) + Math.floor(t1 / 4294967296) + Math.floor(sumLo / 4294967296);
      lo = sumLo % 4294967296;
    } else {
      const perSec = f.decimal ? 10n ** BigInt(f.digits) : 1n << BigInt(f.binaryBits);
      const u = BigInt(sec) * perSec + (BigInt(tsNsec) * perSec) / 1_000_000_000n;
      hi = Number(u >> 32n);
      lo = Number(u & 0xffffffffn);
    }
    this.out.view.setUint32(p, hi >>> 0, this.le);
    this.out.view.setUint32(p + 4, lo >>> 0, this.le);
  }

  /** Encodes options (code, value) followed by opt_endofopt; empty list gives no bytes. */
  private options(list: [number, Uint8Array][]): Uint8Array {
    if (list.length === 0) return new Uint8Array(0);
    let n = 4;
    for (const [, val] of list) n += 4 + pad4(val.length);
    const b = new Uint8Array(n);
    const v = new DataView(b.buffer);
    let p = 0;
    for (const [code, val] of list) {
      v.setUint16(p, code, this.le);
      v.setUint16(p + 2, val.length, this.le);
      b.set(val, p + 4);
      p += 4 + pad4(val.length);
    }
    v.setUint16(p, OPT_ENDOFOPT, this.le);
    v.setUint16(p + 2, 0, this.le);
    return b;
  }
}
