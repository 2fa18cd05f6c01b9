// tcp/connection-refused: SYNs answered by a RST (Zeek's conn_state REJ): the server's host has
// nothing listening on the port, or a firewall answers for it. The application sees "Connection
// refused" (ECONNREFUSED; Windows' connect() fails after re-sending the SYN twice, 0.5 s apart).
// One finding per refused server endpoint (address and port), over all clients that were refused
// there. Severity:
// - 'error' when nobody got a connection to that endpoint established in the capture, or when
//   connections were established before the refusals and none after (the service stopped);
// - 'warning' when connections to it were established after the refusals (the service was down
//   or restarting, or its listen backlog was full, for that long) or between them (intermittent);
// - 'info' when every refused client reached the same server on another port (Windows and macOS
//   SMB clients try ports 445 and 139 at once and use whichever answers; corpus captures
//   smb2-many-open-files-500, smb2-echo-macos-dlt-null), or when the refused clients were
//   scanning: a client that sent SYNs to at least SCAN_MIN_ENDPOINTS server endpoints in the
//   capture is probing ports, not using a service (one info finding per scanning client); and a
//   host refused on at least SCANNED_MIN_PORTS ports, none of which ever accepted a connection in
//   the capture, is being probed by the clients (worms sweeping the internet try a few ports each
//   from many addresses: corpus icmp/scan-syn-rst-icmp-unreach, 12 ports of one host refused to
//   about 40 clients), one info finding per such host.
// A capture reporting thousands of refused endpoints gets at most MAX_ENDPOINT_FINDINGS findings;
// the rest are counted in the last one.

