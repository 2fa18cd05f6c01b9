// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each `type, total length, body, total
// length`. A Section Header Block sets the byte order for its section; Interface Description
// Blocks (per section, numbered from 0) give link type, snaplen and timestamp resolution/offset;
// packets come in Enhanced, Simple and (obsolete) Packet Blocks. Unknown blocks are skipped by
// their length. A block whose trailing length disagrees with its leading one ends reading: the
// framing can no longer be trusted.

import { u16be, u16le, u32be, u32le } from '../bytes/reader.js';
import { divmod64 } from '../bytes/time.js';
import type { ReadContext } from './context.js';
import { MAX_RECORD_BYTES } from './context.js';
import type { InterfaceInfo } from './types.js';
import type { Window } from './window.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002; // obsolete Packet Block
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Per-interface timestamp conversion, worked out once from if_tsresol / if_tsoffset. */
interface Iface {
  info: InterfaceInfo;
  /** index into CaptureInfo.interfaces (all sections) */
  index: number;
  /** decimal resolution 10^-exp (exp <= 9: exact with divmod64), or null for a binary/finer one */
  decimalExp: number | null;
  /** 2^-n or 10^-n with n > 9: units per second as bigint, for the rare slow path */
  unitsPerSec: bigint;
  offsetSec: number;
}

export function isPcapngStart(b: Uint8Array): boolean {
  return b.length >= 4 && u32le(b, 0) === BT_SHB;
}

