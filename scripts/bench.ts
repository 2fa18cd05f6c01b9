// pcapdx against tshark on generated captures (scripts/gen-bench.ts), in one run on one machine:
//   read:     pcapdx info FILE            vs  tshark -r FILE -q  (and capinfos FILE)
//   analysis: pcapdx flows FILE --json    vs  tshark with TCP sequence analysis, printing the
//             (and packets --json)            analysis flags and ack_rtt of every frame
//   protocols (the smb2 and nfs files only):
//             pcapdx flows FILE --json       TCP analysis only: the baseline for the overhead
//             pcapdx exchanges FILE --json   TCP analysis + SMB2/RPC decoding, every exchange printed
//             pcapdx srt FILE --json         the same decoding, response-time table only
//             vs  tshark -r FILE -q -z smb2,srt | rpc,srt,100003,3, with default preferences and
//             with tcp.reassemble_out_of_order:TRUE (the reference: without it tshark 4.0 loses
//             messages whose segments arrive out of order)
//             and the SRT call counts of pcapdx and tshark are checked against each other and
//             against what the generator sent.
// Each child runs under GNU time for wall time and peak memory (max RSS). Output goes to
// /dev/null. `--repeat N` runs every command N times and keeps the fastest run (the machine may
// be shared: the minimum is the least disturbed measurement). Results: a table on stdout and bench-data/results.json.
// `--micro` times pcapdx's reader in-process instead: walking record headers only, delivering
// frames, and delivering + decoding every frame.
//
// Usage: npx tsx scripts/bench.ts [--quick] [--only short|bulk|smb2|nfs (or a comma-separated list)] [--micro] [--skip-tshark] [--repeat N]

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBenchFiles, type BenchFile } from './gen-bench.js';
import { OOO_PREF, parseSrt, SRT_ARG, SRT_SERVICE, type SrtWhich } from '../test/synth/app/oracle.js';

