// Shared checks for the incident generator tests.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readCapture } from '../../src/capture/open.js';
import { expectationProblems, type Generated } from './expect.js';
import { expertProblems } from './oracle.js';

/** Frames as pcapdx's own reader counts them (and that it reads the file without damage). */
export async function pcapdxFrames(path: string): Promise<number> {
  let n = 0;
  const summary = await readCapture(path, (f) => {
    n++;
    assert.equal(f.number, n);
  });
  assert.equal(summary.stoppedEarly, false);
  assert.deepEqual(summary.issues.filter((i) => i.severity !== 'info'), []);
  return summary.frames;
}

/** The checks every generated file must pass: pcapdx reads the same number of frames the
 *  generator wrote, tshark finds no bad checksum, no malformed packet and no expert error, and
 *  the expectation points at frames that exist. `errorsExpectedAt` lists frames where the
 *  scenario's fault itself is an error to tshark (a retransmission with other bytes is
 *  "New fragment overlaps old data"). Returns tshark's warnings for the caller. */
export async function checkGenerated<F>(g: Generated<F>, errorsExpectedAt: number[] = []): Promise<{ frame: number; message: string }[]> {
  assert.equal(await pcapdxFrames(g.path), g.frames, 'frame count');
  const x = expertProblems(g.path);
  assert.deepEqual(x.malformed.filter((n) => !errorsExpectedAt.includes(n)), [], 'tshark: malformed frames');
  assert.deepEqual(x.errors.filter((e) => !errorsExpectedAt.includes(e.frame)), [], 'tshark: expert errors (bad checksums, malformed)');
  // an error expected at a frame must be there (the scenario's fault is what tshark objects to)
  for (const n of errorsExpectedAt) assert.ok(x.errors.some((e) => e.frame === n), `tshark: expected an expert error at frame ${n}`);
  assert.deepEqual(expectationProblems(g.expect, g.frames), []);
  return x.warnings.map((w) => ({ frame: w.frame, message: w.message }));
}

export function sameBytes(a: string, b: string): boolean {
  return Buffer.compare(readFileSync(a), readFileSync(b)) === 0;
}
