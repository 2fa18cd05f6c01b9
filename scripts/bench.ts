// pcapdx against tshark on generated captures (scripts/gen-bench.ts), in one run on one machine:
//   read:     pcapdx info FILE            vs  tshark -r FILE -q  (and capinfos FILE)
//   analysis: pcapdx flows FILE --json    vs  tshark with TCP sequence analysis, printing the
//             (and packets --json)            analysis flags and ack_rtt of every frame
// Each child runs under GNU time for wall time and peak memory (max RSS). Output goes to
// /dev/null. Results: a table on stdout and bench-data/results.json.
// `--micro` times pcapdx's reader in-process instead: walking record headers only, delivering
// frames, and delivering + decoding every frame.
//
// Usage: npx tsx scripts/bench.ts [--quick] [--only short|bulk] [--micro] [--skip-tshark]

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBenchFiles, type BenchFile } from './gen-bench.js';

const CLI = resolve('dist/pcapdx.mjs');
const GNU_TIME = '/usr/bin/time';

interface Row {
  file: string;
  task: 'read' | 'analysis' | 'micro';
  tool: string;
  command: string;
  status: 'ok' | 'unavailable' | 'failed';
  note?: string;
  wallS?: number;
  packetsPerS?: number;
  maxRssMB?: number;
  /** pcapdx / tshark for the same file and task (time and memory) */
  timeRatio?: number;
  rssRatio?: number;
}

interface Measured { code: number; wallS: number; maxRssMB: number | null; stderr: string }

