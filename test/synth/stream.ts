// The bytes one endpoint has written to its TCP stream, addressed by stream offset (0 = the first
// byte after the SYN). Applications write either real bytes (protocol messages) or a count of
// filler bytes (bulk data: a fixed pattern, so nothing is allocated per segment). Chunks the peer
// has acknowledged are released, except that the last acknowledged byte stays readable for a
// Windows-style keep-alive, which re-sends it.

/** Filler byte at stream offset x is PATTERN[x % PATTERN_PERIOD]. */
export const PATTERN_PERIOD = 65536;
const PATTERN = (() => {
  const b = new Uint8Array(2 * PATTERN_PERIOD);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
})();

interface Chunk {
  start: number;
  len: number;
  bytes: Uint8Array | null; // null = filler
}

export class StreamStore {
  private chunks: Chunk[] = [];
  private head = 0;
  /** total bytes written so far */
  length = 0;

  append(data: Uint8Array | number): void {
    const len = typeof data === 'number' ? data : data.length;
    if (len <= 0) return;
    const last = this.chunks[this.chunks.length - 1];
    if (typeof data === 'number' && last && last.bytes === null && this.chunks.length > this.head) last.len += len;
    else this.chunks.push({ start: this.length, len, bytes: typeof data === 'number' ? null : data });
    this.length += len;
  }

  /**
   * The bytes [off, off+len) as a view when they lie in one chunk (no copy), otherwise copied
   * into `scratch`. len is at most PATTERN_PERIOD.
   */
  view(off: number, len: number, scratch: Uint8Array): Uint8Array {
    let i = this.find(off);
    const c = this.chunks[i];
    if (off + len <= c.start + c.len) return this.slice(c, off, len);
    let p = 0;
    while (p < len) {
      const ch = this.chunks[i++];
      const from = off + p;
      const n = Math.min(len - p, ch.start + ch.len - from);
      scratch.set(this.slice(ch, from, n), p);
      p += n;
    }
    return scratch.subarray(0, len);
  }

  /** Forgets chunks that end at or before `off - 1` (the byte before `off` stays readable). */
  release(off: number): void {
    while (this.head < this.chunks.length - 1 && this.chunks[this.head].start + this.chunks[this.head].len < off) this.head++;
    if (this.head > 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  private slice(c: Chunk, off: number, len: number): Uint8Array {
    const rel = off - c.start;
    if (c.bytes) return c.bytes.subarray(rel, rel + len);
    const p = off % PATTERN_PERIOD;
    return PATTERN.subarray(p, p + len);
  }

  private find(off: number): number {
    // chunks are few and usually the wanted one is near the head: scan from there
    for (let i = this.head; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if (off < c.start + c.len) return i;
    }
    throw new Error(`stream offset ${off} beyond the ${this.length} bytes written`);
  }
}
