// Refusals and slow answers: an NFS mount refused at the RPC layer, SMB2 logons and share
// connections refused, TCP connections refused, and connections slow to their first answer.
// Captures are scripted frame by frame (test/incidents/trace.ts) with byte-correct RPC and SMB2
// messages, checked against tshark's dissection, then diagnosed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MS, S, TcpFlow, Trace, type Host } from '../incidents/trace.js';
import {
  AUTH_TOOWEAK, GARBAGE_ARGS, NFS_PORT, PROG_MISMATCH, PROG_NFS, Xdr, acceptedErrorReply, authErrorReply, authUnix, call, nullCall, nullReply, reply,
} from '../incidents/rpc.js';
import {
  SMB2_ECHO, STATUS_ACCESS_DENIED, STATUS_BAD_NETWORK_NAME, STATUS_LOGON_FAILURE, STATUS_MORE_PROCESSING_REQUIRED, STATUS_USER_SESSION_DELETED,
  echo, errorResponse, negotiateRequest, negotiateResponse, sessionSetupRequest, sessionSetupResponse, treeConnectRequest, treeConnectResponse,
} from '../incidents/smb2.js';
import { FIN, ACK, RST, SYN } from '../synth/packets.js';
import { fields } from '../incidents/oracle.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import type { Finding } from '../../src/diagnose/finding.js';
import { scriptedCaptures } from './scripted.js';
import { corpusDir } from '../corpus.js';

const echoRequest = (id: number, session: bigint) => echo(id, false, session);
const echoResponse = (id: number, session: bigint) => echo(id, true, session);

const scripted = scriptedCaptures();

const CLIENT: Host = { ip: '10.1.2.3', mac: '02:00:00:00:00:01' };
const SERVER: Host = { ip: '10.1.2.50', mac: '02:00:00:00:00:02' };
const CLIENT6: Host = { ip: 'fd00::3', mac: '02:00:00:00:00:01' };
const SERVER6: Host = { ip: 'fd00::50', mac: '02:00:00:00:00:02' };
const CRED = authUnix(1_549_998_000, 'client', 0, 0);

/** NFSv4 COMPOUND with one SETCLIENTID op (RFC 7530 16.33; only the op number matters here). */
function setclientid(xid: number): Uint8Array {
  const args = new Xdr().string('').u32(0).u32(1).u32(35).u64(1).string('client-id').u32(0x40000000).string('tcp').string('10.1.2.3.3.232').u32(1).bytes();
  return call(xid, PROG_NFS, 4, 1, CRED, args);
}

/** NFSv3 GETATTR (RFC 1813 3.3.1) of a 32-byte handle, and a reply carrying NFS3_OK and attributes. */
function getattr(xid: number): Uint8Array {
  return call(xid, PROG_NFS, 3, 1, CRED, new Xdr().opaque(new Uint8Array(32).fill(7)).bytes());
}
function getattrReply(xid: number): Uint8Array {
  const x = new Xdr().u32(0).u32(2).u32(0o755).u32(2).u32(0).u32(0).u64(4096).u64(4096).u64(0).u64(1).u64(2);
  for (let i = 0; i < 3; i++) x.u32(1_549_998_000).u32(0);
  return reply(xid, x.bytes());
}

async function diagnose(t: Trace, name: string): Promise<{ path: string; findings: Finding[] }> {
  return scripted.diagnose(t, name);
}

/** One request/response turn on a flow: the request, the response `rttNs` later, the client's ACK. */
function turn(fl: TcpFlow, t: number, req: Uint8Array, res: Uint8Array, what: string, rttNs = 1 * MS): [number, number] {
  const q = fl.send('client', t, req, `${what} request`);
  const r = fl.send('server', t + rttNs, res, `${what} response`);
  fl.ack('client', t + rttNs + 50_000);
  return [q[q.length - 1], r[r.length - 1]];
}

function close(fl: TcpFlow, t: number): void {
  fl.seg('client', t, { flags: FIN | ACK }, 'client FIN');
  fl.seg('server', t + MS, { flags: FIN | ACK }, 'server FIN');
  fl.ack('client', t + 2 * MS);
}