/** `seekable`: stream offsets are positions in the capture file (Frame.filePos). */
export async function readPcapng(win: Window, ctx: ReadContext, seekable = false): Promise<void> {
  let le = true;
  let ifaces: Iface[] = [];
  let section = -1;
  const frame = ctx.frame;

  for (;;) {
    if (win.end - win.pos < 12) {
      const avail = await win.ensure(12);
      if (avail === 0) return;
      if (avail < 12) {
        ctx.fatal('file_truncated', `file ends inside a block header (${avail} bytes left)`, win.offset);
        return;
      }
    }
    let b = win.buf;
    let p = win.pos;
    const rawType = u32le(b, p);
    if (rawType === BT_SHB) {
      // byte order comes from the magic in the block itself
      const magicLe = u32le(b, p + 8);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (u32be(b, p + 8) === BYTE_ORDER_MAGIC) le = false;
      else {
        ctx.fatal('bad_section_header', 'section header block has no valid byte-order magic', win.offset);
        return;
      }
    }
    const r32 = le ? u32le : u32be;
    const r16 = le ? u16le : u16be;
    const type = r32(b, p);
    const total = r32(b, p + 4);
    if (total < 12 || total > MAX_RECORD_BYTES) {
      ctx.fatal('record_length_absurd', `block of type 0x${type.toString(16)} claims a length of ${total} bytes`, win.offset);
      return;
    }
    if (win.end - p < total) {
      const avail = await win.ensure(total);
      if (avail < total) {
        ctx.fatal('file_truncated', `file ends inside a block of type 0x${type.toString(16)}: ${avail} of ${total} bytes present`, win.offset);
        return;
      }
      b = win.buf;
      p = win.pos;
    }
    if (r32(b, p + total - 4) !== total) {
      ctx.fatal('block_length_mismatch', `block of type 0x${type.toString(16)} has leading length ${total} but trailing length ${r32(b, p + total - 4)}`, win.offset);
      return;
    }
    const body = p + 8;
    const bodyEnd = p + total - 4;

    switch (type) {
      case BT_SHB: {
        section++;
        ifaces = [];
        if (section === 0) {
          ctx.info.byteOrder = le ? 'le' : 'be';
          ctx.info.version = `${r16(b, body + 4)}.${r16(b, body + 6)}`;
        }
        ctx.info.sections = section + 1;
        break;
      }
      case BT_IDB: {
        if (bodyEnd - body < 8) {
          ctx.issue('record_length_absurd', 'warning', 'interface description block too short', win.offset);
          break;
        }
        const info: InterfaceInfo = {
          id: ifaces.length, section: Math.max(section, 0), linkType: r16(b, body), snaplen: r32(b, body + 4), tsDigits: 6,
        };
        const iface: Iface = { info, index: ctx.info.interfaces.length, decimalExp: 6, unitsPerSec: 1_000_000n, offsetSec: 0 };
        // options: code, length, value padded to 4 bytes; every step advances by at least 4
        let o = body + 8;
        while (o + 4 <= bodyEnd) {
          const code = r16(b, o);
          const len = r16(b, o + 2);
          const v = o + 4;
          if (code === OPT_ENDOFOPT || v + len > bodyEnd) break;
          if (code === OPT_IF_TSRESOL && len >= 1) {
            const r = b[v];
            const exp = r & 0x7f;
            if (r & 0x80) {
              iface.decimalExp = null;
              iface.unitsPerSec = 1n << BigInt(exp);
              info.tsDigits = 9;
            } else {
              iface.decimalExp = exp <= 9 ? exp : null;
              iface.unitsPerSec = 10n ** BigInt(exp);
              info.tsDigits = Math.min(exp, 9);
            }
          } else if (code === OPT_IF_TSOFFSET && len >= 8) {
            const hi = r32(b, le ? v + 4 : v);
            const lo = r32(b, le ? v : v + 4);
            iface.offsetSec = (hi | 0) * 4294967296 + lo;
          } else if (code === OPT_IF_NAME && len > 0) {
            info.name = new TextDecoder().decode(b.subarray(v, v + len)).replace(/\0+$/, '');
          }
          o = v + ((len + 3) & ~3);
        }
        ifaces.push(iface);
        ctx.info.interfaces.push(info);
        break;
      }
      case BT_EPB:
      case BT_OPB: {
        const isEpb = type === BT_EPB;
        if (bodyEnd - body < 20) {
          ctx.fatal('record_length_absurd', 'packet block too short for its fixed fields', win.offset);
          return;
        }
        const ifId = isEpb ? r32(b, body) : r16(b, body);
        const hi = r32(b, body + 4);
        const lo = r32(b, body + 8);
        const caplen = r32(b, body + 12);
        const origlen = r32(b, body + 16);
        if (caplen > bodyEnd - (body + 20)) {
          ctx.fatal('record_length_absurd', `packet block claims ${caplen} captured bytes but holds only ${bodyEnd - body - 20}`, win.offset);
          return;
        }
        const iface = ifaces[ifId];
        if (iface === undefined) {
          ctx.issue('unknown_interface', 'warning', `packet block names interface ${ifId}, which was not described; skipped`, win.offset);
          break;
        }
        setTime(ctx, iface, hi, lo);
        if (caplen > origlen) ctx.issue('caplen_exceeds_origlen', 'warning', `captured length ${caplen} exceeds original length ${origlen}`, win.offset);
        frame.caplen = caplen;
        frame.origlen = origlen;
        deliver(ctx, win, iface, p, body + 20, seekable);
        break;
      }
      case BT_SPB: {
        const iface = ifaces[0];
        if (iface === undefined) {
          ctx.issue('unknown_interface', 'warning', 'simple packet block before any interface description; skipped', win.offset);
          break;
        }
        const origlen = r32(b, body);
        let caplen = Math.min(origlen, bodyEnd - (body + 4));
        if (iface.info.snaplen > 0) caplen = Math.min(caplen, iface.info.snaplen);
        // simple packet blocks carry no timestamp
        frame.tsSec = 0;
        frame.tsNsec = 0;
        frame.caplen = caplen;
        frame.origlen = origlen;
        deliver(ctx, win, iface, p, body + 4, seekable);
        break;
      }
      default:
        // name resolution, statistics, decryption secrets, custom...: not needed, skipped by length
        break;
    }
    // the consumer may not keep views, and may not have caused a refill: safe to advance
    win.pos = p + total;
  }
}

function deliver(ctx: ReadContext, win: Window, iface: Iface, blockStart: number, dataStart: number, seekable: boolean): void {
  const frame = ctx.frame;
  frame.linkType = iface.info.linkType;
  frame.iface = iface.index;
  frame.tsDigits = iface.info.tsDigits;
  frame.offset = win.base + blockStart;
  frame.buf = win.buf;
  frame.start = dataStart;
  frame.filePos = seekable ? win.base + dataStart : -1;
  ctx.emit();
}

function setTime(ctx: ReadContext, iface: Iface, hi: number, lo: number): void {
  const frame = ctx.frame;
  const exp = iface.decimalExp;
  if (exp !== null) {
    const unit = 10 ** exp;
    const [sec, frac] = divmod64(hi, lo, unit);
    frame.tsSec = sec + iface.offsetSec;
    frame.tsNsec = frac * 10 ** (9 - exp);
  } else {
    // binary or sub-nanosecond resolution: exact with bigint (rare)
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const sec = v / iface.unitsPerSec;
    const frac = v % iface.unitsPerSec;
    frame.tsSec = Number(sec) + iface.offsetSec;
    frame.tsNsec = Number((frac * 1_000_000_000n) / iface.unitsPerSec);
  }
}
