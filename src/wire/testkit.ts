// Test-only helpers for the wire tests: frames from hex or from corpus captures, and a decode
// shortcut. Not imported by production code.
import { join } from 'node:path';
import { readCapture } from '../capture/open.js';
import type { Frame } from '../capture/types.js';
import { corpusDir } from '../../test/corpus.js';
import { decodeFrame } from './decode.js';
import { newPacket, type Packet } from './packet.js';

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/#[^\n]*/g, '').replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new Error('odd hex length');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function makeFrame(data: Uint8Array, linkType: number, origlen = data.length, number = 1): Frame {
  return {
    number, tsSec: 0, tsNsec: 0, tsDigits: 6, caplen: data.length, origlen, linkType, iface: 0, data,
    buf: data, start: 0, offset: 0, filePos: -1,
  };
}

/** The same frame placed at `start` inside a larger buffer, as the capture reader delivers it. */
export function makeFrameAt(data: Uint8Array, linkType: number, start: number, origlen = data.length): Frame {
  const buf = new Uint8Array(start + data.length + 16).fill(0xee);
  buf.set(data, start);
  return {
    number: 1, tsSec: 0, tsNsec: 0, tsDigits: 6, caplen: data.length, origlen, linkType, iface: 0,
    data: buf.subarray(start, start + data.length), buf, start, offset: 0, filePos: -1,
  };
}

/** Decodes `data` into a fresh Packet. */
export function decodeBytes(data: Uint8Array, linkType: number, origlen = data.length): Packet {
  const pkt = newPacket();
  decodeFrame(makeFrame(data, linkType, origlen), pkt);
  return pkt;
}

/** The same frame cut by a snaplen of `n` bytes (origlen stays the full length). */
export function cut(data: Uint8Array, linkType: number, n: number): Packet {
  return decodeBytes(data.subarray(0, n), linkType, data.length);
}

/** Frames of a corpus capture (path relative to the corpus root), copied so they outlive the
 *  reader's callback. `limit` stops collecting after that many frames. */
export async function corpusFrames(rel: string, limit = Infinity): Promise<Frame[]> {
  const out: Frame[] = [];
  await readCapture(join(corpusDir(), rel), (f) => {
    if (out.length < limit) {
      const fr = makeFrame(f.data.slice(0, f.caplen), f.linkType, f.origlen, f.number);
      fr.tsSec = f.tsSec;
      fr.tsNsec = f.tsNsec;
      fr.tsDigits = f.tsDigits;
      fr.iface = f.iface;
      fr.offset = f.offset;
      out.push(fr);
    }
  });
  return out;
}

/** Cuts `data` at every length start..start+len-1 (every truncation of the header that starts
 *  at `start`) and checks each gives `code` with kind 'truncated' without throwing. Returns the
 *  number of cuts checked. */
export function checkEveryCut(
  data: Uint8Array, linkType: number, start: number, len: number, code: string,
  check: (pkt: Packet, n: number) => void = () => {},
): number {
  let n = 0;
  for (let k = 0; k < len; k++) {
    const pkt = cut(data, linkType, start + k);
    if (pkt.issue !== code || pkt.issueKind !== 'truncated') {
      throw new Error(`cut at ${start + k}: expected ${code}/truncated, got ${pkt.issue}/${pkt.issueKind}`);
    }
    check(pkt, start + k);
    n++;
  }
  return n;
}
