// tshark as the oracle for generated application captures (a test and bench dependency only):
// the messages it decodes per frame, its service response time tables, its expert items; and
// pcapdx's own SRT counts from the same file, for comparison.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runProtocols, SrtTable } from '../../../src/cli/exchanges.js';
import { tsharkFields } from '../tshark.js';
import type { SentMessage, WorkloadResult } from './workload.js';

/**
 * tshark 4.0 does not reassemble a PDU whose later segment arrives before an earlier one unless
 * this preference is on (it is off by default): such a message is then lost to the SMB2/RPC
 * dissectors and its exchange is missing from the SRT table. The generated captures reorder
 * segments on purpose, so the comparisons turn it on.
 */
export const OOO_PREF = 'tcp.reassemble_out_of_order:TRUE';

/** A message as tshark decodes it, with the frame it was reported in. */
export interface SeenMessage {
  frame: number;
  key: string;
  /** READ/WRITE request length, CREATE/LOOKUP request name, when the frame holds only this message */
  size?: number;
  name?: string;
}

/** The identity compared between what was sent and what tshark decodes. */
export function messageKey(m: Pick<SentMessage, 'kind' | 'code' | 'id' | 'response' | 'program' | 'clientPort'>): string {
  return `${m.kind} client=${m.clientPort} prog=${m.program} code=${m.code} id=${m.id} ${m.response ? 'response' : 'request'}`;
}

const PORT_FIELDS = ['tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'];

/** the client's port of a frame: the source of a request, the destination of a response */
function clientPort(r: Record<string, string>, response: boolean): number {
  const src = r['tcp.srcport'] || r['udp.srcport'];
  const dst = r['tcp.dstport'] || r['udp.dstport'];
  return Number(response ? dst : src);
}

const split = (s: string): string[] => (s === '' ? [] : s.split(','));

/** Every SMB2 message tshark decodes (smb2.cmd, smb2.msg_id, smb2.flags.response). */
export function tsharkSmb2Messages(file: string, prefs: string[] = [OOO_PREF]): SeenMessage[] {
  const rows = tsharkFields(file, ['frame.number', ...PORT_FIELDS, 'smb2.cmd', 'smb2.msg_id', 'smb2.flags.response', 'smb2.read_length', 'smb2.write_length', 'smb2.filename'], prefs);
  const out: SeenMessage[] = [];
  for (const r of rows) {
    const cmds = split(r['smb2.cmd']);
    const ids = split(r['smb2.msg_id']);
    const resp = split(r['smb2.flags.response']);
    cmds.forEach((c, i) => {
      const response = resp[i] === '1' || resp[i] === 'True';
      const m: SeenMessage = { frame: Number(r['frame.number']), key: messageKey({ kind: 'smb2', clientPort: clientPort(r, response), program: 0, code: Number(c), id: Number(ids[i]), response }) };
      if (cmds.length === 1 && !response) {
        const len = r['smb2.read_length'] || r['smb2.write_length'];
        if (len) m.size = Number(len);
        if (r['smb2.filename']) m.name = r['smb2.filename'];
      }
      out.push(m);
    });
  }
  return out;
}

/** Every ONC RPC message tshark decodes (rpc.xid, rpc.msgtyp, rpc.program, rpc.procedure). */
export function tsharkRpcMessages(file: string, prefs: string[] = [OOO_PREF]): SeenMessage[] {
  const rows = tsharkFields(file, ['frame.number', ...PORT_FIELDS, 'rpc.xid', 'rpc.msgtyp', 'rpc.program', 'rpc.procedure', 'nfs.count3', 'nfs.name'], prefs);
  const out: SeenMessage[] = [];
  for (const r of rows) {
    const xids = split(r['rpc.xid']);
    const types = split(r['rpc.msgtyp']);
    const progs = split(r['rpc.program']);
    const procs = split(r['rpc.procedure']);
    xids.forEach((x, i) => {
      const response = types[i] === '1';
      const m: SeenMessage = { frame: Number(r['frame.number']), key: messageKey({ kind: 'rpc', clientPort: clientPort(r, response), program: Number(progs[i]), code: Number(procs[i]), id: Number(x), response }) };
      if (xids.length === 1 && !response) {
        if (r['nfs.count3']) m.size = Number(r['nfs.count3']);
        if (r['nfs.name']) m.name = r['nfs.name'];
      }
      out.push(m);
    });
  }
  return out;
}

