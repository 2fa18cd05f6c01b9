// Progress on stderr for long reads: bytes read of the total, the rate (packets/s when the
// caller knows packet counts, else MiB/s) and the time left. Shown only when a person is
// watching (stdout or stderr is a terminal), never with --quiet, and only once the work has
// taken more than a second, so short runs and pipelines print nothing extra. On a terminal the
// line rewrites itself and is erased at the end; when only stdout is a terminal (stderr goes to
// a file) it writes a plain line every few seconds instead, so the file stays readable.

import { READ_CHUNK } from '../capture/window.js';

/** Nothing is shown before the work has run this long. */
export const PROGRESS_DELAY_MS = 1000;
/** Redraw at most this often on a terminal (a person cannot read faster). */
export const PROGRESS_INTERVAL_MS = 250;
/** Plain lines at most this often when stderr is not a terminal. */
export const PROGRESS_LOG_INTERVAL_MS = 5000;

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  enabled: boolean;
  stream?: ProgressSink;
  /** milliseconds, monotonic; injectable for tests */
  now?: () => number;
}

/** True when progress may be shown: not --quiet and a terminal on stdout or stderr. */
export function progressWanted(quiet: boolean, stdout: { isTTY?: boolean } = process.stdout, stderr: { isTTY?: boolean } = process.stderr): boolean {
  return !quiet && (!!stdout.isTTY || !!stderr.isTTY);
}

function mib(b: number): string {
  return b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(2)} GiB` : `${(b / (1 << 20)).toFixed(1)} MiB`;
}

function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const t = Math.round(s);
  const hh = Math.floor(t / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = t % 60;
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}` : `${mm}:${String(ss).padStart(2, '0')}`;
}

function rate(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
}

export class Progress {
  private readonly stream: ProgressSink;
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private shown = false;
  private label = '';
  /** when the current phase started: rates and the ETA are of this phase */
  private phaseStarted: number;
  /** bytes done in files finished before the current one */
  private doneBefore = 0;
  private bytes = 0;
  private packets: number | null = null;

  private total: number | null;

  constructor(total: number | null, private readonly opts: ProgressOptions) {
    this.total = total;
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
    this.phaseStarted = this.started;
  }

  /** Starts the next file; `label` is what is being done ("reading a.pcap"); `total` replaces
   *  the total from here on when given (a second pass over one file). */
  phase(label: string, doneBefore: number, total?: number | null): void {
    this.label = label;
    this.phaseStarted = this.now();
    if (total !== undefined) this.total = total;
    this.doneBefore = doneBefore;
    this.bytes = 0;
    this.packets = null;
  }

  /** Bytes read in the current file (and packets, when known). Draws at most every interval. */
  update(bytes: number, packets: number | null = null): void {
    this.bytes = bytes;
    this.packets = packets;
    if (!this.opts.enabled) return;
    const t = this.now();
    if (t - this.started < PROGRESS_DELAY_MS) return;
    const tty = !!this.stream.isTTY;
    if (t - this.lastDraw < (tty ? PROGRESS_INTERVAL_MS : PROGRESS_LOG_INTERVAL_MS)) return;
    this.lastDraw = t;
    const line = this.line(t);
    if (tty) {
      const width = Math.max(20, (this.stream.columns || 100) - 1);
      this.stream.write(`\r\x1b[K${line.length > width ? line.slice(0, width) : line}`);
    } else this.stream.write(line + '\n');
    this.shown = true;
  }

  /** The status line (exposed for tests). */
  line(t = this.now()): string {
    const elapsed = (t - this.phaseStarted) / 1000;
    const done = this.doneBefore + this.bytes;
    const parts = [this.label];
    // a gzip file reads more (decompressed) bytes than its size: no total, no ETA then
    const known = this.total !== null && this.total > 0 && done <= this.total;
    parts.push(known ? `${mib(done)} of ${mib(this.total!)} (${Math.floor((100 * done) / this.total!)}%)` : `${mib(done)} read`);
    if (this.packets !== null && elapsed > 0) parts.push(`${rate(this.packets / elapsed)} packets/s`);
    else if (elapsed > 0) parts.push(`${mib(this.bytes / elapsed)}/s`);
    if (known && this.bytes > 0) parts.push(`ETA ${clock((elapsed * (this.total! - done)) / this.bytes)}`);
    return parts.join(', ');
  }

  /** Erases the line (terminal) when one was drawn. */
  end(): void {
    if (this.shown && this.stream.isTTY) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** Bytes read so far estimated from the reader's refills: each refill reads at most one
 *  READ_CHUNK, so before the k-th refill at most (k - 1) chunks were read. Exact to within one
 *  chunk (READ_CHUNK, 512 KiB), which is all a progress line needs. Used for the HTML report's
 *  second pass, whose hook is not given the reader's exact progress. */
export class RefillCounter {
  private refills = 0;
  next(): number {
    return this.refills++ * READ_CHUNK;
  }
}
