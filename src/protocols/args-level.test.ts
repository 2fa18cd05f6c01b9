import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSE_ARG_FIELDS } from './types.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The code that reads what analyse() gives (its protocol pass decodes at level 'diagnose'). */
const READERS = ['diagnose', 'analysis', 'report', 'correlate', 'cli/diagnose.ts', 'cli/compare.ts'];

function sources(p: string): string[] {
  if (!statSync(p).isDirectory()) return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  return readdirSync(p).flatMap((n) => sources(join(p, n)));
}

test("every Exchange.args field diagnose's code reads is one level 'diagnose' decodes (DIAGNOSE_ARG_FIELDS)", () => {
  const reads: string[] = [];
  const unknown: string[] = [];
  for (const r of READERS) {
    for (const f of sources(join(SRC, r))) {
      const text = readFileSync(f, 'utf8');
      // `.args.field`, or `.args` used whole (spread, indexed, passed on): the latter cannot be checked
      for (const m of text.matchAll(/\.args\b(?:\s*\??\.\s*([A-Za-z_$][\w$]*))?/g)) {
        const where = `${relative(SRC, f)}: ${m[0]}`;
        if (m[1] !== undefined && DIAGNOSE_ARG_FIELDS.includes(m[1])) reads.push(m[1]);
        else unknown.push(where);
      }
    }
  }
  assert.deepEqual(unknown, [], 'decode these at level diagnose (rpc/tracker.ts, smb2/session.ts) and add them to DIAGNOSE_ARG_FIELDS');
  // the scan sees the known readers (heartbeatKind's ops, syn-attempts' port at least)
  assert.ok(reads.includes('ops') && reads.includes('port'), `found ${reads.join(', ')}`);
});
