// Classic libpcap format: a 24-byte file header, then records of a 16-byte header and the
// captured bytes. Both byte orders; microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic.
// Reference: draft-ietf-opsawg-pcap.

import { u16be, u16le, u32be, u32le } from '../bytes/reader.js';
import type { ReadContext } from './context.js';
import { MAX_RECORD_BYTES } from './context.js';
import type { Window } from './window.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapHeader {
  littleEndian: boolean;
  nanos: boolean;
  major: number;
  minor: number;
  snaplen: number;
  linkType: number;
}

/** Reads the file header from the first 24 bytes; null when the magic is not pcap's. */
export function parsePcapHeader(b: Uint8Array): PcapHeader | null {
  if (b.length < FILE_HEADER) return null;
  const le = u32le(b, 0);
  const be = u32be(b, 0);
  let littleEndian: boolean;
  let nanos: boolean;
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    littleEndian = true;
    nanos = le === PCAP_MAGIC_NSEC;
  } else if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    littleEndian = false;
    nanos = be === PCAP_MAGIC_NSEC;
  } else return null;
  const r16 = littleEndian ? u16le : u16be;
  const r32 = littleEndian ? u32le : u32be;
  // The link-type field's upper 16 bits carry FCS information (draft section 4): keep the type.
  return { littleEndian, nanos, major: r16(b, 4), minor: r16(b, 6), snaplen: r32(b, 16), linkType: r32(b, 20) & 0xffff };
}

/** `seekable`: stream offsets are positions in the capture file (Frame.filePos). */
export async function readPcap(win: Window, ctx: ReadContext, hdr: PcapHeader, seekable = false): Promise<void> {
  const le = hdr.littleEndian;
  const fracMax = hdr.nanos ? 1_000_000_000 : 1_000_000;
  const fracToNs = hdr.nanos ? 1 : 1000;
  const frame = ctx.frame;
  frame.tsDigits = hdr.nanos ? 9 : 6;
  frame.linkType = hdr.linkType;
  frame.iface = 0;
  const snaplen = hdr.snaplen;
  let warnedSnaplen = false;
  win.pos += FILE_HEADER;

  for (;;) {
    if (win.end - win.pos < RECORD_HEADER) {
      const avail = await win.ensure(RECORD_HEADER);
      if (avail === 0) return;
      if (avail < RECORD_HEADER) {
        ctx.fatal('file_truncated', `file ends inside a record header (${avail} of ${RECORD_HEADER} bytes)`, win.offset);
        return;
      }
    }
    const b = win.buf;
    const p = win.pos;
    let sec: number, frac: number, caplen: number, origlen: number;
    if (le) {
      sec = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
      frac = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
      caplen = (b[p + 8] | (b[p + 9] << 8) | (b[p + 10] << 16) | (b[p + 11] << 24)) >>> 0;
      origlen = (b[p + 12] | (b[p + 13] << 8) | (b[p + 14] << 16) | (b[p + 15] << 24)) >>> 0;
    } else {
      sec = u32be(b, p);
      frac = u32be(b, p + 4);
      caplen = u32be(b, p + 8);
      origlen = u32be(b, p + 12);
    }
    if (caplen > MAX_RECORD_BYTES) {
      ctx.fatal('record_length_absurd', `record claims ${caplen} captured bytes (limit ${MAX_RECORD_BYTES}); the file is damaged from here`, win.offset);
      return;
    }
    const need = RECORD_HEADER + caplen;
    if (win.end - p < need) {
      const avail = await win.ensure(need);
      if (avail < need) {
        ctx.fatal('file_truncated', `file ends inside a record: ${avail - RECORD_HEADER} of ${caplen} captured bytes present`, win.offset);
        return;
      }
    }
    const at = win.pos;
    if (frac >= fracMax) {
      // Out-of-range fraction (seen in crafted files): carried into seconds, and reported.
      ctx.issue('timestamp_invalid', 'warning', `timestamp fraction ${frac} is out of range for ${hdr.nanos ? 'nanosecond' : 'microsecond'} resolution; carried into seconds`, win.offset);
      sec += Math.floor(frac / fracMax);
      frac %= fracMax;
    }
    if (caplen > origlen) {
      ctx.issue('caplen_exceeds_origlen', 'warning', `captured length ${caplen} exceeds original length ${origlen}`, win.offset);
    }
    if (!warnedSnaplen && snaplen > 0 && caplen > snaplen) {
      warnedSnaplen = true;
      ctx.issue('caplen_exceeds_snaplen', 'warning', `record has ${caplen} captured bytes, more than the file's snaplen ${snaplen}`, win.offset);
    }
    frame.tsSec = sec;
    frame.tsNsec = frac * fracToNs;
    frame.caplen = caplen;
    frame.origlen = origlen;
    frame.offset = win.base + at;
    frame.buf = win.buf;
    frame.start = at + RECORD_HEADER;
    frame.filePos = seekable ? win.base + at + RECORD_HEADER : -1;
    win.pos = at + need;
    ctx.emit();
  }
}