for (const v6 of [false, true]) {
  test(`NFSv4 mount refused with AUTH_TOOWEAK: an error naming the flavour problem (${v6 ? 'IPv6' : 'IPv4'})`, async () => {
    const t = new Trace();
    const fl = new TcpFlow(t, v6 ? CLIENT6 : CLIENT, 816, v6 ? SERVER6 : SERVER, NFS_PORT, { client: 1000, server: 900_000 });
    fl.handshake(0, MS);
    turn(fl, 10 * MS, nullCall(0x100, PROG_NFS, 4, CRED), nullReply(0x100), 'NULL');
    const [q1, r1] = turn(fl, 20 * MS, setclientid(0x101), authErrorReply(0x101, AUTH_TOOWEAK), 'SETCLIENTID');
    const [q2, r2] = turn(fl, 30 * MS, setclientid(0x102), authErrorReply(0x102, AUTH_TOOWEAK), 'SETCLIENTID again');
    close(fl, 40 * MS);
    const { path, findings } = await diagnose(t, `tooweak-${v6}.pcapng`);
    // tshark reads the replies as AUTH_ERROR / AUTH_TOOWEAK (rpc.auth_state 5)
    const rows = fields(path, ['rpc.xid', 'rpc.state_reject', 'rpc.state_auth']);
    assert.equal(rows[r1 - 1]['rpc.state_reject'], '1');
    assert.equal(rows[r1 - 1]['rpc.state_auth'], '5');
    const f = findings.filter((x) => x.id === 'rpc/call-rejected');
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, 'error');
    assert.deepEqual(f[0].frames, [q1, r1, q2, r2]);
    assert.equal(f[0].metrics.calls, 2);
    assert.equal(f[0].metrics.status, 'AUTH_ERROR(AUTH_TOOWEAK)');
    assert.equal(f[0].metrics.recovered, 'no');
    assert.match(f[0].summary, /^2 NFSv4 COMPOUND \(SETCLIENTID\) calls .* refused with AUTH_ERROR\(AUTH_TOOWEAK\)/);
    assert.match(f[0].explanation, /sec=krb5/);
    assert.ok(f[0].advice && f[0].advice.length > 0);
    assert.equal(f[0].connection?.server.port, NFS_PORT);
  });
}

test('NFSv4 refused with PROG_MISMATCH, then NFSv3 accepted: an info finding (the client fell back)', async () => {
  const t = new Trace();
  const fl = new TcpFlow(t, CLIENT, 817, SERVER, NFS_PORT, { client: 5000, server: 700_000 });
  fl.handshake(0, MS);
  const [, r1] = turn(fl, 10 * MS, setclientid(0x200), acceptedErrorReply(0x200, PROG_MISMATCH, 2, 3), 'v4 COMPOUND');
  const [q2] = turn(fl, 20 * MS, getattr(0x201), getattrReply(0x201), 'v3 GETATTR');
  close(fl, 30 * MS);
  const { findings } = await diagnose(t, 'fallback.pcapng');
  const f = findings.filter((x) => x.id === 'rpc/call-rejected');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.equal(f[0].metrics.status, 'PROG_MISMATCH');
  assert.equal(f[0].metrics.recovered_frame, q2);
  assert.equal(f[0].frames[1], r1);
  assert.equal(f[0].advice, undefined);
});

test('GARBAGE_ARGS stays a warning although later calls succeed', async () => {
  const t = new Trace();
  const fl = new TcpFlow(t, CLIENT, 818, SERVER, NFS_PORT, { client: 9000, server: 300_000 });
  fl.handshake(0, MS);
  turn(fl, 10 * MS, getattr(0x300), acceptedErrorReply(0x300, GARBAGE_ARGS), 'GETATTR');
  turn(fl, 20 * MS, getattr(0x301), getattrReply(0x301), 'GETATTR again');
  close(fl, 30 * MS);
  const { findings } = await diagnose(t, 'garbage.pcapng');
  const f = findings.filter((x) => x.id === 'rpc/call-rejected');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'warning');
  assert.equal(f[0].metrics.recovered, 'yes');
});

test('healthy NFS traffic has no refusal finding', async () => {
  const t = new Trace();
  const fl = new TcpFlow(t, CLIENT, 819, SERVER, NFS_PORT, { client: 1, server: 2 });
  fl.handshake(0, MS);
  for (let i = 0; i < 5; i++) turn(fl, (10 + 2 * i) * MS, getattr(0x400 + i), getattrReply(0x400 + i), 'GETATTR');
  close(fl, 30 * MS);
  const { findings } = await diagnose(t, 'healthy-nfs.pcapng');
  assert.equal(findings.filter((x) => /rejected|failed/.test(x.id)).length, 0);
});

