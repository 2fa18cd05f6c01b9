// `pcapdx flows FILE...`: the TCP connections of each capture, one line each (stream, endpoints
// with ports and VLAN tags, who opened it, start, duration, handshake RTT, Zeek-style history,
// final state, packets/bytes each way, retransmissions), or NDJSON with the same fields (--json).
// Rows are printed as connections leave the tracker's table (closed, idle, or at the end of the
// capture), so memory stays bounded on any capture size.
//
// A capture can hold millions of connections: each line is written straight from the live Conn
// (the tracker's onEndConn) with one template string, without a record object, bigints or
// JSON.stringify; addresses come from a small cache.

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

/** Writes the lines of one capture's connections. */
class FlowWriter {
  private readonly addrs = new AddrCache();
  private readonly fileJson: string;

  constructor(file: string, private readonly json: boolean, private readonly tracker: TcpTracker, private readonly out: (s: string) => void) {
    this.fileJson = JSON.stringify(file);
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
   *  the file name is known to need no escaping (digits, hex, letters of fixed sets). */
  private jsonLine(c: Conn, reason: EndReason): string {
    return `{"file":${this.fileJson},"stream":${c.stream},"ip_version":${c.l3 === 6 ? 6 : 4},` +
      `"vlans":[${c.vlans.length ? c.vlans.join(',') : ''}],"orig_addr":"${this.origAddr(c)}","orig_port":${c.aPort},` +
      `"resp_addr":"${this.respAddr(c)}","resp_port":${c.bPort},"opener":"${OPENER_NAMES[c.opener]}",` +
      `"start":"${this.tracker.epochString(c.firstTime, 9)}","duration_s":${durationNs(c) / 1e9},` +
      `"handshake_rtt_s":${c.firstRtt > 0 ? c.firstRtt / 1e9 : 'null'},"history":${jsonHistory(c.history)},` +
      `"state":"${connState(c)}","reused_ports":${c.reusedPorts},"first_frame":${c.firstFrame},` +
      `"last_frame":${c.lastFrame},"end":"${reason}","orig":${dirJson(c.d0)},"resp":${dirJson(c.d1)}}`;
  }
}

/** Last minus first packet time, as the exact integer nanoseconds the records carry. */
function durationNs(c: Conn): number {
  return Math.round(c.lastTime) - Math.round(c.firstTime);
}

/** History letters are ASCII letters; anything else goes through JSON.stringify. */
function jsonHistory(h: string): string {
  return /^[A-Za-z]*$/.test(h) ? `"${h}"` : JSON.stringify(h);
}

function dirJson(d: Dir): string {
  return `{"pkts":${d.pkts},"ip_bytes":${d.ipBytes},"payload":${d.payload},"retransmissions":${d.retransmissions},"mss":${d.mss}}`;
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