/** Parses the rows of `tshark -q -z smb2,srt` or `-z rpc,srt,...`: command index -> calls. */
export function parseSrt(text: string): Map<number, number> {
  const out = new Map<number, number>();
  // "    8  Read                      149   0.000161   0.400946   0.007724   1.150903"
  const row = /^\s*(\d+)\s+\S.*?\s(\d+)(?:\s+\d+\.\d+){4}\s*$/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

export type SrtWhich = 'smb2' | 'nfs3';
export const SRT_ARG: Record<SrtWhich, string> = { smb2: 'smb2,srt', nfs3: 'rpc,srt,100003,3' };
/** pcapdx's service name for each tshark table */
export const SRT_SERVICE: Record<SrtWhich, string> = { smb2: 'SMB2', nfs3: 'NFSv3' };

/** tshark's SRT table: command index -> answered calls. */
export function tsharkSrt(file: string, which: SrtWhich, prefs: string[] = [OOO_PREF]): Map<number, number> {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-q', '-z', SRT_ARG[which]];
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`tshark could not run (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return parseSrt(r.stdout);
}

/** pcapdx's SRT counts for one service (in process): command index -> answered calls. */
export async function pcapdxSrt(file: string, service: string): Promise<Map<number, number>> {
  const t = new SrtTable();
  await runProtocols(file, (e) => t.add(e));
  return new Map(t.rows().filter((r) => r.service === service).map((r) => [r.index, r.count]));
}

/** Wireshark's expert severities (epan/proto.h PI_*) as `_ws.expert.severity` prints them. */
const PI_WARN = 0x00600000;
const PI_ERROR = 0x00800000;

/** Expert items at warning and error level, and frames tshark marks malformed. */
export function tsharkProblems(file: string, prefs: string[] = [OOO_PREF]): { errors: string[]; warnings: string[]; malformed: number[] } {
  const rows = tsharkFields(file, ['frame.number', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed'], prefs);
  const errors: string[] = [];
  const warnings: string[] = [];
  const malformed: number[] = [];
  for (const r of rows) {
    const frame = r['frame.number'];
    if (r['_ws.malformed'] !== '') malformed.push(Number(frame));
    const sev = split(r['_ws.expert.severity']).map(Number);
    // messages may hold commas: keep the whole text per frame
    for (const s of sev) {
      if (s >= PI_ERROR) errors.push(`frame ${frame}: ${r['_ws.expert.message']}`);
      else if (s >= PI_WARN) warnings.push(`frame ${frame}: ${r['_ws.expert.message']}`);
    }
  }
  return { errors, warnings, malformed };
}

/** Asserts that tshark finds nothing malformed and no expert error in `file`; warnings must be
 *  absent on a lossless capture and present (the loss and reordering) on a lossy one. */
export function assertTsharkClean(file: string, lossy: boolean): void {
  const p = tsharkProblems(file, lossy ? undefined : []);
  assert.deepEqual(p.malformed, []);
  assert.deepEqual(p.errors, []);
  if (lossy) assert.ok(p.warnings.length > 0, 'the loss and reordering show up as TCP warnings');
  else assert.deepEqual(p.warnings, []);
}

/** Asserts that tshark saw exactly the messages sent (as a multiset), with the lengths
 *  and names it could attribute to one message; returns how many of those were checked. */
export function compareMessages(sent: SentMessage[], seen: SeenMessage[]): { fieldsChecked: number } {
  const want = sent.map(messageKey).sort();
  assert.deepEqual(seen.map((m) => m.key).sort(), want, 'tshark decodes every message exactly once, as sent');
  const byKey = new Map(sent.map((m) => [messageKey(m), m]));
  let fieldsChecked = 0;
  for (const s of seen) {
    const m = byKey.get(s.key)!;
    if (s.size !== undefined) {
      assert.equal(s.size, m.size, `${s.key}: length in frame ${s.frame}`);
      fieldsChecked++;
    }
    if (s.name !== undefined) {
      assert.equal(s.name, m.name, `${s.key}: name in frame ${s.frame}`);
      fieldsChecked++;
    }
  }
  return { fieldsChecked };
}

/** The exchanges sent for one service: command code -> count. */
export function countsOf(r: WorkloadResult, service: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, n] of Object.entries(r.exchanges)) {
    const [svc, code] = k.split(' ');
    if (svc === service) out.set(Number(code), n);
  }
  return out;
}