import type { AnalysedTrace, ConnectionFacts } from '../../analysis/trace.js';
import { connectionScreen } from '../../analysis/views.js';
import { TCP_RST, TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { connRef, fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** Server endpoints (address, port) a client must have sent SYNs to before its refusals are
 *  taken as a scan: a service client talks to a handful (a mount: portmap, mountd, nfsd, lockd,
 *  statd), a scanner to dozens. */
export const SCAN_MIN_ENDPOINTS = 10;
/** Findings per capture for refused endpoints: a report stays readable on a capture of a scan
 *  that the scan test did not catch (many clients, each trying a few ports). */
export const MAX_ENDPOINT_FINDINGS = 16;
/** Refused ports of one host, none ever accepting a connection, that make it a probed host: a
 *  client of a down server tries the few ports its service uses (portmap, mountd, nfsd: 3). */
export const SCANNED_MIN_PORTS = 5;

/** Zeek conn_states of a connection whose handshake completed. */
const ESTABLISHED = new Set(['S1', 'SF', 'S2', 'S3', 'RSTO', 'RSTR']);


interface Endpoint {
  capture: number;
  server: string;
  port: number;
  refused: ConnectionFacts[];
  clients: Set<string>;
  syns: number;
}

export const tcpConnectionRefused: Rule<AnalysedTrace> = {
  id: 'tcp/connection-refused',
  run(trace) {
    // a refused connection has the responder's RST among its key segments: only the connection
    // screen's short list of connections with a RST is read, not every connection
    const refused: ConnectionFacts[] = [];
    for (const i of connectionScreen(trace).resets) if (trace.connections[i].state === 'REJ') refused.push(trace.connections[i]);
    if (refused.length === 0) return [];
    // per client, the server endpoints it sent SYNs to; per (client, server), whether any handshake
    // completed; per server endpoint, the first established connection
    const endpointsOf = new Map<string, Set<string>>();
    const reached = new Set<string>();
    const established = new Map<string, { first: ConnectionFacts; last: ConnectionFacts }>();
    for (const c of trace.connections) {
      if (c.opener !== 'syn') continue;
      const client = `${c.capture}|${c.origAddr}`;
      let s = endpointsOf.get(client);
      if (!s) endpointsOf.set(client, (s = new Set()));
      if (s.size < SCAN_MIN_ENDPOINTS) s.add(`${c.respAddr}|${c.respPort}`);
      if (!ESTABLISHED.has(c.state)) continue;
      reached.add(`${client}|${c.respAddr}`);
      const k = `${c.capture}|${c.respAddr}|${c.respPort}`;
      const seen = established.get(k);
      if (!seen) established.set(k, { first: c, last: c });
      else {
        if (c.firstFrame < seen.first.firstFrame) seen.first = c;
        if (c.firstFrame > seen.last.firstFrame) seen.last = c;
      }
    }
    const out: Finding[] = [];
    const scanners = new Map<string, ConnectionFacts[]>();
    const byEndpoint = new Map<string, Endpoint>();
    for (const c of refused) {
      const client = `${c.capture}|${c.origAddr}`;
      if ((endpointsOf.get(client)?.size ?? 0) >= SCAN_MIN_ENDPOINTS) {
        let l = scanners.get(client);
        if (!l) scanners.set(client, (l = []));
        l.push(c);
        continue;
      }
      const k = `${c.capture}|${c.respAddr}|${c.respPort}`;
      let e = byEndpoint.get(k);
      if (!e) byEndpoint.set(k, (e = { capture: c.capture, server: c.respAddr, port: c.respPort, refused: [], clients: new Set(), syns: 0 }));
      e.refused.push(c);
      e.clients.add(c.origAddr);
      e.syns += c.orig.pkts;
    }
    // hosts probed on many ports that never accepted a connection
    const deadPorts = new Map<string, Endpoint[]>();
    for (const [k, e] of byEndpoint) {
      if (established.has(k)) continue;
      const h = `${e.capture}|${e.server}`;
      let l = deadPorts.get(h);
      if (!l) deadPorts.set(h, (l = []));
      l.push(e);
    }
    for (const l of deadPorts.values()) {
      if (l.length < SCANNED_MIN_PORTS) continue;
      out.push(probedHostFinding(l));
      for (const e of l) byEndpoint.delete(`${e.capture}|${e.server}|${e.port}`);
    }
    let n = 0;
    for (const [k, e] of byEndpoint) {
      if (++n > MAX_ENDPOINT_FINDINGS) {
        const last = out[out.length - 1];
        last.metrics.more_endpoints_refused = Number(last.metrics.more_endpoints_refused ?? 0) + 1;
        continue;
      }
      out.push(endpointFinding(e, established.get(k), [...e.clients].every((a) => reached.has(`${e.capture}|${a}|${e.server}`))));
    }
    for (const l of scanners.values()) out.push(scanFinding(l));
    return out;
  },
};

/** The SYNs and RSTs of a refused connection, from its key segments. */
function synRstFrames(c: ConnectionFacts): number[] {
  const f: number[] = [];
  for (const s of c.keySegments) if ((s.dir === 0 && s.flags & TCP_SYN) || (s.dir === 1 && s.flags & TCP_RST)) f.push(s.frame);
  return f;
}

function endpointFinding(e: Endpoint, est: { first: ConnectionFacts; last: ConnectionFacts } | undefined, allReachedOtherwise: boolean): Finding {
  const first = e.refused[0];
  const last = e.refused[e.refused.length - 1];
  const server = formatEndpoint(e.server, e.port);
  const clients = e.clients.size === 1 ? first.origAddr : `${e.clients.size} clients`;
  const spanS = Number(last.lastNs - first.firstNs) / 1e9;
  const attempts = `${e.refused.length} connection attempt${e.refused.length === 1 ? '' : 's'} (${e.syns} SYN${e.syns === 1 ? '' : 's'})`;
  let severity: Severity;
  let outcome: string;
  let why: string;
  if (est && est.first.firstFrame > last.firstFrame) {
    severity = 'warning';
    outcome = `; a connection to it was established ${fmtDuration(Number(est.first.firstNs - last.lastNs) / 1e9)} after the last refusal (frame ${est.first.firstFrame}).`;
    why = 'The port was refused first and accepted later, so the service was down or restarting in between, or its listen queue was full (Linux answers a SYN with a RST on a full backlog only with tcp_abort_on_overflow set; otherwise it drops the SYN).';
  } else if (est && est.last.firstFrame < first.firstFrame) {
    severity = 'error';
    outcome = `; connections to it were established before (the last in frame ${est.last.firstFrame}), none after.`;
    why = 'The port accepted connections earlier in the capture and refused them from then on: the service stopped listening (it crashed, was stopped, or closed its listening socket) or a firewall rule changed.';
  } else if (est) {
    severity = 'warning';
    outcome = `; other connections to it were established in between (frame ${est.first.firstFrame} to ${est.last.firstFrame}).`;
    why = 'The same port accepted some connections and refused others around them: the service restarted, its listen queue overflowed (with tcp_abort_on_overflow set), or a load balancer sent some attempts to a back end that does not listen.';
  } else if (allReachedOtherwise) {
    severity = 'info';
    outcome = `; ${e.clients.size === 1 ? 'the client' : 'each client'} reached the same server on another port.`;
    why = e.port === 139 || e.port === 445
      ? 'SMB clients (Windows, macOS) try ports 445 and 139 at the same time and use whichever answers: a refused 139 beside a working 445 is normal.'
      : 'The client reached the same server on another port, so it fell back to another service or transport: a cost of a round trip, not a failure.';
  } else {
    severity = 'error';
    outcome = '; no connection to it was established in the capture.';
    why = 'Nothing in the capture reached this port: the application saw "Connection refused". Either no process listens on the port on that host (the service is stopped, crashed, or listens on another address or port), or a firewall on the way or on the host rejects the SYN with a RST (iptables REJECT --reject-with tcp-reset).';
  }
  return {
    id: 'tcp/connection-refused',
    severity,
    summary: `${server} refused ${attempts} from ${clients}${e.syns > 1 ? ` over ${fmtDuration(spanS)}` : ''}: ${e.syns === 1 ? 'the SYN was answered by a RST' : 'the SYNs were answered by RSTs'} (first in frame ${synRstFrames(first)[1] ?? first.firstFrame})${outcome}`,
    explanation: `${why} ${e.syns > e.refused.length ? 'The client re-sent the SYN after the RST, as Windows does twice before connect() gives up. ' : ''}`.trimEnd(),
    connection: connRef(first),
    frames: evidenceFrames(e.refused.flatMap(synRstFrames)),
    metrics: {
      attempts: e.refused.length, syns: e.syns, clients: e.clients.size, server: e.server, port: e.port,
      ...(est ? { first_established_frame: est.first.firstFrame, last_established_frame: est.last.firstFrame } : {}),
    },
    ...(severity === 'error' ? { advice: [
      `Check that the service runs on ${e.server} and listens on port ${e.port} on the address the client uses (ss -ltnp on Linux, netstat -ano on Windows).`,
      'If it does, look for a firewall that rejects the port: a RST with a TTL unlike the server\'s other packets comes from a device on the way.',
    ] } : {}),
  };
}

function scanFinding(l: ConnectionFacts[]): Finding {
  const c = l[0];
  const ports = new Set(l.map((x) => x.respPort));
  const servers = new Set(l.map((x) => x.respAddr));
  return {
    id: 'tcp/connection-refused',
    severity: 'info',
    summary: `${c.origAddr} had ${l.length} connection attempt${l.length === 1 ? '' : 's'} refused on ${ports.size} port${ports.size === 1 ? '' : 's'} of ${servers.size} host${servers.size === 1 ? '' : 's'} while sending SYNs to at least ${SCAN_MIN_ENDPOINTS} endpoints: a scan.`,
    explanation: `A client that tries this many server endpoints is probing which ports answer (a port scan, a worm, a service discovery sweep), and refusals are what closed ports answer; they say nothing about a service the client depends on. Ports refused: ${[...ports].slice(0, 12).join(', ')}${ports.size > 12 ? ', ...' : ''}.`,
    connection: connRef(c),
    frames: evidenceFrames(l.slice(0, 8).flatMap(synRstFrames)),
    metrics: { attempts: l.length, ports: ports.size, hosts: servers.size, client: c.origAddr },
  };
}

function probedHostFinding(l: Endpoint[]): Finding {
  const clients = new Set<string>();
  let attempts = 0;
  for (const e of l) {
    attempts += e.refused.length;
    for (const c of e.clients) clients.add(c);
  }
  const c = l[0].refused[0];
  const server = l[0].server;
  const ports = l.map((e) => e.port);
  return {
    id: 'tcp/connection-refused',
    severity: 'info',
    summary: `${server} refused ${attempts} connection attempts on ${ports.length} ports from ${clients.size} client${clients.size === 1 ? '' : 's'}, and none of those ports accepted a connection in the capture: the host is being probed.`,
    explanation: `Connection attempts to many ports of one host, none of which serves anything, are a scan of that host (worms and scanners try a few ports each from many addresses); the refusals are the host answering for closed ports and do not concern a service anyone uses. Ports: ${ports.slice(0, 16).join(', ')}${ports.length > 16 ? ', ...' : ''}.`,
    connection: connRef(c),
    frames: evidenceFrames(l.slice(0, 8).flatMap((e) => synRstFrames(e.refused[0]))),
    metrics: { attempts, ports: ports.length, clients: clients.size, server },
  };
}
