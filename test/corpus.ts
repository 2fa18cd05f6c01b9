// Where the shared corpus lives, and how to read its tshark reference. Tests that need the
// corpus call corpusDir(), which throws a clear error when it is absent: a missing corpus must
// fail the run, never skip it silently.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function corpusDir(): string {
  const dir = process.env.PCAPDX_CORPUS ? resolve(process.env.PCAPDX_CORPUS) : resolve(repoRoot, '../shared/corpus');
  if (!existsSync(join(dir, 'SOURCES.md')) || !existsSync(join(dir, 'reference'))) {
    throw new Error(
      `pcapdx corpus not found at ${dir} (expected SOURCES.md and reference/ there). ` +
        'Set PCAPDX_CORPUS to the corpus folder; corpus tests cannot run without it.',
    );
  }
  return dir;
}

/** Every capture in the corpus as a path relative to the corpus root, sorted. */
export function corpusCaptures(dir = corpusDir()): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (rel === '' && name === 'reference') continue;
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) walk(p, r);
      else if (/\.(pcap|pcapng)(\.gz)?$/.test(name)) out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

export interface ReferenceTable {
  columns: string[];
  /** one row per frame, in frame order; row[i] is the value of columns[i] ('' when empty) */
  rows: string[][];
  col(name: string): number;
}

export function readReference(rel: string, dir = corpusDir()): ReferenceTable {
  const text = readFileSync(join(dir, 'reference', `${rel}.tsv`), 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const columns = lines.length ? lines[0].split('\t') : [];
  const rows = lines.slice(1).map((l) => l.split('\t'));
  return {
    columns,
    rows,
    col(name: string): number {
      const i = columns.indexOf(name);
      if (i < 0) throw new Error(`reference for ${rel} has no column ${name}`);
      return i;
    },
  };
}

/**
 * tshark 4.0 prints frame.time_epoch as `seconds.%09d` of the raw nanosecond field, so an
 * out-of-range fraction shows with ten digits ("1418145370.1000000000"). Parse it the way it was
 * printed and normalise, so that comparisons are exact integers in nanoseconds.
 */
export function parseTsharkEpoch(s: string): bigint {
  const neg = s.startsWith('-');
  const [secPart, fracPart = ''] = (neg ? s.slice(1) : s).split('.');
  const frac = fracPart.length > 9 ? BigInt(fracPart) : BigInt(fracPart.padEnd(9, '0'));
  const v = BigInt(secPart) * 1_000_000_000n + frac;
  return neg ? -v : v;
}
