// XDR (RFC 4506) reader over b[pos, end): big-endian 32-bit units, opaque data padded to 4.
// Reading past `end` never throws: it sets `ok = false`, parks `pos` at `end` and returns 0, so
// a decoder can read a whole structure and check `ok` once. One reader is reused per message.

import { u32be } from '../../bytes/reader.js';
import { ascii } from '../text.js';

export class Xdr {
  b: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  ok = true;

  reset(b: Uint8Array, pos: number, end: number): this {
    this.b = b;
    this.pos = pos;
    this.end = Math.min(end, b.length);
    this.ok = pos <= this.end;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private fail(): number {
    this.ok = false;
    this.pos = this.end;
    return 0;
  }

  u32(): number {
    if (this.end - this.pos < 4) return this.fail();
    const v = u32be(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /** unsigned hyper as a number (exact below 2^53) */
  u64(): number {
    if (this.end - this.pos < 8) return this.fail();
    const v = u32be(this.b, this.pos) * 0x100000000 + u32be(this.b, this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** skip n bytes of fixed-size data (padded to 4) */
  skip(n: number): boolean {
    const padded = (n + 3) & ~3;
    if (n < 0 || this.end - this.pos < padded) {
      this.fail();
      return false;
    }
    this.pos += padded;
    return true;
  }

  /** variable-length opaque<max>: returns its length and leaves `dataPos` at its first byte; -1 when bad */
  dataPos = 0;
  opaque(max: number): number {
    const n = this.u32();
    if (!this.ok) return -1;
    if (n > max) {
      this.fail();
      return -1;
    }
    this.dataPos = this.pos;
    return this.skip(n) ? n : -1;
  }

  /** string<max> as sanitised text ('' when bad) */
  string(max: number): string {
    const n = this.opaque(max);
    return n < 0 ? '' : ascii(this.b, this.dataPos, n);
  }
}
