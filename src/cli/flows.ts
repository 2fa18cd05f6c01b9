// `pcapdx flows FILE...`: the TCP connections of each capture, one line each (stream, endpoints
// with ports and VLAN tags, who opened it, start, duration, handshake RTT, Zeek-style history,
// final state, packets/bytes each way, retransmissions), or NDJSON with the same fields (--json).
// Rows are printed as connections leave the tracker's table (closed, idle, or at the end of the
// capture), so memory stays bounded on any capture size.
//
// A capture can hold millions of connections: each line is written straight from the live Conn
// (the tracker's onEndConn), without a record object, bigints or JSON.stringify. A JSON line is
// built as bytes in a reused buffer (file name prefix included, history copied from its letter
// codes) and becomes one flat string (a template of forty pieces cost about twice as much,
// mostly flattening them later; a prefix concatenated per line and the history string cache
// were 8% of a million-connection run); addresses come from a cache.

import { readCapture } from '../capture/open.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket } from '../wire/packet.js';
import { formatAddr } from '../wire/addr.js';
import { TcpTracker } from '../tcp/tracker.js';
import { OPENER_NAMES, connState, type Conn, type Dir, type EndReason } from '../tcp/conn.js';
import { termSafe } from './common.js';

export interface FlowsOptions { json: boolean }

const HEADER = ['stream', 'originator', 'responder', 'vlan', 'opener', 'start', 'duration', 'hs_rtt', 'history', 'state',
  'pkts>', 'bytes>', 'pkts<', 'bytes<', 'retrans>', 'retrans<'];

/** Formatted addresses, direct-mapped by a hash of the words: a server address repeats on every
 *  connection; a miss costs one formatting. */
const ADDR_CACHE_SIZE = 4096;
class AddrCache {
  private readonly l3 = new Int32Array(ADDR_CACHE_SIZE);
  private readonly w = new Int32Array(ADDR_CACHE_SIZE * 4);
  private readonly text: string[] = new Array<string>(ADDR_CACHE_SIZE).fill('');
  private readonly words = [0, 0, 0, 0];

  get(l3: number, w0: number, w1: number, w2: number, w3: number): string {
    let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2d);
    h = (h ^ (h >>> 15)) & (ADDR_CACHE_SIZE - 1);
    const k = h * 4;
    const w = this.w;
    if (this.l3[h] === l3 && w[k] === (w0 | 0) && w[k + 1] === (w1 | 0) && w[k + 2] === (w2 | 0) && w[k + 3] === (w3 | 0)) {
      return this.text[h];
    }
    const words = this.words;
    words[0] = w0; words[1] = w1; words[2] = w2; words[3] = w3;
    const s = formatAddr(l3, words);
    this.l3[h] = l3;
    w[k] = w0; w[k + 1] = w1; w[k + 2] = w2; w[k + 3] = w3;
    this.text[h] = s;
    return s;
  }
}

/** A line built as bytes in a reused buffer: ASCII through str/int/codes, and a fixed UTF-8
 *  prefix (the file name may be anything) through bytes. */
class ByteLine {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** Characters below 0x80 only. */
  str(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Raw bytes (already encoded). */
  bytes(src: Uint8Array, n: number): void {
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = src[i];
    this.pos = p;
  }

  /** A non-negative integer below 2^53 (others through String()). */
  int(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) {
      this.str(String(v));
      return;
    }
    this.room(16);
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

  /** An integer 0..999,999,999 as exactly nine digits (leading zeros). */
  int9(v: number): void {
    this.room(9);
    const b = this.buf;
    const p = this.pos;
    for (let k = p + 8; k >= p; k--) {
      const q = Math.floor(v / 10);
      b[k] = 0x30 + (v - q * 10);
      v = q;
    }
    this.pos = p + 9;
  }

  /** The line as one flat string: 'latin1' when every byte is ASCII (the fast copy), else 'utf8'. */
  toString(encoding: 'latin1' | 'utf8'): string {
    return this.buf.toString(encoding, 0, this.pos);
  }
}

/** Writes the lines of one capture's connections. */
class FlowWriter {
  private readonly addrs = new AddrCache();
  /** the start of every JSON line as UTF-8: the file name may need escaping and be non-ASCII */
  private readonly jsonPrefix: Buffer;
  /** how a JSON line's bytes become a string: only a non-ASCII file name needs UTF-8 decoding */
  private readonly jsonEncoding: 'latin1' | 'utf8';
  private readonly line = new ByteLine();

  constructor(file: string, private readonly json: boolean, private readonly tracker: TcpTracker, private readonly out: (s: string) => void) {
    const prefix = `{"file":${JSON.stringify(file)},`;
    this.jsonPrefix = Buffer.from(prefix, 'utf8');
    this.jsonEncoding = this.jsonPrefix.length === prefix.length ? 'latin1' : 'utf8';
  }

  readonly onEnd = (c: Conn, reason: EndReason): void => {
    this.out(this.json ? this.jsonLine(c, reason) : this.row(c));
  };

  private origAddr(c: Conn): string {
    return this.addrs.get(c.l3, c.a0, c.a1, c.a2, c.a3);
  }

