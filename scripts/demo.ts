// `npm run demo`: writes a small set of sample captures, one per incident of INCIDENTS.md (A-D),
// a healthy one, and a pair of captures of the same traffic at two points (E), then runs the
// built pcapdx on them exactly as a user would (`diagnose ... --html`, `compare ... --html`). The
// captures come from the test tree's synthesiser (realistic TCP arithmetic, byte-correct SMB2
// and ONC RPC), so a newcomer sees pcapdx work before having a capture of their own; pcapdx
// itself does not ship the synthesiser.
//
// Usage: tsx scripts/demo.ts [--dir DIR] [--no-html] [--no-color]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoCaptures } from '../test/demo/captures.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const dirAt = args.indexOf('--dir');
const dir = resolve(dirAt >= 0 && args[dirAt + 1] ? args[dirAt + 1] : 'pcapdx-demo');
const html = !flag('--no-html');
const color = !flag('--no-color');
const cli = fileURLToPath(new URL('../dist/pcapdx.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`demo: ${cli} is missing; build first (npm run build, or npm run demo which builds)\n`);
  process.exit(2);
}

// a reader that stops early (`npm run demo | head`) is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/** Runs the built CLI with the terminal as its output; returns its exit status. */
function pcapdx(argv: string[]): number {
  const shown = argv.map((a) => (a.startsWith(dir) ? relative(dir, a) || '.' : a));
  process.stdout.write(`\n$ pcapdx ${shown.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...argv], { stdio: 'inherit', env: color ? process.env : { ...process.env, NO_COLOR: '1' } });
  return r.status ?? 2;
}

process.stdout.write(`pcapdx demo: writing sample captures to ${dir}\n`);
const caps = writeDemoCaptures(dir);
const PAD = 43; // the longest name, the E pair's, and two spaces
for (const c of caps.diagnose) process.stdout.write(`  ${relative(dir, c.file).padEnd(PAD)}${c.what}\n`);
process.stdout.write(`  ${'e-client-side.pcap + e-server-side.pcapng'.padEnd(PAD)}${caps.compare.what}\n`);

const report = join(dir, 'report.html');
const compareHtml = join(dir, 'compare.html');
// diagnose exits 0 whatever it finds (no --fail-on), compare 1 when the network lost or changed
// packets (as diff does); 2 means a capture could not be read
const d = pcapdx(['diagnose', '-q', ...caps.diagnose.map((c) => c.file), ...(html ? ['--html', report] : [])]);
const c = pcapdx(['compare', '-q', caps.compare.a, caps.compare.b, ...(html ? ['--html', compareHtml] : [])]);
process.stdout.write('\n');
if (html) {
  process.stdout.write(`HTML report of the diagnosis: ${report}; open it in a browser.\n`);
  process.stdout.write(`HTML report of the comparison (E, the two captures side by side): ${compareHtml}\n`);
}
process.stdout.write(`Sample captures are in ${dir}: try  node dist/pcapdx.mjs diagnose ${join(dir, 'a-smb2-echo-timeout.pcapng')}\n`);
process.exitCode = d === 2 || c === 2 ? 2 : 0;
