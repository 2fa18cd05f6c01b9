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
import { L3_IPV4, newPacket } from '../wire/packet.js';
import { formatAddr } from '../wire/addr.js';
import { TcpTracker } from '../tcp/tracker.js';
import {
  D0_SLOT, D1_SLOT, D_IP_BYTES, D_MSS, D_PAYLOAD, D_PKTS, D_RETRANSMISSIONS, OPENER_NAMES, connState, type Conn,
  type EndReason,
} from '../tcp/conn.js';
import { reportCaptureIssues, termSafe } from './common.js';
import { ByteSink, Lit } from './output.js';

export interface FlowsOptions { json: boolean }

const HEADER = ['stream', 'originator', 'responder', 'vlan', 'opener', 'start', 'duration', 'hs_rtt', 'history', 'state',
  'pkts>', 'bytes>', 'pkts<', 'bytes<', 'retrans>', 'retrans<'];

/** Formatted addresses, direct-mapped by a hash of the words: a server address repeats on every
 *  connection; a miss costs one formatting. Each entry is kept as text and as ASCII bytes. */
const ADDR_CACHE_SIZE = 4096;
class AddrCache {
  private readonly l3 = new Int32Array(ADDR_CACHE_SIZE);
  private readonly w = new Int32Array(ADDR_CACHE_SIZE * 4);
  private readonly text: string[] = new Array<string>(ADDR_CACHE_SIZE).fill('');
  private readonly ascii: Lit[] = new Array<Lit>(ADDR_CACHE_SIZE).fill(EMPTY);
  private readonly words = [0, 0, 0, 0];
  /** the entry of the last get() */
  private at = 0;

  get(l3: number, w0: number, w1: number, w2: number, w3: number): string {
    return this.text[this.find(l3, w0, w1, w2, w3)];
  }

  getBytes(l3: number, w0: number, w1: number, w2: number, w3: number): Lit {
    return this.ascii[this.find(l3, w0, w1, w2, w3)];
  }

  private find(l3: number, w0: number, w1: number, w2: number, w3: number): number {
    let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2d);
    h = (h ^ (h >>> 15)) & (ADDR_CACHE_SIZE - 1);
    const k = h * 4;
    const w = this.w;
    if (this.l3[h] === l3 && w[k] === (w0 | 0) && w[k + 1] === (w1 | 0) && w[k + 2] === (w2 | 0) && w[k + 3] === (w3 | 0)) {
      return h;
    }
    const words = this.words;
    words[0] = w0; words[1] = w1; words[2] = w2; words[3] = w3;
    const s = formatAddr(l3, words);
    this.l3[h] = l3;
    w[k] = w0; w[k + 1] = w1; w[k + 2] = w2; w[k + 3] = w3;
    this.text[h] = s;
    this.ascii[h] = lit(s);
    return h;
  }
}
const EMPTY = new Lit('');

/** The fixed pieces of a JSON line as bytes (ASCII), copied without a string per line. */
const lit = (s: string): Lit => new Lit(s);
const J_STREAM = lit('"stream":');
const J_V4 = lit(',"ip_version":4,"vlans":[');
const J_V6 = lit(',"ip_version":6,"vlans":[');
const J_ORIG_ADDR = lit('],"orig_addr":"');
const J_ORIG_PORT = lit('","orig_port":');
const J_RESP_ADDR = lit(',"resp_addr":"');
const J_RESP_PORT = lit('","resp_port":');
/** the opener's name with the keys around it */
const J_OPENER = OPENER_NAMES.map((o) => lit(`,"opener":"${o}","start":"`));
const J_DURATION = lit('","duration_s":');
const J_HS_RTT = lit(',"handshake_rtt_s":');
const J_NULL = lit('null');
const J_HISTORY = lit(',"history":"');
const J_STATE = lit('","state":"');
const J_REUSED = lit('","reused_ports":true,"first_frame":');
const J_NOT_REUSED = lit('","reused_ports":false,"first_frame":');
const J_LAST_FRAME = lit(',"last_frame":');
const J_END = lit(',"end":"');
const J_ORIG = lit('","orig":{"pkts":');
const J_RESP = lit('},"resp":{"pkts":');
const J_IP_BYTES = lit(',"ip_bytes":');
const J_PAYLOAD = lit(',"payload":');
const J_RETRANS = lit(',"retransmissions":');
const J_MSS = lit(',"mss":');
const J_CLOSE = lit('}}');
/** Fixed words (states, end reasons: a handful) as Lit, made on first use. */
const WORDS = new Map<string, Lit>();
function word(s: string): Lit {
  let w = WORDS.get(s);
  if (w === undefined) {
    w = lit(s);
    WORDS.set(s, w);
  }
  return w;
}
const CH_DOT = 0x2e;
const CH_COMMA = 0x2c;