  private respAddr(c: Conn): string {
    return this.addrs.get(c.l3, c.b0, c.b1, c.b2, c.b3);
  }

  private row(c: Conn): string {
    const v6 = c.l3 === 6;
    const o = this.origAddr(c);
    const r = this.respAddr(c);
    const history = termSafe(c.history) || '-';
    return `${c.stream}\t${v6 ? `[${o}]:${c.aPort}` : `${o}:${c.aPort}`}\t${v6 ? `[${r}]:${c.bPort}` : `${r}:${c.bPort}`}\t` +
      `${c.vlans.length ? c.vlans.join('.') : '-'}\t${OPENER_NAMES[c.opener]}\t${this.tracker.epochString(c.firstTime, 6)}\t` +
      `${(durationNs(c) / 1e9).toFixed(6)}\t${c.firstRtt > 0 ? (c.firstRtt / 1e9).toFixed(6) : '-'}\t${history}\t${connState(c)}\t` +
      `${c.d0.pkts}\t${c.d0.ipBytes}\t${c.d1.pkts}\t${c.d1.ipBytes}\t${c.d0.retransmissions}\t${c.d1.retransmissions}`;
  }

  /** The same document JSON.stringify made of the ConnRecord, key for key; every string but
   *  the file name is known to be ASCII needing no escaping (digits, hex, fixed words). */
  private jsonLine(c: Conn, reason: EndReason): string {
    const l = this.line;
    l.reset();
    l.bytes(this.jsonPrefix, this.jsonPrefix.length);
    l.str('"stream":'); l.int(c.stream);
    l.str(c.l3 === 6 ? ',"ip_version":6,"vlans":[' : ',"ip_version":4,"vlans":[');
    for (let i = 0; i < c.vlans.length; i++) {
      if (i > 0) l.str(',');
      l.int(c.vlans[i]);
    }
    l.str('],"orig_addr":"'); l.str(this.origAddr(c));
    l.str('","orig_port":'); l.int(c.aPort);
    l.str(',"resp_addr":"'); l.str(this.respAddr(c));
    l.str('","resp_port":'); l.int(c.bPort);
    l.str(',"opener":"'); l.str(OPENER_NAMES[c.opener]);
    l.str('","start":"');
    const tr = this.tracker;
    if (tr.epochParts(c.firstTime)) {
      // formatEpochPair(sec, nsec, 9) as digits: no string per line
      l.int(tr.epochSec); l.str('.'); l.int9(tr.epochNsec);
    } else {
      l.str(tr.epochString(c.firstTime, 9));
    }
    l.str('","duration_s":'); l.str(String(durationNs(c) / 1e9));
    l.str(',"handshake_rtt_s":'); l.str(c.firstRtt > 0 ? String(c.firstRtt / 1e9) : 'null');
    // letters of Zeek's fixed set (tracker.ts), straight from their codes: no string per line
    l.str(',"history":"'); l.bytes(c.historyCodes, c.historyLen);
    l.str('","state":"'); l.str(connState(c));
    l.str(c.reusedPorts ? '","reused_ports":true,"first_frame":' : '","reused_ports":false,"first_frame":');
    l.int(c.firstFrame);
    l.str(',"last_frame":'); l.int(c.lastFrame);
    l.str(',"end":"'); l.str(reason);
    l.str('","orig":'); dirJson(l, c.d0);
    l.str(',"resp":'); dirJson(l, c.d1);
    l.str('}');
    return l.toString(this.jsonEncoding);
  }
}

/** Last minus first packet time, as the exact integer nanoseconds the records carry. */
function durationNs(c: Conn): number {
  return Math.round(c.lastTime) - Math.round(c.firstTime);
}

function dirJson(l: ByteLine, d: Dir): void {
  l.str('{"pkts":'); l.int(d.pkts);
  l.str(',"ip_bytes":'); l.int(d.ipBytes);
  l.str(',"payload":'); l.int(d.payload);
  l.str(',"retransmissions":'); l.int(d.retransmissions);
  l.str(',"mss":'); l.int(d.mss);
  l.str('}');
}

export async function flowsCommand(files: string[], opts: FlowsOptions, out: (s: string) => void): Promise<void> {
  for (const file of files) {
    if (!opts.json) {
      if (files.length > 1) out(`# ${termSafe(file)}`);
      out(HEADER.join('\t'));
    }
    let writer: FlowWriter | null = null;
    const tracker = new TcpTracker({ onEndConn: (c, reason) => writer!.onEnd(c, reason) });
    writer = new FlowWriter(file, opts.json, tracker, out);
    const pkt = newPacket();
    await readCapture(file, (frame) => {
      decodeFrame(frame, pkt);
      tracker.track(frame, pkt);
    });
    tracker.finish();
    if (!opts.json) {
      const s = tracker.stats;
      out(`# ${s.created} connections (peak ${s.peakOpen} in the table; ${s.evictedFull} evicted when full, ${s.evictedIdle} idle, ${s.reused} replaced by port reuse)`);
    }
  }
}