const CLI = resolve('dist/pcapdx.mjs');
const GNU_TIME = '/usr/bin/time';
/** GNU time: elapsed s, max RSS KiB, user s, system s */
const TIME_FORMAT = '%e %M %U %S';
const TIME_LINE = /(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/;

interface Row {
  file: string;
  task: 'read' | 'analysis' | 'protocols' | 'micro';
  tool: string;
  command: string;
  status: 'ok' | 'unavailable' | 'failed';
  note?: string;
  /** the tshark row that pcapdx rows of the same file and task are compared with */
  reference?: boolean;
  wallS?: number;
  /** user + system CPU seconds of the child (all its threads): steadier than wall time when the
   *  machine is shared */
  cpuS?: number;
  packetsPerS?: number;
  /** application messages (requests and responses) per second, protocol files only */
  messagesPerS?: number;
  maxRssMB?: number;
  /** protocols task: CPU time (wall time when CPU time is not measured) over that of `pcapdx
   *  flows` on the same file (TCP analysis only) */
  vsTcpOnly?: number;
  /** pcapdx diagnose: CPU time (wall time when CPU time is not measured) over that of the analysis
   *  it adds its rules to: `pcapdx flows` on TCP files, `pcapdx srt` (TCP analysis and the SMB2/RPC
   *  decoding) on the protocol files */
  vsAnalysis?: number;
  cpuRatio?: number;
  /** pcapdx / tshark for the same file and task (time and memory) */
  timeRatio?: number;
  rssRatio?: number;
}

interface Measured { code: number; wallS: number; cpuS: number | null; maxRssMB: number | null; stderr: string; stdout: string }

/** SRT call counts of one file and command from each source (null: not measured) */
interface CountCheck {
  file: string;
  service: string;
  command: number;
  sent: number | null;
  pcapdx: number | null;
  tshark: number | null;
  tsharkDefault: number | null;
}

function haveGnuTime(): boolean {
  const r = spawnSync(GNU_TIME, ['-f', TIME_FORMAT, 'true'], { encoding: 'utf8' });
  return r.status === 0 && TIME_LINE.test(r.stderr);
}

/** Runs argv under GNU time (when present); wall time and max RSS. Stdout goes to /dev/null
 *  unless `keep` (small outputs only: it is held in memory). */
function measure(argv: string[], useTime: boolean, keep = false): Measured {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-bench-'));
  try {
    const timeFile = join(dir, 'time');
    const cmd = useTime ? [GNU_TIME, '-f', TIME_FORMAT, '-o', timeFile, ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', keep ? 'pipe' : 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    let maxRssMB: number | null = null;
    let cpuS: number | null = null;
    if (useTime && existsSync(timeFile)) {
      const m = TIME_LINE.exec(readFileSync(timeFile, 'utf8'));
      if (m) {
        maxRssMB = Number(m[2]) / 1024; // GNU time %M is in KiB
        cpuS = Number(m[3]) + Number(m[4]);
      }
    }
    return { code: r.status ?? -1, wallS: wall, cpuS, maxRssMB, stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Command {
  task: Row['task'];
  tool: string;
  argv: string[];
  reference?: boolean;
  /** stdout parsed for SRT counts */
  srt?: 'pcapdx' | 'tshark' | 'tsharkDefault';
}

/** Which tshark SRT table the application file is checked with. */
const SRT_OF: Record<string, SrtWhich> = { smb2: 'smb2', nfs: 'nfs3' };

function commandsFor(f: BenchFile): Command[] {
  const which = SRT_OF[f.name];
  if (which) {
    const tsharkSrt = ['tshark', '-r', f.path, '-q', '-z', SRT_ARG[which]];
    return [
      { task: 'protocols', tool: 'pcapdx flows --json', argv: ['node', CLI, 'flows', f.path, '--json'] },
      { task: 'protocols', tool: 'pcapdx exchanges --json', argv: ['node', CLI, 'exchanges', f.path, '--json'] },
      { task: 'protocols', tool: 'pcapdx srt --json', argv: ['node', CLI, 'srt', f.path, '--json'], srt: 'pcapdx' },
      { task: 'protocols', tool: 'pcapdx diagnose', argv: ['node', CLI, 'diagnose', f.path, '--quiet'] },
      { task: 'protocols', tool: 'tshark srt', argv: tsharkSrt, srt: 'tsharkDefault' },
      { task: 'protocols', tool: 'tshark srt, out-of-order', argv: [tsharkSrt[0], '-o', OOO_PREF, ...tsharkSrt.slice(1)], reference: true, srt: 'tshark' },
    ];
  }
  const tsharkAnalysis = ['tshark', '-r', f.path, '-o', 'tcp.analyze_sequence_numbers:TRUE', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.analysis.flags', '-e', 'tcp.analysis.ack_rtt'];
  return [
    { task: 'read', tool: 'pcapdx info', argv: ['node', CLI, 'info', f.path] },
    { task: 'read', tool: 'tshark -q', argv: ['tshark', '-r', f.path, '-q'], reference: true },
    { task: 'read', tool: 'capinfos', argv: ['capinfos', f.path] },
    { task: 'analysis', tool: 'pcapdx flows --json', argv: ['node', CLI, 'flows', f.path, '--json'] },
    { task: 'analysis', tool: 'pcapdx packets --json', argv: ['node', CLI, 'packets', f.path, '--json'] },
    // the whole diagnosis (analysis, rules, terminal report): "vs TCP only" is its cost over flows
    { task: 'analysis', tool: 'pcapdx diagnose', argv: ['node', CLI, 'diagnose', f.path, '--quiet'] },
    { task: 'analysis', tool: 'tshark tcp analysis', argv: tsharkAnalysis, reference: true },
  ];
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function runChildren(files: BenchFile[], skipTshark: boolean, useTime: boolean, checks: CountCheck[], repeat: number): Row[] {
  const rows: Row[] = [];
  for (const f of files) {
    const counts: Partial<Record<NonNullable<Command['srt']>, Map<number, number>>> = {};
    for (const c of commandsFor(f)) {
      const row: Row = { file: f.name, task: c.task, tool: c.tool, command: c.argv.join(' '), status: 'ok' };
      if (c.reference) row.reference = true;
      rows.push(row);
      if (c.argv[0] !== 'node' && (skipTshark || !which(c.argv[0]))) {
        row.status = 'unavailable';
        row.note = skipTshark ? 'skipped' : `${c.argv[0]} not installed`;
        continue;
      }
      process.stderr.write(`  ${f.name}: ${c.tool} ...`);
      let m = measure(c.argv, useTime, c.srt !== undefined);
      for (let i = 1; i < repeat && m.code === 0; i++) {
        const again = measure(c.argv, useTime, c.srt !== undefined);
        if (again.code !== 0 || again.wallS < m.wallS) m = again;
      }
      if (m.code !== 0) {
        // a command the CLI does not have yet is reported, not fatal
        const missing = /unknown command|unknown option/i.test(m.stderr);
        row.status = missing ? 'unavailable' : 'failed';
        row.note = missing ? 'not in this build of pcapdx' : `exit ${m.code}: ${m.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
        process.stderr.write(` ${row.status}\n`);
        continue;
      }
      row.wallS = m.wallS;
      if (m.cpuS !== null) row.cpuS = m.cpuS;
      row.packetsPerS = f.packets / m.wallS;
      if (f.messages) row.messagesPerS = f.messages / m.wallS;
      if (m.maxRssMB !== null) row.maxRssMB = m.maxRssMB;
      if (c.srt) counts[c.srt] = c.srt === 'pcapdx' ? pcapdxSrtCounts(m.stdout, SRT_SERVICE[SRT_OF[f.name]]) : parseSrt(m.stdout);
      process.stderr.write(` ${m.wallS.toFixed(2)} s\n`);
    }
    // protocol decoding over TCP analysis alone, on the same file
    const tcpOnly = rows.find((r) => r.file === f.name && (r.task === 'protocols' || r.task === 'analysis') && r.tool === 'pcapdx flows --json' && r.status === 'ok');
    for (const r of rows) {
      if (!tcpOnly?.wallS || r.file !== f.name || !(r.task === 'protocols' || r.tool === 'pcapdx diagnose') || !r.tool.startsWith('pcapdx') || !r.wallS) continue;
      r.vsTcpOnly = r.cpuS && tcpOnly.cpuS ? r.cpuS / tcpOnly.cpuS : r.wallS / tcpOnly.wallS;
    }
    // the diagnosis over the analysis it runs its rules on
    const analysisTool = SRT_OF[f.name] ? 'pcapdx srt --json' : 'pcapdx flows --json';
    const analysis = rows.find((r) => r.file === f.name && r.tool === analysisTool && r.status === 'ok');
    const diagnosis = rows.find((r) => r.file === f.name && r.tool === 'pcapdx diagnose' && r.status === 'ok');
    if (analysis?.wallS && diagnosis?.wallS) {
      diagnosis.vsAnalysis = diagnosis.cpuS && analysis.cpuS ? diagnosis.cpuS / analysis.cpuS : diagnosis.wallS / analysis.wallS;
    }
    if (SRT_OF[f.name]) checks.push(...countChecks(f, counts));
    // ratios against the tshark row of the same task
    for (const task of ['read', 'analysis', 'protocols'] as const) {
      const ref = rows.find((r) => r.file === f.name && r.task === task && r.status === 'ok' && r.reference);
      if (!ref?.wallS) continue;
      for (const r of rows) {
        if (r.file !== f.name || r.task !== task || r.status !== 'ok' || !r.tool.startsWith('pcapdx') || !r.wallS) continue;
        r.timeRatio = r.wallS / ref.wallS;
        if (r.cpuS && ref.cpuS) r.cpuRatio = r.cpuS / ref.cpuS;
        if (r.maxRssMB !== undefined && ref.maxRssMB) r.rssRatio = r.maxRssMB / ref.maxRssMB;
      }
    }
  }
  return rows;
}

/** `pcapdx srt --json` lines of one service: command index -> count. */
function pcapdxSrtCounts(stdout: string, service: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line) as { service: string; index: number; count: number };
    if (r.service === service) out.set(r.index, r.count);
  }
  return out;
}

/** One row per command of the file's SRT table: sent, pcapdx, tshark (both preference sets). */
function countChecks(f: BenchFile, counts: Partial<Record<NonNullable<Command['srt']>, Map<number, number>>>): CountCheck[] {
  const service = SRT_SERVICE[SRT_OF[f.name]];
  const sent = new Map<number, number>();
  for (const [k, n] of Object.entries(f.exchanges ?? {})) {
    const [svc, code] = k.split(' ');
    if (svc === service) sent.set(Number(code), n);
  }
  const commands = new Set<number>([...sent.keys()]);
  for (const m of Object.values(counts)) for (const k of m.keys()) commands.add(k);
  const get = (m: Map<number, number> | undefined, k: number): number | null => (m ? (m.get(k) ?? 0) : null);
  return [...commands].sort((a, b) => a - b).map((command) => ({
    file: f.name, service, command, sent: f.exchanges ? (sent.get(command) ?? 0) : null,
    pcapdx: get(counts.pcapdx, command), tshark: get(counts.tshark, command), tsharkDefault: get(counts.tsharkDefault, command),
  }));
}

function countTable(checks: CountCheck[]): string {
  if (checks.length === 0) return '';
  const v = (x: number | null): string => (x === null ? '-' : String(x));
  const lines = ['SRT call counts (answered requests per command):', '',
    `${'file'.padEnd(6)} ${'service'.padEnd(8)} ${'cmd'.padStart(4)} ${'sent'.padStart(8)} ${'pcapdx'.padStart(8)} ${'tshark'.padStart(8)} ${'tshark default'.padStart(15)}  agree`];
  let bad = 0;
  for (const c of checks) {
    const agree = c.pcapdx !== null && c.pcapdx === c.sent && (c.tshark === null || c.tshark === c.sent);
    if (!agree) bad++;
    lines.push(`${c.file.padEnd(6)} ${c.service.padEnd(8)} ${String(c.command).padStart(4)} ${v(c.sent).padStart(8)} ${v(c.pcapdx).padStart(8)} ${v(c.tshark).padStart(8)} ${v(c.tsharkDefault).padStart(15)}  ${agree ? 'yes' : 'NO'}`);
  }
  lines.push('', bad === 0 ? 'pcapdx srt = tshark srt (out-of-order reassembly) = exchanges sent, for every command'
    : `${bad} command(s) where pcapdx, tshark and the generator disagree`);
  return lines.join('\n');
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
  const head = ['file', 'task', 'tool', 'wall s', 'cpu s', 'Mpkt/s', 'Kmsg/s', 'max RSS MB', 'vs TCP only', 'vs analysis', 'time ratio', 'cpu ratio', 'RSS ratio', 'note'];
  const body = rows.map((r) => [
    r.file, r.task, r.tool,
    r.wallS !== undefined ? r.wallS.toFixed(2) : '-',
    r.cpuS !== undefined ? r.cpuS.toFixed(2) : '-',
    r.packetsPerS !== undefined ? (r.packetsPerS / 1e6).toFixed(2) : '-',
    r.messagesPerS !== undefined ? (r.messagesPerS / 1e3).toFixed(0) : '',
    r.maxRssMB !== undefined ? r.maxRssMB.toFixed(0) : '-',
    r.vsTcpOnly !== undefined ? r.vsTcpOnly.toFixed(2) : '',
    r.vsAnalysis !== undefined ? r.vsAnalysis.toFixed(2) : '',
    r.timeRatio !== undefined ? r.timeRatio.toFixed(2) : '',
    r.cpuRatio !== undefined ? r.cpuRatio.toFixed(2) : '',
    r.rssRatio !== undefined ? r.rssRatio.toFixed(2) : '',
    r.status === 'ok' ? '' : `${r.status}${r.note ? ': ' + r.note : ''}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 12 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = files.map((f) => `${f.name}: ${f.description}; ${f.packets.toLocaleString('en')} packets${f.messages ? `, ${f.messages.toLocaleString('en')} messages` : ''}, ${(f.bytes / 1e6).toFixed(0)} MB`);
  return [...lines, '', fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt),
    '', 'Mpkt/s and Kmsg/s are per wall second. Ratios are pcapdx / tshark for the same file and task (below 1: pcapdx is',
    'faster or smaller); the tshark reference for the protocols task is the out-of-order row. "vs TCP only": CPU time over',
    'that of pcapdx flows on the same file. "vs analysis" (diagnose only): CPU time over that of the analysis it runs',
    'its rules on, pcapdx flows for TCP files and pcapdx srt (TCP analysis and SMB2/RPC decoding) for the protocol files.'].join('\n');
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
  const checks: CountCheck[] = [];
  if (args.includes('--micro')) rows = await micro(files);
  else {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
    const srcNewer = statSync(resolve('src/cli/main.ts')).mtimeMs > statSync(CLI).mtimeMs;
    if (srcNewer) process.stderr.write('note: dist/pcapdx.mjs is older than src/cli/main.ts; rebuild with node scripts/build.mjs\n');
    const useTime = haveGnuTime();
    if (!useTime) process.stderr.write(`note: GNU time (${GNU_TIME}, Debian package "time") not found: peak memory is not measured\n`);
    const ri = args.indexOf('--repeat');
    const repeat = ri >= 0 ? Math.max(1, Number(args[ri + 1]) || 1) : 1;
    rows = runChildren(files, args.includes('--skip-tshark'), useTime, checks, repeat);
  }
  const out = table(rows, files);
  console.log(out);
  if (checks.length) console.log('\n' + countTable(checks));
  const resultsPath = resolve(args.includes('--micro') ? 'bench-data/results-micro.json' : 'bench-data/results.json');
  writeFileSync(resultsPath, JSON.stringify({ date: new Date().toISOString(), machine: machine(), quick, files, rows, srtCounts: checks }, null, 2) + '\n');
  process.stderr.write(`results written to ${resultsPath}\n`);
}

await main();