/** Below this many nanoseconds String(ns / 1e9) is in exponent form (below 1e-6 s). */
const FIXED_FORM_MIN_NS = 1000;
/** Up to 15 significant digits a decimal is the shortest that gives its double (DBL_DIG), so
 *  String(ns / 1e9) is the digits of ns with the point moved (trailing zeros dropped). */
const EXACT_DIGITS_MAX_NS = 1e15;

/** Writes String(ns / 1e9) for a count of nanoseconds: digits directly when that is the same
 *  text (an integer count with at most 15 digits, at least 1 µs), else through String(). */
export function writeSeconds(l: ByteSink, ns: number): void {
  if (!(ns >= FIXED_FORM_MIN_NS && ns < EXACT_DIGITS_MAX_NS && Math.floor(ns) === ns)) {
    l.str(String(ns / 1e9));
    return;
  }
  const sec = Math.floor(ns / 1e9);
  let frac = (ns - sec * 1e9) | 0; // below 1e9: int32 arithmetic from here
  l.int(sec);
  if (frac === 0) return;
  let digits = 9;
  for (let q = (frac / 10) | 0; frac - q * 10 === 0; q = (frac / 10) | 0) {
    frac = q;
    digits--;
  }
  // frac has `digits` digits after the point, leading zeros included
  l.room(digits + 1);
  const b = l.buf;
  const p = l.pos;
  b[p] = CH_DOT;
  for (let k = p + digits; k > p; k--) {
    const q = (frac / 10) | 0;
    b[k] = 0x30 + frac - q * 10;
    frac = q;
  }
  l.pos = p + digits + 1;
}

/** Writes the lines of one capture's connections. */
export class FlowWriter {
  private readonly addrs = new AddrCache();
  /** the start of every JSON line as UTF-8: the file name may need escaping and be non-ASCII */
  private readonly jsonPrefix: Lit;
  /** how a JSON line's bytes become a string: only a non-ASCII file name needs UTF-8 decoding */
  private readonly jsonEncoding: 'latin1' | 'utf8';
  /** where JSON lines are built: the output's own chunk when given, else a private buffer whose
   *  lines become strings for `out` */
  private readonly line: ByteSink;
  private readonly toBytes: boolean;

  constructor(file: string, private readonly json: boolean, private readonly tracker: TcpTracker,
    private readonly out: (s: string) => void, sink: ByteSink | null) {
    const prefix = `{"file":${JSON.stringify(file)},`;
    this.jsonPrefix = new Lit(prefix);
    this.jsonEncoding = this.jsonPrefix.length === prefix.length ? 'latin1' : 'utf8';
    this.toBytes = sink !== null;
    this.line = sink ?? new ByteSink();
  }