/** An SMB2 connection from `port`: NEGOTIATE, then SESSION_SETUP in two legs ending in `status`.
 *  Returns the frames of the final leg. */
function logon(t: Trace, port: number, at: number, status: number, sessionId: bigint): { fl: TcpFlow; q: number; r: number; end: number } {
  const fl = new TcpFlow(t, CLIENT, port, SERVER, 445, { client: port * 1000, server: port * 7 });
  fl.handshake(at, MS);
  const guid = new Uint8Array(16).fill(port & 0xff);
  turn(fl, at + 5 * MS, negotiateRequest(0, guid), negotiateResponse(0, guid), 'NEGOTIATE');
  turn(fl, at + 10 * MS, sessionSetupRequest(1, 0n, new Uint8Array(40).fill(1)), sessionSetupResponse(1, sessionId, STATUS_MORE_PROCESSING_REQUIRED), 'SESSION_SETUP leg 1');
  const [q, r] = turn(fl, at + 15 * MS, sessionSetupRequest(2, sessionId, new Uint8Array(300).fill(2)), sessionSetupResponse(2, sessionId, status), 'SESSION_SETUP leg 2');
  return { fl, q, r, end: at + 20 * MS };
}

test('SMB2 logons refused on every attempt: an error with the status and its advice', async () => {
  const t = new Trace();
  const frames: number[] = [];
  for (let i = 0; i < 3; i++) {
    const l = logon(t, 50000 + i, i * 2 * S, STATUS_LOGON_FAILURE, BigInt(0x1000 + i));
    frames.push(l.q, l.r);
    close(l.fl, l.end);
  }
  const { path, findings } = await diagnose(t, 'logon-failed.pcapng');
  const rows = fields(path, ['smb2.nt_status', 'smb2.cmd']);
  assert.equal(rows[frames[1] - 1]['smb2.cmd'], '1');
  assert.equal(Number(rows[frames[1] - 1]['smb2.nt_status']), STATUS_LOGON_FAILURE);
  const f = findings.filter((x) => x.id === 'smb2/logon-failed');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
  assert.deepEqual(f[0].frames, frames);
  assert.equal(f[0].metrics.refusals, 3);
  assert.equal(f[0].metrics.connections, 3);
  assert.match(f[0].summary, /^3 SMB2 logons from 10\.1\.2\.3 to 10\.1\.2\.50:445 refused with STATUS_LOGON_FAILURE/);
  assert.match(f[0].advice?.join(' ') ?? '', /lock the account out/);
});

test('SMB2 logon refused once, then accepted: info; refused twice, then accepted: warning', async () => {
  for (const refusals of [1, 2]) {
    const t = new Trace();
    let at = 0;
    for (let i = 0; i < refusals; i++, at += S) close(logon(t, 51000 + i, at, STATUS_LOGON_FAILURE, 0x2000n).fl, at + 20 * MS);
    const ok = logon(t, 51100, at, 0, 0x2001n);
    close(ok.fl, ok.end);
    const { findings } = await diagnose(t, `logon-recovered-${refusals}.pcapng`);
    const f = findings.filter((x) => x.id === 'smb2/logon-failed');
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, refusals === 1 ? 'info' : 'warning');
    assert.equal(f[0].metrics.recovered_frame, ok.q); // the leg the server accepted
  }
});

test('further logons refused while the client holds a session: info, the held session named', async () => {
  const t = new Trace();
  const ok = logon(t, 52000, 0, 0, 0x3000n);
  const [, tc] = turn(ok.fl, 30 * MS, treeConnectRequest(3, 0x3000n, '\\\\10.1.2.50\\data'), treeConnectResponse(3, 0x3000n, 1, 0), 'TREE_CONNECT');
  const [q, r] = turn(ok.fl, 40 * MS, sessionSetupRequest(4, 0n, new Uint8Array(60).fill(3)), sessionSetupResponse(4, 0n, STATUS_ACCESS_DENIED), 'anonymous SESSION_SETUP');
  close(ok.fl, 50 * MS);
  const { findings } = await diagnose(t, 'logon-held.pcapng');
  const f = findings.filter((x) => x.id === 'smb2/logon-failed');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.deepEqual(f[0].frames, [q, r]);
  assert.equal(f[0].metrics.session_held_frame, ok.q);
  assert.ok(tc > 0);
  assert.equal(findings.filter((x) => x.id === 'smb2/tree-connect-failed').length, 0);
});

