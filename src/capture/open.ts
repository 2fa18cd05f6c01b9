// Opening a capture: a file path or '-' for standard input; gzip detected by its magic and
// decompressed as a stream; the format (pcap or pcapng) detected from the first bytes. Frames are
// delivered to a synchronous sink as they are read, so memory stays bounded whatever the size and
// `tcpdump -w - | pcapdx ... -` shows packets as they arrive.

import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { ReadContext } from './context.js';
import { parsePcapHeader, readPcap } from './pcap.js';
import { isPcapngStart, readPcapng } from './pcapng.js';
import type { CaptureInfo, FrameSink, ReadSummary } from './types.js';
import { Window, pullFromChunks, pullFromFile, type Pull } from './window.js';
export { pullFromChunks } from './window.js';

/** Thrown for input that is not a capture at all or cannot be opened (never for damage inside a
 *  capture, which is reported in the summary). */
export class CaptureOpenError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'CaptureOpenError';
  }
}

/** How far reading has got: bytes of the (decompressed) stream consumed, frames delivered. */
export interface ReadProgress {
  bytes: number;
  frames: number;
}

export interface ReadOptions {
  /** awaited before each refill of the read window (about every 4 MiB): backpressure from the
   *  consumer (await the output draining) and a place to report progress */
  beforeRefill?: (progress: ReadProgress) => Promise<void>;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Size of the file on disk, for progress; null for standard input. */
export async function captureSize(path: string): Promise<number | null> {
  if (path === '-') return null;
  const fh = await open(path, 'r');
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

export async function readCapture(path: string, sink: FrameSink, opts: ReadOptions = {}): Promise<ReadSummary> {
  let closer: (() => Promise<void>) | null = null;
  let pull: Pull;
  let gzip = false;
  let gzipError: Error | null = null;
  /** the stream is the file itself, so stream offsets are file positions (Frame.filePos) */
  let seekable = false;

  if (path === '-') {
    const stdin = process.stdin[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    const first = await stdin.next();
    const head: Uint8Array = first.done ? new Uint8Array(0) : first.value;
    gzip = head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
    async function* raw(): AsyncGenerator<Uint8Array> {
      if (head.length) yield head;
      for (;;) {
        const r = await stdin.next();
        if (r.done) return;
        yield r.value;
      }
    }
    pull = gzip ? pullFromChunks(gunzipChunks(Readable.from(raw()), (e) => (gzipError = e))) : pullFromChunks(raw());
  } else {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new CaptureOpenError(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
    }
    const probe = new Uint8Array(2);
    const { bytesRead } = await fh.read(probe, 0, 2, 0);
    gzip = bytesRead === 2 && probe[0] === GZIP_MAGIC_0 && probe[1] === GZIP_MAGIC_1;
    if (gzip) {
      await fh.close();
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      pull = pullFromChunks(gunzipChunks(stream, (e) => (gzipError = e)));
      closer = async () => void stream.destroy();
    } else {
      pull = pullFromFile(fh);
      closer = () => fh.close();
      seekable = (await fh.stat()).isFile();
    }
  }

  try {
    return await readFromPull(path, pull, gzip ? 'gzip' : null, sink, () => gzipError, opts, seekable);
  } finally {
    if (closer) await closer();
  }
}

/**
 * Reads a capture from any byte source: detects the format and runs its reader. Exposed for
 * tests, which feed bytes in chunks of any size to exercise the streaming paths.
 */
export async function readFromPull(
  path: string,
  pull: Pull,
  compression: 'gzip' | null,
  sink: FrameSink,
  gzipError: () => Error | null = () => null,
  opts: ReadOptions = {},
  seekable = false,
): Promise<ReadSummary> {
  const win = new Window(pull);
  let ctx: ReadContext | null = null;
  const hook = opts.beforeRefill;
  if (hook) win.beforeRefill = () => hook({ bytes: win.base + win.end, frames: ctx ? ctx.frames : 0 });
  await win.ensure(24);
  const head = win.buf.subarray(win.pos, win.end);
  const info: CaptureInfo = {
    path, format: 'pcap', compression, byteOrder: 'le', version: '', interfaces: [], sections: 1,
  };
  const pcapHdr = parsePcapHeader(head);
  if (pcapHdr) {
    info.byteOrder = pcapHdr.littleEndian ? 'le' : 'be';
    info.version = `${pcapHdr.major}.${pcapHdr.minor}`;
    info.interfaces.push({ id: 0, section: 0, linkType: pcapHdr.linkType, snaplen: pcapHdr.snaplen, tsDigits: pcapHdr.nanos ? 9 : 6 });
    ctx = new ReadContext(info, sink);
    await readPcap(win, ctx, pcapHdr, seekable);
  } else if (isPcapngStart(head)) {
    info.format = 'pcapng';
    info.sections = 0;
    ctx = new ReadContext(info, sink);
    await readPcapng(win, ctx, seekable);
  } else {
    const gz = gzipError();
    if (gz) throw new CaptureOpenError(path, `corrupt gzip data: ${gz.message}`);
    const what = head.length === 0 ? 'the file is empty' : head.length < 24 && head.length >= 4 && (parsePcapHeader(padTo24(head)) || isPcapngStart(head))
      ? `the file ends inside the ${isPcapngStart(head) ? 'pcapng section header' : 'pcap file header'} (${head.length} bytes)`
      : `unknown file format (first bytes ${hex(head.subarray(0, 8))})`;
    throw new CaptureOpenError(path, `not a readable pcap or pcapng capture: ${what}`);
  }
  if (ctx === null) throw new Error('unreachable: no reader context');
  const gz = gzipError();
  if (gz) ctx.fatal('gzip_error', `gzip stream damaged: ${gz.message}; the frames before it were read`, win.offset);
  return ctx.summary(win.offset);
}

function padTo24(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(24);
  o.set(b.subarray(0, 24));
  return o;
}

/** Decompresses a byte stream; a gzip error ends the chunks and is reported through onError. */
function gunzipChunks(src: Readable, onError: (e: Error) => void): AsyncIterator<Uint8Array> {
  const gunzip = createGunzip();
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  const it = gunzip[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    async next() {
      try {
        return await it.next();
      } catch (e) {
        onError(e as Error);
        return { done: true, value: undefined };
      }
    },
  };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
