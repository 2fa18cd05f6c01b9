// A growable byte writer for application messages: little-endian fields (SMB2) and XDR items
// (RFC 4506: big-endian, every item padded to a multiple of 4 bytes), appended in order.
//
// An application message is `head` bytes followed by `data` filler bytes that the TCP simulator
// supplies from its pattern (test/synth/stream.ts), so a 64 KiB READ reply costs no allocation
// of its data.

export interface AppMessage {
  /** the message up to its bulk data (headers, arguments, the length of the data) */
  head: Uint8Array;
  /** filler bytes that follow `head` (READ/WRITE data); 0 for most messages */
  data: number;
}

export const msg = (head: Uint8Array, data = 0): AppMessage => ({ head, data });

/** Total wire length of a message. */
export const msgLength = (m: AppMessage): number => m.head.length + m.data;

export class ByteWriter {
  private b: Uint8Array;
  private v: DataView;
  n = 0;

  constructor(capacity = 128) {
    this.b = new Uint8Array(capacity);
    this.v = new DataView(this.b.buffer);
  }

  /** reserves k bytes and returns where they start (read this.v/this.b only afterwards: they
   *  may be replaced) */
  private room(k: number): number {
    if (this.n + k > this.b.length) {
      const nb = new Uint8Array(Math.max(this.b.length * 2, this.n + k));
      nb.set(this.b.subarray(0, this.n));
      this.b = nb;
      this.v = new DataView(nb.buffer);
    }
    const at = this.n;
    this.n += k;
    return at;
  }

  u8(x: number): this {
    const at = this.room(1);
    this.b[at] = x;
    return this;
  }
  u16le(x: number): this {
    const at = this.room(2);
    this.v.setUint16(at, x, true);
    return this;
  }
  u32le(x: number): this {
    const at = this.room(4);
    this.v.setUint32(at, x >>> 0, true);
    return this;
  }
  u64le(x: bigint | number): this {
    const at = this.room(8);
    this.v.setBigUint64(at, BigInt(x), true);
    return this;
  }
  u32be(x: number): this {
    const at = this.room(4);
    this.v.setUint32(at, x >>> 0, false);
    return this;
  }
  u64be(x: bigint | number): this {
    const at = this.room(8);
    this.v.setBigUint64(at, BigInt(x), false);
    return this;
  }
  zeros(k: number): this {
    const at = this.room(k);
    this.b.fill(0, at, this.n);
    return this;
  }
  bytes(x: Uint8Array): this {
    const at = this.room(x.length);
    this.b.set(x, at);
    return this;
  }
  /** overwrites a little-endian u16 already written (offsets known only later) */
  patch16le(at: number, x: number): this {
    this.v.setUint16(at, x, true);
    return this;
  }
  patch32be(at: number, x: number): this {
    this.v.setUint32(at, x >>> 0, false);
    return this;
  }

  // ---- XDR (RFC 4506)
  /** fixed-length opaque, zero-padded to 4 bytes (section 4.9) */
  xdrFixed(x: Uint8Array): this {
    this.bytes(x);
    return this.zeros((4 - (x.length & 3)) & 3);
  }
  /** variable-length opaque: length, bytes, padding (section 4.10) */
  xdrOpaque(x: Uint8Array): this {
    return this.u32be(x.length).xdrFixed(x);
  }
  /** string: as opaque, ASCII here (section 4.11) */
  xdrString(s: string): this {
    return this.xdrOpaque(ascii(s));
  }
  xdrBool(x: boolean): this {
    return this.u32be(x ? 1 : 0);
  }

  done(): Uint8Array {
    return this.b.slice(0, this.n);
  }
}

export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

export function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(2 * s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >>> 8;
  }
  return out;
}
