// docs/diagnosis-json.md names every field of the pcapdx.diagnosis/1 document: the documents of
// real runs of the built command (an incident with a known defect, a damaged capture, corpus
// captures with and without connections) must hold every field the page names, and nothing the
// page does not name, so the reference cannot drift from what pcapdx writes.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../synth/tshark.js';
import { generateIncidentA } from '../incidents/index.js';
import { corpusDir } from '../corpus.js';

const bin = resolve('dist/pcapdx.mjs');
const tmp = tempDir();
after(() => tmp.done());

/** The field paths the page names, per section: "captures[]" -> ["path", "stats.connections", ...]. */
function documented(): Map<string, Set<string>> {
  const page = readFileSync(resolve('docs/diagnosis-json.md'), 'utf8');
  const out = new Map<string, Set<string>>();
  let section = '';
  for (const line of page.split('\n')) {
    const h = /^## (?:`([^`]+)`|Top level)/.exec(line);
    if (h) {
      section = h[1] ?? '';
      out.set(section, new Set());
      continue;
    }
    if (!line.startsWith('| `') || section === undefined) continue;
    const first = line.split('|')[1];
    for (const m of first.matchAll(/`([^`]+)`/g)) out.get(section)!.add(m[1]);
  }
  return out;
}

/** The field paths of one object: top-level keys, and "stats.x" for the keys of `stats`. */
function paths(o: Record<string, unknown>, nested: string[] = []): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (nested.includes(k) && v && typeof v === 'object' && !Array.isArray(v)) for (const k2 of Object.keys(v)) out.push(`${k}.${k2}`);
    else out.push(k);
  }
  return out;
}

function diagnoseJson(files: string[]): Record<string, unknown[]> & { schema: string } {
  assert.ok(existsSync(bin), 'dist/pcapdx.mjs is missing: run npm run build (npm test does)');
  const r = spawnSync(process.execPath, [bin, 'diagnose', '--json', '-q', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.ok(r.status === 0 || r.status === 2, r.stderr);
  return JSON.parse(r.stdout);
}

test('docs/diagnosis-json.md names exactly the fields diagnose --json writes', () => {
  const a = tmp.file('incident-a.pcapng');
  generateIncidentA({ path: a, seed: 7, intervalS: 60, multiple: 2 });
  const cut = tmp.file('cut.pcap');
  const full = readFileSync(join(corpusDir(), 'tcp/ssh-dupacks-fast-retrans.pcap'));
  writeFileSync(cut, full.subarray(0, 20_000));
  const smb1 = join(corpusDir(), 'smb/smb1-vlan-large-transfer.pcap');
  const smb3 = join(corpusDir(), 'smb/smb3-session.pcap');
  const doc = diagnoseJson([a, cut, join(corpusDir(), 'smb/smb2-win10-keepalive-1byte.pcap'), join(corpusDir(), 'tcp/port-reuse-rst-inject.pcap'), smb1, smb3]);
  const page = documented();

  const top = Object.keys(doc).sort();
  assert.deepEqual(top, [...page.get('')!].sort(), 'top level');
  assert.equal(doc.schema, 'pcapdx.diagnosis/1');

  const seen = (list: unknown[], nested: string[] = []): Set<string> => {
    const s = new Set<string>();
    for (const o of list) for (const p of paths(o as Record<string, unknown>, nested)) s.add(p);
    return s;
  };
  // every field the page names appears in these documents, and every field written is named
  for (const [section, list, nested] of [['captures[]', doc.captures, ['stats']], ['findings[]', doc.findings, []], ['connections[]', doc.connections, []]] as const) {
    const named = new Set([...page.get(section)!].flatMap((f) => f.split(/,\s*/)));
    const written = seen(list as unknown[], [...nested]);
    assert.deepEqual([...written].filter((f) => !named.has(f)).sort(), [], `${section}: written but not on the page`);
    assert.deepEqual([...named].filter((f) => !written.has(f)).sort(), [], `${section}: on the page but not in these documents`);
  }
  // the damaged capture says where and that it is incomplete
  const caps = doc.captures as { stats: { complete: boolean; problems: { offset: number; after_frame: number }[] } }[];
  assert.equal(caps[1].stats.complete, false);
  assert.deepEqual(caps[1].stats.problems.map((p) => [p.offset, p.after_frame]), [[19882, 83]]);
  // SMB1 beyond the negotiation and encrypted SMB3 are recognised, not decoded, and said: the
  // counts are the messages tshark dissects as such
  const count = (file: string, filter: string): number => spawnSync('tshark', ['-r', file, '-Y', filter], { encoding: 'utf8' }).stdout.trim().split('\n').length;
  const nd = (i: number) => (doc.captures[i] as { stats: { notDecoded: Record<string, number> } }).stats.notDecoded;
  assert.deepEqual(nd(4), { SMB1: count(smb1, 'smb && smb.cmd != 0x72') });
  assert.deepEqual(nd(5), { 'SMB3 encrypted': count(smb3, 'smb2.header.transform.signature') });
  assert.deepEqual(nd(3), {});
});
