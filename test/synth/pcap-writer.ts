// Classic pcap writer (draft-ietf-opsawg-pcap): either byte order, microsecond or nanosecond
// magic, any snaplen and link type. Records longer than the snaplen are cut: caplen = snaplen,
// origlen = the packet's length, as libpcap writes them.

import { BlockBuffer, FdSink, type ByteSink } from './sink.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapWriterOptions {
  linkType: number;
  /** default 262144, libpcap's MAXIMUM_SNAPLEN */
  snaplen?: number;
  /** default 'le' */
  byteOrder?: 'le' | 'be';
  /** nanosecond timestamps (magic 0xa1b23c4d); default microseconds */
  nanos?: boolean;
  /** FCS bits for the upper bits of the link-type field (draft 4: F bit and FCS length) */
  fcsBits?: number;
}

export class PcapWriter {
  private readonly out: BlockBuffer;
  private readonly le: boolean;
  private readonly nanos: boolean;
  readonly snaplen: number;
  frames = 0;

  constructor(sink: ByteSink | string | number, opts: PcapWriterOptions) {
    this.out = new BlockBuffer(typeof sink === 'object' ? sink : new FdSink(sink));
    this.le = (opts.byteOrder ?? 'le') === 'le';
    this.nanos = opts.nanos ?? false;
    this.snaplen = opts.snaplen ?? 262144;
    const p = this.out.reserve(FILE_HEADER);
    const v = this.out.view;
    v.setUint32(p, this.nanos ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, this.le);
    v.setUint16(p + 4, 2, this.le);
    v.setUint16(p + 6, 4, this.le);
    v.setInt32(p + 8, 0, this.le); // thiszone (always 0)
    v.setUint32(p + 12, 0, this.le); // sigfigs (always 0)
    v.setUint32(p + 16, this.snaplen, this.le);
    v.setUint32(p + 20, ((opts.fcsBits ?? 0) << 16 | (opts.linkType & 0xffff)) >>> 0, this.le);
  }

  /**
   * Appends one record. `tsNsec` is nanoseconds (truncated to microseconds for a usec file);
   * `origLen` defaults to data.length (pass more when `data` is already cut).
   */
  write(tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): void {
    const caplen = Math.min(data.length, this.snaplen);
    const p = this.out.reserve(RECORD_HEADER + caplen);
    const v = this.out.view;
    v.setUint32(p, tsSec, this.le);
    v.setUint32(p + 4, this.nanos ? tsNsec : Math.floor(tsNsec / 1000), this.le);
    v.setUint32(p + 8, caplen, this.le);
    v.setUint32(p + 12, Math.max(origLen, data.length), this.le);
    this.out.buf.set(caplen === data.length ? data : data.subarray(0, caplen), p + RECORD_HEADER);
    this.frames++;
  }

  /** Appends a record with explicit header fields, unchecked (for damaged-file tests). */
  writeRaw(tsSec: number, tsFrac: number, caplen: number, origLen: number, data: Uint8Array): void {
    const p = this.out.reserve(RECORD_HEADER + data.length);
    const v = this.out.view;
    v.setUint32(p, tsSec, this.le);
    v.setUint32(p + 4, tsFrac, this.le);
    v.setUint32(p + 8, caplen, this.le);
    v.setUint32(p + 12, origLen, this.le);
    this.out.buf.set(data, p + RECORD_HEADER);
    this.frames++;
  }

  close(): void {
    this.out.close();
  }
}
