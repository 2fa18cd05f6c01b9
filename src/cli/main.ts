// The pcapdx command line.
import { Command, Option } from 'commander';
import { Output } from './output.js';
import { describeError } from './common.js';
import { infoCommand } from './info.js';
import { flowsCommand } from './flows.js';
import { exchangesCommand, srtCommand } from './exchanges.js';
import { diagnoseCommand, parseSeverity } from './diagnose.js';
import { compareCommand } from './compare.js';
import type { Severity } from '../diagnose/finding.js';
import { packetsCommand, tcpAnnotator, type TimeFormat } from './packets.js';

const program = new Command();
program
  .name('pcapdx')
  .description('Reads packet captures and explains what went wrong on the wire.')
  .version('0.1.0')
  .showHelpAfterError();

async function run(action: (out: Output) => Promise<number>): Promise<void> {
  const out = new Output();
  try {
    const code = await action(out);
    await out.end();
    process.exitCode = code;
  } catch (e) {
    await out.end();
    process.stderr.write(describeError(e) + '\n');
    process.exitCode = 2;
  }
}

program
  .command('diagnose')
  .description('explain what went wrong: findings ranked by severity, with the frames that prove them')
  .argument('<files...>', "capture files (each analysed on its own); '-' reads standard input")
  .option('--json', 'the pcapdx.diagnosis/1 JSON document')
  .option('--fail-on <severity>', 'exit 1 when a finding is at least this severe (critical, error, warning, info)', parseSeverity)
  .option('--no-color', 'no ANSI colours (also when NO_COLOR is set or stdout is not a terminal)')
  .option('--html <file>', 'also write a self-contained HTML report with ladder diagrams and plots (opens offline)')
  .option('-q, --quiet', 'no progress line on stderr')
  .action((files: string[], o: { json?: boolean; failOn?: Severity; color: boolean; html?: string; quiet?: boolean }) =>
    run((out) => diagnoseCommand(files, {
      json: !!o.json, failOn: o.failOn ?? null, color: o.color && !!process.stdout.isTTY && !process.env.NO_COLOR,
      html: o.html ?? null, quiet: !!o.quiet,
    }, out)));

program
  .command('compare')
  .description('was it the network? match two captures of the same traffic packet by packet: loss, injection, changes, reordering, one-way delay')
  .argument('<a>', 'capture taken at one point (e.g. the client)')
  .argument('<b>', 'capture of the same traffic taken at another point (e.g. the server)')
  .option('--json', 'the pcapdx.compare/1 JSON document')
  .option('--window <seconds>', 'matching window in seconds', (v) => Number(v), 2)
  .option('--html <file>', 'also write a self-contained HTML report: the two captures side by side, the one-way delay plot (opens offline)')
  .option('-q, --quiet', 'no status line on stderr')
  .action((a: string, b: string, o: { json?: boolean; window: number; html?: string; quiet?: boolean }) =>
    run((out) => compareCommand(a, b, { json: !!o.json, window: o.window, html: o.html ?? null, quiet: !!o.quiet }, out)));

program
  .command('info')
  .description('what is in a capture: format, interfaces, frames, time span, damage (like capinfos)')
  .argument('<files...>', "capture files (pcap, pcapng, optionally gzip-compressed); '-' reads standard input")
  .option('--json', 'one JSON object per file')
  .option('--no-decode', 'walk the container only (no header decoding)')
  .action((files: string[], o: { json?: boolean; decode: boolean }) =>
    run((out) => infoCommand(files, { json: !!o.json, decode: o.decode }, out)));

program
  .command('packets')
  .description('one line per frame: time, addresses, ports, flags, seq, ack, length, TCP analysis labels')
  .argument('<file>', "capture file; '-' reads standard input (e.g. tcpdump -w - | pcapdx packets -)")
  .option('--json', 'NDJSON, one object per frame')
  .addOption(new Option('--time <format>', 'time column').choices(['relative', 'epoch', 'delta']).default('relative'))
  .option('--limit <n>', 'stop after n frames', (v) => parseInt(v, 10), 0)
  .action((file: string, o: { json?: boolean; time: TimeFormat; limit: number }) =>
    run((out) => packetsCommand(file, { json: !!o.json, time: o.time, limit: o.limit }, out, tcpAnnotator())));

program
  .command('flows')
  .description('TCP connections: endpoints, opener, handshake RTT, history, state, packets and bytes each way')
  .argument('<files...>', "capture files; '-' reads standard input")
  .option('--json', 'NDJSON, one object per connection')
  .action((files: string[], o: { json?: boolean }) =>
    run((out) => flowsCommand(files, { json: !!o.json }, (s) => out.line(s), out.bytes)));

program
  .command('exchanges')
  .description('SMB2 and ONC RPC (NFS, NLM, portmap) request/response pairs: command, frames, latency, status, arguments')
  .argument('<files...>', "capture files; '-' reads standard input")
  .option('--json', 'NDJSON, one object per exchange')
  .action((files: string[], o: { json?: boolean }) => run((out) => exchangesCommand(files, { json: !!o.json }, out)));

program
  .command('srt')
  .description('service response times per protocol and command (count, min, median, p99, max), like tshark -z smb2,srt / rpc,srt')
  .argument('<files...>', "capture files; '-' reads standard input")
  .option('--json', 'one JSON document')
  .action((files: string[], o: { json?: boolean }) => run((out) => srtCommand(files, { json: !!o.json }, out)));

await program.parseAsync(process.argv);