function haveGnuTime(): boolean {
  const r = spawnSync(GNU_TIME, ['-f', '%e %M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+(\.\d+)? \d+\s*$/m.test(r.stderr);
}

/** Runs argv with stdout to /dev/null under GNU time (when present); wall time and max RSS. */
function measure(argv: string[], useTime: boolean): Measured {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-bench-'));
  try {
    const timeFile = join(dir, 'time');
    const cmd = useTime ? [GNU_TIME, '-f', '%e %M', '-o', timeFile, ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    let maxRssMB: number | null = null;
    if (useTime && existsSync(timeFile)) {
      const m = /(\d+(?:\.\d+)?) (\d+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
      if (m) maxRssMB = Number(m[2]) / 1024; // GNU time %M is in KiB
    }
    return { code: r.status ?? -1, wallS: wall, maxRssMB, stderr: r.stderr ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function commandsFor(f: BenchFile): { task: Row['task']; tool: string; argv: string[]; reference?: boolean }[] {
  const tsharkAnalysis = ['tshark', '-r', f.path, '-o', 'tcp.analyze_sequence_numbers:TRUE', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.analysis.flags', '-e', 'tcp.analysis.ack_rtt'];
  return [
    { task: 'read', tool: 'pcapdx info', argv: ['node', CLI, 'info', f.path] },
    { task: 'read', tool: 'tshark -q', argv: ['tshark', '-r', f.path, '-q'], reference: true },
    { task: 'read', tool: 'capinfos', argv: ['capinfos', f.path] },
    { task: 'analysis', tool: 'pcapdx flows --json', argv: ['node', CLI, 'flows', f.path, '--json'] },
    { task: 'analysis', tool: 'pcapdx packets --json', argv: ['node', CLI, 'packets', f.path, '--json'] },
    { task: 'analysis', tool: 'tshark tcp analysis', argv: tsharkAnalysis, reference: true },
  ];
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function runChildren(files: BenchFile[], skipTshark: boolean, useTime: boolean): Row[] {
  const rows: Row[] = [];
  for (const f of files) {
    for (const c of commandsFor(f)) {
      const row: Row = { file: f.name, task: c.task, tool: c.tool, command: c.argv.join(' '), status: 'ok' };
      rows.push(row);
      if (c.argv[0] !== 'node' && (skipTshark || !which(c.argv[0]))) {
        row.status = 'unavailable';
        row.note = skipTshark ? 'skipped' : `${c.argv[0]} not installed`;
        continue;
      }
      process.stderr.write(`  ${f.name}: ${c.tool} ...`);
      const m = measure(c.argv, useTime);
      if (m.code !== 0) {
        // a command the CLI does not have yet is reported, not fatal
        const missing = /unknown command|unknown option/i.test(m.stderr);
        row.status = missing ? 'unavailable' : 'failed';
        row.note = missing ? 'not in this build of pcapdx' : `exit ${m.code}: ${m.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
        process.stderr.write(` ${row.status}\n`);
        continue;
      }
      row.wallS = m.wallS;
      row.packetsPerS = f.packets / m.wallS;
      if (m.maxRssMB !== null) row.maxRssMB = m.maxRssMB;
      process.stderr.write(` ${m.wallS.toFixed(2)} s\n`);
    }
    // ratios against the tshark row of the same task
    for (const task of ['read', 'analysis'] as const) {
      const ref = rows.find((r) => r.file === f.name && r.task === task && r.status === 'ok' && r.tool.startsWith('tshark'));
      if (!ref?.wallS) continue;
      for (const r of rows) {
        if (r.file !== f.name || r.task !== task || r.status !== 'ok' || !r.tool.startsWith('pcapdx') || !r.wallS) continue;
        r.timeRatio = r.wallS / ref.wallS;
        if (r.maxRssMB !== undefined && ref.maxRssMB) r.rssRatio = r.maxRssMB / ref.maxRssMB;
      }
    }
  }
  return rows;
}

// ------------------------------------------------------------------ micro mode (in-process)

/** Baseline: the fastest loop over a classic pcap file, reading 4 MiB blocks and hopping from
 *  record header to record header (what any reader must at least do). */
function walkPcapHeaders(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let carry = 0;
  let pos = 24; // skip the file header (the bench files are little-endian pcap)
  let frames = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, carry, buf.length - carry, null);
      const end = carry + n;
      if (n === 0) break;
      while (pos + 16 <= end) {
        const caplen = buf.readUInt32LE(pos + 8);
        if (pos + 16 + caplen > end) break;
        pos += 16 + caplen;
        frames++;
      }
      // keep the partial record at the front
      buf.copy(buf, 0, pos, end);
      carry = end - pos;
      pos = 0;
    }
  } finally {
    closeSync(fd);
  }
  return frames;
}

async function micro(files: BenchFile[]): Promise<Row[]> {
  // imported here so the child-process benchmark does not depend on the sources compiling
  const { readCapture } = await import('../src/capture/open.js');
  const { decodeFrame } = await import('../src/wire/decode.js');
  const { newPacket } = await import('../src/wire/packet.js');
  const rows: Row[] = [];
  const time = async (fn: () => Promise<number> | number): Promise<[number, number]> => {
    const t0 = process.hrtime.bigint();
    const n = await fn();
    return [n, Number(process.hrtime.bigint() - t0) / 1e9];
  };
  for (const f of files) {
    const pkt = newPacket();
    let sink = 0;
    const cases: [string, () => Promise<number> | number][] = [
      ['walk record headers (baseline loop)', () => walkPcapHeaders(f.path)],
      ['readCapture, frames only', async () => (await readCapture(f.path, (fr) => (sink += fr.caplen))).frames],
      ['readCapture + decodeFrame', async () => (await readCapture(f.path, (fr) => {
        decodeFrame(fr, pkt);
        sink += pkt.payloadLength;
      })).frames],
    ];
    for (const [tool, fn] of cases) {
      await time(fn); // warm: JIT and page cache
      const [n, s] = await time(fn);
      rows.push({ file: f.name, task: 'micro', tool, command: 'in-process', status: 'ok', wallS: s, packetsPerS: n / s });
      process.stderr.write(`  ${f.name}: ${tool}: ${(n / s / 1e6).toFixed(2)} M packets/s\n`);
    }
    void sink;
  }
  return rows;
}

// ------------------------------------------------------------------ output

function table(rows: Row[], files: BenchFile[]): string {
  const head = ['file', 'task', 'tool', 'wall s', 'Mpkt/s', 'max RSS MB', 'time ratio', 'RSS ratio', 'note'];
  const body = rows.map((r) => [
    r.file, r.task, r.tool,
    r.wallS !== undefined ? r.wallS.toFixed(2) : '-',
    r.packetsPerS !== undefined ? (r.packetsPerS / 1e6).toFixed(2) : '-',
    r.maxRssMB !== undefined ? r.maxRssMB.toFixed(0) : '-',
    r.timeRatio !== undefined ? r.timeRatio.toFixed(2) : '',
    r.rssRatio !== undefined ? r.rssRatio.toFixed(2) : '',
    r.status === 'ok' ? '' : `${r.status}${r.note ? ': ' + r.note : ''}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = files.map((f) => `${f.name}: ${f.description}; ${f.packets.toLocaleString('en')} packets, ${(f.bytes / 1e6).toFixed(0)} MB`);
  return [...lines, '', fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt),
    '', 'ratios are pcapdx / tshark for the same file and task (below 1: pcapdx is faster or smaller)'].join('\n');
}

function machine(): Record<string, string | number> {
  const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  return {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGB: Math.round(totalmem() / 2 ** 30),
    node: process.version, tshark: (tshark.stdout ?? '').split('\n')[0] ?? 'absent',
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? args[oi + 1] : null;
  const files = ensureBenchFiles({ quick, only });
  let rows: Row[];
  if (args.includes('--micro')) rows = await micro(files);
  else {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
    const srcNewer = statSync(resolve('src/cli/main.ts')).mtimeMs > statSync(CLI).mtimeMs;
    if (srcNewer) process.stderr.write('note: dist/pcapdx.mjs is older than src/cli/main.ts; rebuild with node scripts/build.mjs\n');
    const useTime = haveGnuTime();
    if (!useTime) process.stderr.write(`note: GNU time (${GNU_TIME}, Debian package "time") not found: peak memory is not measured\n`);
    rows = runChildren(files, args.includes('--skip-tshark'), useTime);
  }
  const out = table(rows, files);
  console.log(out);
  const resultsPath = resolve(args.includes('--micro') ? 'bench-data/results-micro.json' : 'bench-data/results.json');
  writeFileSync(resultsPath, JSON.stringify({ date: new Date().toISOString(), machine: machine(), quick, files, rows }, null, 2) + '\n');
  process.stderr.write(`results written to ${resultsPath}\n`);
}

await main();
