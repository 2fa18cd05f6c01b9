// Buffered output for commands that print a line per packet: strings are gathered and written in
// large pieces; drain() lets the capture reader wait for a slow pipe instead of buffering without
// bound. A closed pipe (`pcapdx packets f | head`) ends the program quietly.
//
// Commands that print a million lines can skip strings altogether: `bytes` is a ByteSink whose
// chunk goes to the stream as it is, so a line is written once, as bytes, where it will be sent
// (no string per line, no joining, no re-encoding). Strings and byte lines keep their order: a
// string flushes pending byte lines first and a byte line flushes pending strings first.

/** Bytes gathered before a chunk goes to the stream. */
const CHUNK_FLUSH_AT = 256 * 1024;
/** Room beyond the flush mark, so a line rarely has to move to a new chunk. */
const CHUNK_SLACK = 16 * 1024;

/** A chunk of `n` bytes as a plain Uint8Array (not a Buffer: the copy loops then see one array
 *  type only, which V8 compiles to tight code; a mix of Buffer and Uint8Array was 3x slower). */
function chunkOf(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Fixed text (already encoded) for ByteSink.lit: its bytes as little-endian 32-bit words, so
 *  that a copy stores four bytes at a time (the byte loop was most of a flows line's cost). */
export class Lit {
  readonly words: Int32Array;
  readonly length: number;
  readonly bytes: Uint8Array;

  constructor(src: string | Uint8Array) {
    const b = typeof src === 'string' ? Buffer.from(src, 'utf8') : src;
    this.length = b.length;
    this.bytes = Uint8Array.from(b);
    const padded = new Uint8Array((b.length + 3) & ~3);
    padded.set(b);
    this.words = new Int32Array(padded.length / 4);
    const dv = new DataView(padded.buffer);
    for (let i = 0; i < this.words.length; i++) this.words[i] = dv.getInt32(i * 4, true);
  }
}

/**
 * Lines written as bytes into a chunk. The writer calls beginLine(), writes with str / lit / int
 * / int9 / bytes (each makes its own room), then endLine() (appends '\n'; the chunk goes to
 * `emit` once past the flush mark) or takeLine() (the line as a string, removed from the chunk).
 * A chunk handed to `emit` is never written again (the stream may still hold it). Sources given
 * to lit / bytes should be plain Uint8Arrays (see chunkOf).
 */
export class ByteSink {
  buf: Uint8Array;
  /** the same chunk, for the four-byte stores of lit() */
  private dv: DataView;
  pos = 0;
  /** where the line being built starts: bytes before it are complete lines */
  private lineStart = 0;

  constructor(private readonly emit: ((chunk: Buffer) => void) | null = null, private readonly before: (() => void) | null = null) {
    this.buf = chunkOf(emit === null ? 1024 : CHUNK_FLUSH_AT + CHUNK_SLACK);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  private setChunk(b: Uint8Array): void {
    this.buf = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.length);
  }

  /** Complete lines waiting in the chunk. */
  get pending(): boolean {
    return this.lineStart > 0;
  }

  beginLine(): void {
    if (this.before !== null) this.before();
  }

  /** Makes room for n more bytes of the current line: complete lines go out first (the partial
   *  line moves to the new chunk); a line longer than a chunk grows it. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.emit !== null && this.lineStart > 0) {
      this.flush();
      if (this.pos + n <= this.buf.length) return;
    }
    let cap = this.buf.length;
    while (this.pos + n > cap) cap *= 2;
    const b = chunkOf(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.setChunk(b);
  }

  /** Characters below 0x80 only. */
  str(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Fixed text, four bytes per store: the last store may write up to three bytes past the
   *  text, inside the room made for them, which the next write overwrites (never sent: only
   *  bytes before pos are). */
  lit(src: Lit): void {
    const n = src.length;
    if (this.pos + n + 3 > this.buf.length) this.room(n + 3);
    const dv = this.dv;
    const w = src.words;
    const p = this.pos;
    for (let i = 0; i < w.length; i++) dv.setInt32(p + 4 * i, w[i], true);
    this.pos = p + n;
  }

  /** The first n raw bytes of src. */
  bytes(src: Uint8Array, n: number): void {
    if (this.pos + n > this.buf.length) this.room(n);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) b[p + i] = src[i];
    this.pos = p + n;
  }

  /** n raw bytes of src from src[start]. */
  bytesFrom(src: Uint8Array, start: number, n: number): void {
    if (this.pos + n > this.buf.length) this.room(n);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) b[p + i] = src[start + i];
    this.pos = p + n;
  }

  /** One byte. */
  byte(v: number): void {
    if (this.pos + 1 > this.buf.length) this.room(1);
    this.buf[this.pos++] = v;
  }

  /** A non-negative integer below 2^53 (others through String(), as JSON would write them). */
  int(v: number): void {
    if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) {
      this.smallInt(v);
      return;
    }
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) {
      this.str(String(v));
      return;
    }
    if (this.pos + 16 > this.buf.length) this.room(16);
    const b = this.buf;
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    do {
      const q = Math.floor(v / 10);
      b[--p] = 0x30 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  /** 0..2^31-1 in int32 arithmetic (division by 10 becomes a multiplication). */
  private smallInt(v: number): void {
    v |= 0;
    const n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6
      : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    if (this.pos + n > this.buf.length) this.room(n);
    const b = this.buf;
    let p = this.pos + n;
    this.pos = p;
    do {
      const q = (v / 10) | 0;
      b[--p] = 0x30 + v - q * 10;
      v = q;
    } while (v !== 0);
  }

  /** An integer 0..999,999,999 as exactly nine digits (leading zeros). */
  int9(v: number): void {
    if (this.pos + 9 > this.buf.length) this.room(9);
    const b = this.buf;
    const p = this.pos;
    v |= 0;
    for (let k = p + 8; k >= p; k--) {
      const q = (v / 10) | 0;
      b[k] = 0x30 + v - q * 10;
      v = q;
    }
    this.pos = p + 9;
  }

  /** Ends the current line with '\n'; the chunk goes out once past the flush mark. */
  endLine(): void {
    if (this.pos + 1 > this.buf.length) this.room(1);
    this.buf[this.pos++] = 0x0a;
    this.lineStart = this.pos;
    if (this.pos >= CHUNK_FLUSH_AT) this.flush();
  }

  /** The current line as a string (removed from the chunk): 'latin1' is the fast copy when every
   *  byte is ASCII. */
  takeLine(encoding: 'latin1' | 'utf8'): string {
    const b = this.buf;
    const s = Buffer.from(b.buffer, b.byteOffset + this.lineStart, this.pos - this.lineStart).toString(encoding);
    this.pos = this.lineStart;
    return s;
  }

  /** Sends the complete lines (a new chunk takes the partial line, if any). */
  flush(): void {
    const start = this.lineStart;
    if (start === 0 || this.emit === null) return;
    const chunk = this.buf;
    const len = this.pos - start;
    this.setChunk(chunkOf(chunk.length));
    if (len > 0) this.buf.set(chunk.subarray(start, this.pos));
    this.pos = len;
    this.lineStart = 0;
    this.emit(Buffer.from(chunk.buffer, chunk.byteOffset, start));
  }
}

export class Output {
  private parts: string[] = [];
  private size = 0;
  private blocked: Promise<void> | null = null;
  static readonly FLUSH_AT = 256 * 1024;
  /** Lines written as bytes, in order with the strings (see ByteSink). */
  readonly bytes: ByteSink;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
    this.bytes = new ByteSink((chunk) => this.send(chunk), () => {
      if (this.size > 0) this.flushStrings();
    });
  }

  write(s: string): void {
    if (this.bytes.pending) this.bytes.flush();
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= Output.FLUSH_AT) this.flushStrings();
  }

  line(s: string): void {
    this.write(s + '\n');
  }

  flush(): void {
    this.flushStrings();
    this.bytes.flush();
  }

  private flushStrings(): void {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.send(chunk);
  }

  private send(chunk: string | Buffer): void {
    if (!this.stream.write(chunk) && this.blocked === null) {
      this.blocked = new Promise((resolve) => this.stream.once('drain', () => {
        this.blocked = null;
        resolve();
      }));
    }
  }

  /** Resolves when the stream has room again (immediately when it has). */
  drain = async (): Promise<void> => {
    this.flush();
    if (this.blocked) await this.blocked;
  };

  async end(): Promise<void> {
    await this.drain();
  }
}
