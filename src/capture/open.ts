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

/** Thrown for input that is not a capture at all or cannot be opened (never for damage inside a
 *  capture, which is reported in the summary). */
export class CaptureOpenError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'CaptureOpenError';
  }
}

export interface ReadOptions {
  /** called now and then with the bytes consumed so far (of the decompressed stream) */
  onProgress?: (bytes: number) => void;
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
    }
  }

  try {
    const win = new Window(pull);
    await win.ensure(24);
    const head = win.buf.subarray(win.pos, win.end);
    const info: CaptureInfo = {
      path, format: 'pcap', compression: gzip ? 'gzip' : null, byteOrder: 'le', version: '', interfaces: [], sections: 1,
    };
    const pcapHdr = parsePcapHeader(head);
    let ctx: ReadContext;
    if (pcapHdr) {
      info.byteOrder = pcapHdr.littleEndian ? 'le' : 'be';
      info.version = `${pcapHdr.major}.${pcapHdr.minor}`;
      info.interfaces.push({ id: 0, section: 0, linkType: pcapHdr.linkType, snaplen: pcapHdr.snaplen, tsDigits: pcapHdr.nanos ? 9 : 6 });
      ctx = new ReadContext(info, sink);
      await readPcap(win, ctx, pcapHdr);
    } else if (isPcapngStart(head)) {
      info.format = 'pcapng';
      info.sections = 0;
      ctx = new ReadContext(info, sink);
      await readPcapng(win, ctx);
    } else {
      if (gzipError) throw new CaptureOpenError(path, `corrupt gzip data: ${(gzipError as Error).message}`);
      const what = head.length === 0 ? 'the file is empty' : `unknown file format (first bytes ${hex(head.subarray(0, 8))})`;
      throw new CaptureOpenError(path, `not a pcap or pcapng capture: ${what}`);
    }
    if (gzipError) {
      ctx.fatal('gzip_error', `gzip stream damaged: ${(gzipError as Error).message}; frames before it were read`, win.offset);
    }
    opts.onProgress?.(win.offset);
    return ctx.summary(win.offset);
  } finally {
    if (closer) await closer();
  }
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
