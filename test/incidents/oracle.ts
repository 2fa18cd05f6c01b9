// tshark as the oracle for the incident captures (a test dependency only): checksums verified,
// expert items by severity, and the fields the tests compare per frame.

import { spawnSync } from 'node:child_process';

/** Separates repeated occurrences of a field; frame comments never contain it. */
const AGG = '|';

/** tshark -T fields with our preferences; one record per frame. */
function tsharkFields(file: string, names: string[], prefs: string[]): Row[] {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`];
  for (const f of names) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`tshark could not run (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    const rec: Row = {};
    names.forEach((f, i) => (rec[f] = cols[i] ?? ''));
    return rec;
  });
}

/** Wireshark's expert severities (epan/proto.h PI_*) as `_ws.expert.severity` prints them. */
export const PI_WARN = 0x00600000;
export const PI_ERROR = 0x00800000;

const PREFS = [
  'tcp.relative_sequence_numbers:FALSE', 'tcp.analyze_sequence_numbers:TRUE', 'tcp.check_checksum:TRUE', 'ip.check_checksum:TRUE',
  'udp.check_checksum:TRUE',
];

export interface ExpertItem {
  frame: number;
  severity: number;
  message: string;
}

export type Row = Record<string, string>;

/** Per-frame fields with checksum checking on. */
export function fields(file: string, names: string[]): Row[] {
  return tsharkFields(file, ['frame.number', ...names], PREFS);
}

/** Expert items at warning level or above (comments, chats and notes left out), and frames that
 *  tshark marks malformed. */
export function expertProblems(file: string): { errors: ExpertItem[]; warnings: ExpertItem[]; malformed: number[] } {
  const rows = tsharkFields(file, ['frame.number', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed'], PREFS);
  const errors: ExpertItem[] = [];
  const warnings: ExpertItem[] = [];
  const malformed: number[] = [];
  for (const r of rows) {
    const frame = Number(r['frame.number']);
    if (r['_ws.malformed'] !== '') malformed.push(frame);
    const sev = r['_ws.expert.severity'] ? r['_ws.expert.severity'].split(AGG).map(Number) : [];
    const msgs = r['_ws.expert.message'] ? r['_ws.expert.message'].split(AGG) : [];
    for (let i = 0; i < sev.length; i++) {
      const message = msgs[i] ?? '';
      if (sev[i] >= PI_ERROR) errors.push({ frame, severity: sev[i], message });
      else if (sev[i] >= PI_WARN) warnings.push({ frame, severity: sev[i], message });
    }
  }
  return { errors, warnings, malformed };
}

/** Frame numbers (1-based) whose field `name` is non-empty. */
export function framesWith(rows: Row[], name: string): number[] {
  return rows.filter((r) => r[name] !== '').map((r) => Number(r['frame.number']));
}

/** Frame numbers whose field `name` equals `value` (any occurrence). */
export function framesWhere(rows: Row[], name: string, value: string): number[] {
  return rows.filter((r) => r[name].split(AGG).includes(value)).map((r) => Number(r['frame.number']));
}
