// Scripted captures diagnosed: a Trace (test/incidents/trace.ts) written to a temporary file,
// analysed, every rule run, and every finding checked for the finding model's own rules
// (findingProblems). The temporary directory goes when the test file's tests are done.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import type { Trace } from '../incidents/trace.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { findingProblems, type Finding } from '../../src/diagnose/finding.js';

/** A runner for one test file: `diagnose(trace, name)` writes the capture as `name` and returns
 *  its path and findings. */
export function scriptedCaptures(): { diagnose(t: Trace, name: string): Promise<{ path: string; findings: Finding[] }> } {
  const tmp = tempDir();
  after(() => tmp.done());
  return {
    async diagnose(t, name) {
      const path = tmp.file(name);
      t.write(path);
      const findings = runRules(await analyse([path]));
      for (const f of findings) assert.deepEqual(findingProblems(f), [], `${f.id}: ${f.summary}`);
      return { path, findings };
    },
  };
}
