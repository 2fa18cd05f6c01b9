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
 *  the expectation points at frames that exist. Returns tshark's warnings for the caller. */
export async function checkGenerated<F>(g: Generated<F>): Promise<{ frame: number; message: string }[]> {
  assert.equal(await pcapdxFrames(g.path), g.frames, 'frame count');
  const x = expertProblems(g.path);
  assert.deepEqual(x.malformed, [], 'tshark: malformed frames');
  assert.deepEqual(x.errors, [], 'tshark: expert errors (bad checksums, malformed)');
  assert.deepEqual(expectationProblems(g.expect, g.frames), []);
  return x.warnings.map((w) => ({ frame: w.frame, message: w.message }));
}

export function sameBytes(a: string, b: string): boolean {
  return Buffer.compare(readFileSync(a), readFileSync(b)) === 0;
}
