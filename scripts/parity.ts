// `npm run parity`: pcapdx against the tshark 4.0 reference over the whole corpus. Prints one
// table per check and exits non-zero when a check fails its bar.

import { corpusDir } from '../test/corpus.js';
import { fieldParity } from '../test/parity/fields.js';
import { labelParity } from '../test/parity/labels.js';
import { protocolParity } from '../test/parity/protocols.js';
import type { ParityReport } from '../test/parity/types.js';

function print(r: ParityReport, maxNotes = 40): void {
  console.log(`\n== ${r.title}`);
  console.log(`${'check'.padEnd(34)}${'tshark'.padStart(10)}${'pcapdx'.padStart(10)}${'both'.padStart(10)}${'agreement'.padStart(11)}`);
  for (const row of r.rows) {
    console.log(`${row.name.padEnd(34)}${String(row.tshark).padStart(10)}${String(row.pcapdx).padStart(10)}${String(row.both).padStart(10)}${(row.agreement * 100).toFixed(2).padStart(10)}%`);
  }
  for (const n of r.notes.slice(0, maxNotes)) console.log(`  - ${n}`);
  if (r.notes.length > maxNotes) console.log(`  ... ${r.notes.length - maxNotes} more`);
}

const dir = corpusDir();
const reports: ParityReport[] = [];
const fields = await fieldParity(dir);
reports.push(fields);
print(fields);
console.log(`  (${fields.files} captures, ${fields.frames} frames)`);
for (const d of fields.deliberate) console.log(`  deliberate: ${d}`);

const labels = await labelParity(dir);
reports.push(labels);
print(labels);

const protocols = await protocolParity(dir);
reports.push(protocols);
print(protocols);

const failed = reports.filter((r) => !r.ok);
console.log(failed.length ? `\nparity: ${failed.length} check(s) below their bar` : '\nparity: all checks meet their bar');
process.exit(failed.length ? 1 : 0);