test('TREE_CONNECT to a share that does not exist: an error carrying the path', async () => {
  const t = new Trace();
  const ok = logon(t, 53000, 0, 0, 0x4000n);
  const path = '\\\\10.1.2.50\\no"such\x1b[31m';
  const [q, r] = turn(ok.fl, 30 * MS, treeConnectRequest(3, 0x4000n, path), treeConnectResponse(3, 0x4000n, 0, STATUS_BAD_NETWORK_NAME), 'TREE_CONNECT');
  close(ok.fl, 40 * MS);
  const { findings } = await diagnose(t, 'tree-connect-failed.pcapng');
  const f = findings.filter((x) => x.id === 'smb2/tree-connect-failed');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
  assert.deepEqual(f[0].frames, [q, r]);
  // the decoder replaces control characters of names from the wire (protocols/text.ts), and the
  // rule quotes the name as a JSON string, so neither the quote nor the escape byte breaks out
  const shown = path.replace('\x1b', '?');
  assert.equal(f[0].metrics.path, shown);
  assert.ok(f[0].summary.includes(JSON.stringify(shown)));
  assert.ok(!f[0].summary.includes('\x1b'));
  assert.equal(findings.filter((x) => x.id === 'smb2/logon-failed').length, 0);
});

// ------------------------------------------------------------------ tcp/connection-refused

/** A SYN from `client`:`port` to `server`:`dport` answered by RST+ACK (`syns` SYNs, 0.5 s apart, each
 *  answered, as Windows retries); returns the frames. */
function refused(t: Trace, at: number, client: Host, port: number, server: Host, dport: number, syns = 1): number[] {
  const fl = new TcpFlow(t, client, port, server, dport, { client: port * 31, server: 0 });
  const out: number[] = [];
  for (let i = 0; i < syns; i++) {
    out.push(fl.seg('client', at + i * 500 * MS, { flags: SYN, seq: fl.client.isn }, 'client SYN'));
    out.push(fl.seg('server', at + i * 500 * MS + 200_000, { flags: RST | ACK, seq: 0, ack: fl.client.isn + 1, options: null }, 'server RST'));
  }
  return out;
}

/** A complete short connection; returns its SYN frame. */
function accepted(t: Trace, at: number, client: Host, port: number, server: Host, dport: number): number {
  const fl = new TcpFlow(t, client, port, server, dport, { client: port * 17, server: port * 5 });
  const [syn] = fl.handshake(at, MS);
  close(fl, at + 5 * MS);
  return syn;
}

const host = (i: number): Host => ({ ip: `10.9.0.${i}`, mac: `02:00:00:00:01:${(i & 0xff).toString(16).padStart(2, '0')}` });

test('a port nobody reaches: error, with the SYN/RST frames and the advice', async () => {
  const t = new Trace();
  const frames = refused(t, 0, CLIENT, 40000, SERVER, 8080, 3);
  const { path, findings } = await diagnose(t, 'refused.pcapng');
  const rows = fields(path, ['tcp.flags.reset', 'tcp.flags.syn']);
  assert.equal(rows[frames[1] - 1]['tcp.flags.reset'], '1');
  const f = findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
  assert.deepEqual(f[0].frames, frames);
  assert.equal(f[0].metrics.syns, 3);
  assert.match(f[0].summary, /^10\.1\.2\.50:8080 refused 1 connection attempt \(3 SYNs\) from 10\.1\.2\.3 over 1\.00 s/);
  assert.ok(f[0].advice && /listens on port 8080/.test(f[0].advice[0]));
});

test('refused, then accepted: a warning; accepted, then refused: an error (the service stopped)', async () => {
  const t1 = new Trace();
  refused(t1, 0, CLIENT, 40001, SERVER, 5432);
  refused(t1, S, CLIENT, 40002, SERVER, 5432);
  const ok = accepted(t1, 3 * S, CLIENT, 40003, SERVER, 5432);
  const a = (await diagnose(t1, 'refused-then-ok.pcapng')).findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'warning');
  assert.equal(a[0].metrics.first_established_frame, ok);
  assert.equal(a[0].metrics.attempts, 2);

  const t2 = new Trace();
  const before = accepted(t2, 0, CLIENT, 40011, SERVER, 5432);
  refused(t2, S, CLIENT, 40012, SERVER, 5432);
  const b = (await diagnose(t2, 'ok-then-refused.pcapng')).findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(b.length, 1);
  assert.equal(b[0].severity, 'error');
  assert.equal(b[0].metrics.last_established_frame, before);
  assert.match(b[0].summary, /established before .* none after/);
});

