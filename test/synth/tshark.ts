// Test helper: reads a capture with tshark (the oracle; never a runtime dependency of pcapdx)
// and returns the requested fields per frame.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The tcp.analysis flags tshark 4.0 sets, by field name suffix. */
export const TCP_LABELS = [
  'retransmission', 'fast_retransmission', 'spurious_retransmission', 'out_of_order', 'lost_segment',
  'ack_lost_segment', 'duplicate_ack', 'keep_alive', 'keep_alive_ack', 'zero_window', 'zero_window_probe',
  'zero_window_probe_ack', 'window_full', 'window_update', 'reused_ports',
] as const;

/** Runs tshark -T fields; one record per frame, keyed by field name ('' when absent). */
export function tsharkFields(file: string, fields: string[], prefs: string[] = []): Record<string, string>[] {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`tshark could not run (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    const rec: Record<string, string> = {};
    fields.forEach((f, i) => (rec[f] = cols[i] ?? ''));
    return rec;
  });
}

/** tshark's TCP analysis labels per frame (1-based frame number -> sorted label list). */
export function tsharkTcpLabels(file: string): Map<number, string[]> {
  const fields = ['frame.number', ...TCP_LABELS.map((l) => `tcp.analysis.${l}`)];
  const rows = tsharkFields(file, fields, ['tcp.analyze_sequence_numbers:TRUE', 'tcp.relative_sequence_numbers:FALSE']);
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const labels = TCP_LABELS.filter((l) => r[`tcp.analysis.${l}`] !== '');
    if (labels.length) out.set(Number(r['frame.number']), [...labels].sort());
  }
  return out;
}

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(): { dir: string; file: (name: string) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-synth-'));
  return { dir, file: (n) => join(dir, n), done: () => rmSync(dir, { recursive: true, force: true }) };
}
