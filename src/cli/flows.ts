// `pcapdx flows FILE...`: the TCP connections of each capture, one line each (stream, endpoints
// with ports and VLAN tags, who opened it, start, duration, handshake RTT, Zeek-style history,
// final state, packets/bytes each way, retransmissions), or NDJSON with the same fields (--json).
// Rows are printed as connections leave the tracker's table (closed, idle, or at the end of the
// capture), so memory stays bounded on any capture size.

import { readCapture } from '../capture/open.js';
import { formatEpoch } from '../bytes/time.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket } from '../wire/packet.js';
import { TcpTracker, type ConnRecord } from '../tcp/tracker.js';
import { termSafe } from './common.js';

export interface FlowsOptions { json: boolean }

function endpoint(addr: string, port: number, v6: boolean): string {
  return v6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function seconds(ns: number | bigint, digits: number): string {
  return (Number(ns) / 1e9).toFixed(digits);
}

const HEADER = ['stream', 'originator', 'responder', 'vlan', 'opener', 'start', 'duration', 'hs_rtt', 'history', 'state',
  'pkts>', 'bytes>', 'pkts<', 'bytes<', 'retrans>', 'retrans<'];

function row(r: ConnRecord): string[] {
  const v6 = r.ipVersion === 6;
  return [
    String(r.stream),
    endpoint(r.origAddr, r.origPort, v6),
    endpoint(r.respAddr, r.respPort, v6),
    r.vlans.length ? r.vlans.join('.') : '-',
    r.opener,
    formatEpoch(r.firstNs, 6),
    seconds(r.lastNs - r.firstNs, 6),
    r.handshakeRttNs >= 0 ? seconds(r.handshakeRttNs, 6) : '-',
    termSafe(r.history) || '-',
    r.state,
    String(r.orig.pkts), String(r.orig.ipBytes), String(r.resp.pkts), String(r.resp.ipBytes),
    String(r.orig.retransmissions), String(r.resp.retransmissions),
  ];
}

function json(file: string, r: ConnRecord): string {
  return JSON.stringify({
    file, stream: r.stream, ip_version: r.ipVersion, vlans: r.vlans,
    orig_addr: r.origAddr, orig_port: r.origPort, resp_addr: r.respAddr, resp_port: r.respPort,
    opener: r.opener, start: formatEpoch(r.firstNs, 9), duration_s: Number(r.lastNs - r.firstNs) / 1e9,
    handshake_rtt_s: r.handshakeRttNs >= 0 ? r.handshakeRttNs / 1e9 : null,
    history: r.history, state: r.state, reused_ports: r.reusedPorts,
    first_frame: r.firstFrame, last_frame: r.lastFrame, end: r.endReason,
    orig: { pkts: r.orig.pkts, ip_bytes: r.orig.ipBytes, payload: r.orig.payload, retransmissions: r.orig.retransmissions, mss: r.orig.mss },
    resp: { pkts: r.resp.pkts, ip_bytes: r.resp.ipBytes, payload: r.resp.payload, retransmissions: r.resp.retransmissions, mss: r.resp.mss },
  });
}

export async function flowsCommand(files: string[], opts: FlowsOptions, out: (s: string) => void): Promise<void> {
  for (const file of files) {
    if (!opts.json) {
      if (files.length > 1) out(`# ${termSafe(file)}`);
      out(HEADER.join('\t'));
    }
    const tracker = new TcpTracker({
      onEnd: (r) => out(opts.json ? json(file, r) : row(r).join('\t')),
    });
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