test('SMB port 139 refused beside a working 445: info', async () => {
  const t = new Trace();
  refused(t, 0, CLIENT, 40020, SERVER, 139);
  accepted(t, 1 * MS, CLIENT, 40021, SERVER, 445);
  const f = (await diagnose(t, 'smb-139.pcapng')).findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.match(f[0].explanation, /445 and 139/);
});

test('a scanning client and a probed host are named as such (info), not as dead services', async () => {
  const t = new Trace();
  // one client sweeping 12 ports of a host, 8 refused and 4 unanswered
  for (let p = 0; p < 12; p++) {
    if (p < 8) refused(t, p * 10 * MS, CLIENT, 41000 + p, SERVER, 1000 + p);
    else new TcpFlow(t, CLIENT, 41000 + p, SERVER, 1000 + p, { client: p, server: 0 }).syn(p * 10 * MS);
  }
  const scan = (await diagnose(t, 'scanner.pcapng')).findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(scan.length, 1);
  assert.equal(scan[0].severity, 'info');
  assert.equal(scan[0].metrics.attempts, 8);
  assert.match(scan[0].summary, /a scan\.$/);

  // six clients, each trying one or two ports of a host that serves none of them
  const t2 = new Trace();
  for (let i = 0; i < 6; i++) refused(t2, i * S, host(10 + i), 42000 + i, SERVER, [23, 445, 1433, 3389, 5900, 8080][i]);
  const probed = (await diagnose(t2, 'probed.pcapng')).findings.filter((x) => x.id === 'tcp/connection-refused');
  assert.equal(probed.length, 1);
  assert.equal(probed[0].severity, 'info');
  assert.equal(probed[0].metrics.ports, 6);
  assert.equal(probed[0].metrics.clients, 6);
  assert.match(probed[0].summary, /being probed/);
});

// ------------------------------------------------------------------ tcp/slow-first-response

/** A connection with a request and an answer; times in ns from `at`: the SYN-ACK after `rtt` (the
 *  SYN re-sent first when `lostSyn`), the request `clientDelay` after the handshake, the server's
 *  ACK of it `rtt` later, and the answer `serverDelay` after that ACK. Returns the frames. */
function exchange(t: Trace, at: number, port: number, o: { rtt: number; clientDelay: number; serverDelay: number; lostSyn?: boolean; serverFirst?: boolean }) {
  const fl = new TcpFlow(t, CLIENT, port, SERVER, 8000, { client: port * 101, server: port * 7 });
  const syn = fl.syn(at);
  let t1 = at;
  if (o.lostSyn) {
    t1 = at + S;
    fl.seg('client', t1, { flags: SYN, seq: fl.client.isn }, 'client SYN again');
  }
  const synAck = fl.synAck(t1 + o.rtt);
  const ack = fl.ack('client', t1 + o.rtt + 50_000);
  let tq = t1 + o.rtt + 50_000;
  let request = 0;
  let requestAck = 0;
  if (!o.serverFirst) {
    tq += o.clientDelay;
    request = fl.send('client', tq, new Uint8Array(300).fill(0x41), 'request')[0];
    requestAck = fl.ack('server', tq + o.rtt);
    tq += o.rtt;
  }
  const answer = fl.send('server', tq + o.serverDelay, new Uint8Array(500).fill(0x42), 'answer')[0];
  fl.ack('client', tq + o.serverDelay + o.rtt);
  close(fl, tq + o.serverDelay + 2 * o.rtt);
  return { syn, synAck, ack, request, requestAck, answer };
}