  readonly onEnd = (c: Conn, reason: EndReason): void => {
    if (!this.json) {
      this.out(this.row(c));
      return;
    }
    const l = this.line;
    l.beginLine();
    this.jsonLine(l, c, reason);
    if (this.toBytes) l.endLine();
    else this.out(l.takeLine(this.jsonEncoding));
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
  private jsonLine(l: ByteSink, c: Conn, reason: EndReason): void {
    l.lit(this.jsonPrefix);
    l.lit(J_STREAM); l.int(c.stream);
    l.lit(c.l3 === 6 ? J_V6 : J_V4);
    const vlans = c.vlans;
    for (let i = 0; i < vlans.length; i++) {
      if (i > 0) l.byte(CH_COMMA);
      l.int(vlans[i]);
    }
    const addrs = this.addrs;
    l.lit(J_ORIG_ADDR);
    if (c.l3 === L3_IPV4) ipv4(l, c.a0);
    else l.lit(addrs.getBytes(c.l3, c.a0, c.a1, c.a2, c.a3));
    l.lit(J_ORIG_PORT); l.int(c.aPort);
    l.lit(J_RESP_ADDR);
    if (c.l3 === L3_IPV4) ipv4(l, c.b0);
    else l.lit(addrs.getBytes(c.l3, c.b0, c.b1, c.b2, c.b3));
    l.lit(J_RESP_PORT); l.int(c.bPort);
    l.lit(J_OPENER[c.opener]);
    const tr = this.tracker;
    if (tr.epochParts(c.firstTime)) {
      // formatEpochPair(sec, nsec, 9) as digits: no string per line
      l.int(tr.epochSec); l.byte(CH_DOT); l.int9(tr.epochNsec);
    } else {
      l.str(tr.epochString(c.firstTime, 9));
    }
    l.lit(J_DURATION); writeSeconds(l, durationNs(c));
    l.lit(J_HS_RTT);
    const rtt = c.firstRtt;
    if (rtt > 0) writeSeconds(l, rtt);
    else l.lit(J_NULL);
    // letters of Zeek's fixed set (tracker.ts), straight from their codes: no string per line
    l.lit(J_HISTORY); l.bytesFrom(c.historyBytes, c.historyStart, c.historyLen);
    l.lit(J_STATE); l.lit(word(connState(c)));
    l.lit(c.reusedPorts ? J_REUSED : J_NOT_REUSED);
    l.int(c.firstFrame);
    l.lit(J_LAST_FRAME); l.int(c.lastFrame);
    l.lit(J_END); l.lit(word(reason));
    l.lit(J_ORIG); dirJson(l, c.n, c.o + D0_SLOT);
    l.lit(J_RESP); dirJson(l, c.n, c.o + D1_SLOT);
    l.lit(J_CLOSE);
  }
}

/** An IPv4 address word as formatAddr writes it (dotted quad): straight digits, as a million
 *  clients would mostly miss any cache. */
function ipv4(l: ByteSink, w: number): void {
  l.int((w >>> 24) & 255); l.byte(CH_DOT);
  l.int((w >>> 16) & 255); l.byte(CH_DOT);
  l.int((w >>> 8) & 255); l.byte(CH_DOT);
  l.int(w & 255);
}

/** Last minus first packet time, as the exact integer nanoseconds the records carry. */
function durationNs(c: Conn): number {
  return Math.round(c.lastTime) - Math.round(c.firstTime);
}

/** A direction's numbers, after its opening `{"pkts":` (the caller writes the brace after):
 *  read from its block `d` of the Conn's slab `n` (a Dir's accessors would first reach the Dir,
 *  one more cold object per connection at its release). */
function dirJson(l: ByteSink, n: Float64Array, d: number): void {
  l.int(n[d + D_PKTS]);
  l.lit(J_IP_BYTES); l.int(n[d + D_IP_BYTES]);
  l.lit(J_PAYLOAD); l.int(n[d + D_PAYLOAD]);
  l.lit(J_RETRANS); l.int(n[d + D_RETRANSMISSIONS]);
  l.lit(J_MSS); l.int(n[d + D_MSS]);
}

/** `out` takes the table rows and, without `sink`, the JSON lines as strings; with `sink` (the
 *  CLI's Output.bytes) JSON lines are written there as bytes. */
export async function flowsCommand(files: string[], opts: FlowsOptions, out: (s: string) => void, sink: ByteSink | null = null): Promise<number> {
  let code = 0;
  for (const file of files) {
    if (!opts.json) {
      if (files.length > 1) out(`# ${termSafe(file)}`);
      out(HEADER.join('\t'));
    }
    let writer: FlowWriter | null = null;
    const tracker = new TcpTracker({ onEndConn: (c, reason) => writer!.onEnd(c, reason) });
    writer = new FlowWriter(file, opts.json, tracker, out, sink);
    const pkt = newPacket();
    const summary = await readCapture(file, (frame) => {
      decodeFrame(frame, pkt);
      tracker.track(frame, pkt);
    });
    tracker.finish();
    code = Math.max(code, reportCaptureIssues(file, summary));
    if (!opts.json) {
      const s = tracker.stats;
      out(`# ${s.created} connections (peak ${s.peakOpen} in the table; ${s.evictedFull} evicted when full, ${s.evictedIdle} idle, ${s.reused} replaced by port reuse)`);
    }
  }
  return code;
}
