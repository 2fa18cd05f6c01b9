// Where in the capture file the bytes of a PDU lie, so that a consumer can keep their place
// instead of a copy and read them back on the rare occasion it needs them (rpc/retained.ts: the
// arguments of every RPC call are kept for comparison with a retransmission that seldom comes;
// copying them all, 400 MB on the NFS bench capture, into a 66 MiB ring far larger than any cache
// was the largest cost of the RPC retention).
//
// The capture reader hands each frame's bytes in its read buffer with the frame's position in the
// file (Frame.filePos, -1 for standard input and gzip). ProtocolPass sets a FileWindow for the
// segment it runs: a chunk that the stream delivers straight from that buffer (`b` is the buffer)
// lies in the file at `base + off`. Bytes the stream held back (out of order) are copies in its
// own arrays, and a framer's rescan works on copies too: those chunks have no place, and neither
// has a PDU with a gap (its missing bytes are zero-filled, not in the file).

/** The buffer of the segment being run and where its bytes lie in the file. */
export class FileWindow {
  /** the reader's buffer of the current segment's frame, null between segments or when the frame
   *  has no file position */
  buf: Uint8Array | null = null;
  /** file position of buf[0] (may be negative: only buf[frame.start ...] is the frame's) */
  base = 0;

  /** File position of b[off], -1 when `b` is not the current segment's buffer. */
  posOf(b: Uint8Array, off: number): number {
    return b === this.buf ? this.base + off : -1;
  }
}

/** Runs a PDU is kept as before they grow (a single-segment PDU needs one). */
const FIRST_RUNS = 16;

/**
 * The file positions of one PDU's bytes, in order, as runs (position, length): consecutive bytes
 * that are consecutive in the file share a run. `ok` is false once a byte of the PDU had no place.
 */
export class Places {
  pos = new Float64Array(FIRST_RUNS);
  len = new Float64Array(FIRST_RUNS);
  runs = 0;
  /** bytes covered */
  bytes = 0;
  ok = true;

  reset(): void {
    this.runs = 0;
    this.bytes = 0;
    this.ok = true;
  }

  /** The PDU's next n bytes lie at file position `pos` (-1: nowhere in the file). */
  add(pos: number, n: number): void {
    if (!this.ok || n <= 0) return;
    if (pos < 0) {
      this.ok = false;
      return;
    }
    this.bytes += n;
    const r = this.runs;
    if (r > 0 && this.pos[r - 1] + this.len[r - 1] === pos) {
      this.len[r - 1] += n;
      return;
    }
    if (r === this.pos.length) {
      const p = new Float64Array(2 * r);
      const l = new Float64Array(2 * r);
      p.set(this.pos);
      l.set(this.len);
      this.pos = p;
      this.len = l;
    }
    this.pos[r] = pos;
    this.len[r] = n;
    this.runs = r + 1;
  }

  /** The PDU's bytes were not all in the file (a gap, a copy). */
  lose(): void {
    this.ok = false;
  }
}

/** Reads bytes back from the capture file: how many of `len` bytes at `pos` went to into[at...]
 *  (fewer on a short read: the file was cut or rewritten since). */
export interface PlaceReader {
  /** Can bytes be read back? (a file reader opens its file here, once) */
  open(): boolean;
  read(pos: number, into: Uint8Array, at: number, len: number): number;
  close(): void;
}