test('slow first response: the server\'s think time, the client\'s delay and a lost SYN are told apart', async () => {
  const t = new Trace();
  const srv = exchange(t, 0, 43000, { rtt: 20 * MS, clientDelay: 0, serverDelay: 2 * S });
  let f = (await diagnose(t, 'slow-server.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'warning');
  assert.equal(f[0].metrics.dominant, 'server');
  assert.deepEqual(f[0].frames, [srv.syn, srv.synAck, srv.request, srv.requestAck, srv.answer]);
  // the parts add up to the total
  const sum = Number(f[0].metrics.network_s) + Number(f[0].metrics.client_s) + Number(f[0].metrics.server_s);
  assert.ok(Math.abs(sum - Number(f[0].metrics.total_s)) < 1e-5);
  assert.ok(Math.abs(Number(f[0].metrics.server_s) - 2) < 1e-5);

  const t2 = new Trace();
  exchange(t2, 0, 43001, { rtt: 20 * MS, clientDelay: 1500 * MS, serverDelay: 5 * MS });
  f = (await diagnose(t2, 'slow-client.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.equal(f[0].metrics.dominant, 'client');
  assert.ok(Math.abs(Number(f[0].metrics.client_s) - 1.5) < 1e-5);

  const t3 = new Trace();
  exchange(t3, 0, 43002, { rtt: 30 * MS, clientDelay: 0, serverDelay: 5 * MS, lostSyn: true });
  f = (await diagnose(t3, 'lost-syn.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.dominant, 'network');
  assert.match(f[0].explanation, /the SYN was sent 2 times/);

  const t4 = new Trace();
  const banner = exchange(t4, 0, 43003, { rtt: 10 * MS, clientDelay: 0, serverDelay: 1200 * MS, serverFirst: true });
  f = (await diagnose(t4, 'slow-banner.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.dominant, 'server');
  assert.deepEqual(f[0].frames, [banner.syn, banner.synAck, banner.answer]);
});

test('slow first response: fast exchanges, and answers whose start the capture missed, are not reported', async () => {
  const t = new Trace();
  for (let i = 0; i < 5; i++) exchange(t, i * 100 * MS, 44000 + i, { rtt: 5 * MS, clientDelay: MS, serverDelay: 20 * MS });
  assert.equal((await diagnose(t, 'fast.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response').length, 0);

  // a slow answer whose first segment is not in the capture: the time to it is unknown
  const t2 = new Trace();
  const fl = new TcpFlow(t2, CLIENT, 44100, SERVER, 8000, { client: 77, server: 88 });
  fl.handshake(0, 10 * MS);
  fl.send('client', 20 * MS, new Uint8Array(100).fill(1), 'request');
  fl.server.nxt = fl.server.nxt + 1000; // the first 1000 bytes of the answer were not captured
  fl.send('server', 3 * S, new Uint8Array(200).fill(2), 'rest of the answer');
  close(fl, 3 * S + 10 * MS);
  assert.equal((await diagnose(t2, 'missed-answer.pcapng')).findings.filter((x) => x.id === 'tcp/slow-first-response').length, 0);
});

// ------------------------------------------------------------------ nfs/error-replies, smb2/error-replies

test('NFS error replies: stale handles, a server in grace, a refused mount; NOENT is not one', async () => {
  const t = new Trace();
  const fl = new TcpFlow(t, CLIENT, 820, SERVER, NFS_PORT, { client: 31, server: 41 });
  fl.handshake(0, MS);
  const stale: number[] = [];
  for (let i = 0; i < 3; i++) stale.push(...turn(fl, (10 + 5 * i) * MS, getattr(0x500 + i), reply(0x500 + i, new Xdr().u32(70).bytes()), 'GETATTR stale'));
  turn(fl, 40 * MS, call(0x510, PROG_NFS, 3, 3, CRED, new Xdr().opaque(new Uint8Array(32).fill(7)).string('nosuch').bytes()), reply(0x510, new Xdr().u32(2).u32(0).bytes()), 'LOOKUP NOENT');
  const grace = turn(fl, 50 * MS, setclientid(0x520), reply(0x520, new Xdr().u32(10013).string('').u32(0).bytes()), 'COMPOUND in grace');
  close(fl, 60 * MS);
  const mnt = new TcpFlow(t, CLIENT, 821, SERVER, 20048, { client: 51, server: 61 });
  mnt.handshake(100 * MS, MS);
  const refusedMount = turn(mnt, 110 * MS, call(0x530, 100005, 3, 1, CRED, new Xdr().string('/export/home').bytes()), reply(0x530, new Xdr().u32(13).bytes()), 'MNT');
  close(mnt, 120 * MS);
  const { path, findings } = await diagnose(t, 'nfs-errors.pcapng');
  const rows = fields(path, ['nfs.status3', 'nfs.nfsstat4', 'mount.status']);
  assert.equal(rows[stale[1] - 1]['nfs.status3'], '70');
  assert.equal(rows[grace[1] - 1]['nfs.nfsstat4'], '10013');
  assert.equal(rows[refusedMount[1] - 1]['mount.status'], '13');
  const f = findings.filter((x) => x.id === 'nfs/error-replies');
  const by = (status: RegExp) => f.find((x) => status.test(String(x.metrics.status)));
  assert.equal(f.length, 3, f.map((x) => x.summary).join('\n'));
  assert.equal(by(/STALE/)?.severity, 'warning');
  assert.equal(by(/STALE/)?.metrics.replies, 3);
  assert.deepEqual(by(/STALE/)?.frames, stale);
  assert.equal(by(/GRACE/)?.severity, 'warning');
  assert.match(by(/GRACE/)?.explanation ?? '', /grace period/);
  assert.equal(by(/MNT/)?.severity, 'error');
  assert.match(by(/MNT/)?.explanation ?? '', /access denied by server while mounting/);
});

test('SMB2 session deleted under a client: an error when it never logs on again, a warning when it does', async () => {
  for (const recovers of [false, true]) {
    const t = new Trace();
    const l = logon(t, 54000 + (recovers ? 1 : 0), 0, 0, 0x5000n);
    const [q, r] = turn(l.fl, 30 * MS, echoRequest(3, 0x5000n), errorResponse(SMB2_ECHO, 3, 0x5000n, STATUS_USER_SESSION_DELETED), 'ECHO on a deleted session');
    let again = 0;
    if (recovers) {
      turn(l.fl, 40 * MS, sessionSetupRequest(4, 0n, new Uint8Array(40).fill(5)), sessionSetupResponse(4, 0x5001n, STATUS_MORE_PROCESSING_REQUIRED), 'SESSION_SETUP again, leg 1');
      again = turn(l.fl, 50 * MS, sessionSetupRequest(5, 0x5001n, new Uint8Array(60).fill(6)), sessionSetupResponse(5, 0x5001n, 0), 'SESSION_SETUP again, leg 2')[0];
    }
    // the capture goes on: a keep-alive exchange 20 s later
    turn(l.fl, 20 * S, echoRequest(6, recovers ? 0x5001n : 0x5000n), echoResponse(6, recovers ? 0x5001n : 0x5000n), 'ECHO later');
    close(l.fl, 21 * S);
    const f = (await diagnose(t, `session-deleted-${recovers}.pcapng`)).findings.filter((x) => x.id === 'smb2/error-replies');
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, recovers ? 'warning' : 'error');
    assert.deepEqual(f[0].frames, [q, r]);
    if (recovers) assert.equal(f[0].metrics.logged_on_again_frame, again);
    else assert.match(f[0].explanation, /did not recover by itself/);
  }
});

test('a locked-out account is named as such, with the advice to find the client sending a stale password', async () => {
  const t = new Trace();
  const STATUS_ACCOUNT_LOCKED_OUT = 0xc0000234;
  const l = logon(t, 55000, 0, STATUS_ACCOUNT_LOCKED_OUT, 0x6000n);
  close(l.fl, l.end);
  const { path, findings } = await diagnose(t, 'locked-out.pcapng');
  assert.equal(Number(fields(path, ['smb2.nt_status'])[l.r - 1]['smb2.nt_status']), STATUS_ACCOUNT_LOCKED_OUT);
  const f = findings.filter((x) => x.id === 'smb2/logon-failed');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
  assert.equal(f[0].metrics.status, 'STATUS_ACCOUNT_LOCKED_OUT');
  assert.match(f[0].explanation, /locked out after too many failed logons/);
  assert.match(f[0].advice?.join(' ') ?? '', /stale password/);
});

test('corpus nfsv3-tcp-2sessions-wsize: the NFS_ACL probe refused PROG_UNAVAIL is info, named as the probe it is', async () => {
  const f = runRules(await analyse([`${corpusDir()}/nfs-rpc/nfsv3-tcp-2sessions-wsize.pcap.gz`])).filter((x) => x.id === 'rpc/call-rejected');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.deepEqual(f[0].frames, [37, 38]);
  assert.match(f[0].explanation, /Linux NFSv3 clients ask for NFS_ACL this way/);
  // a probe produces no error the user sees: the mount.nfs messages are for refusals that failed
  assert.doesNotMatch(f[0].explanation, /mount\.nfs/);
  assert.equal(f[0].advice, undefined);
});
