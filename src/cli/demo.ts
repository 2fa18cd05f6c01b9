// `pcapdx demo`: writes a small set of sample captures, one per incident of INCIDENTS.md (A-D),
// a healthy one, and a pair of captures of the same traffic at two points (E); diagnoses them,
// prints the terminal report, writes the HTML reports (report.html for the diagnosis,
// compare.html for E) and says where everything is. The captures come from pcapdx's own
// synthesiser (realistic TCP arithmetic, byte-correct SMB2 and ONC RPC), so a newcomer sees
// pcapdx work before having a capture of their own.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateIncidentA, generateIncidentB, generateIncidentC, generateIncidentD, generateHealthySmb } from '../../test/incidents/index.js';
import { DEFAULTS, generatePair } from '../../test/compare/twopoint.js';
import { analyseFiles } from './diagnose.js';
import { buildReport } from '../report/model.js';
import { renderTerminal } from '../report/terminal.js';
import { writeHtmlReport } from '../report/html/write.js';
import { compareCommand } from './compare.js';
import { Output } from './output.js';

export interface DemoOptions { dir: string; color: boolean; html: boolean }

export interface DemoCaptures { diagnose: { file: string; what: string }[]; compare: { a: string; b: string; what: string } }

/** Writes the sample captures into `dir` (deterministic: the same bytes on every run). */
export function writeDemoCaptures(dir: string): DemoCaptures {
  mkdirSync(dir, { recursive: true });
  const p = (n: string): string => join(dir, n);
  generateIncidentA({ path: p('a-smb2-echo-timeout.pcapng'), seed: 7, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 100 } }, format: 'pcapng' });
  generateIncidentB({ path: p('b-nlm-reconnect-syn-burst.pcap'), seed: 2, mode: 'firewall', burst: 3, format: 'pcap' });
  generateIncidentC({ path: p('c-nfs-write-retransmission.pcap'), seed: 3, variant: 'new-connection', format: 'pcap' });
  generateIncidentD({ path: p('d-connect-latency-spikes.pcap'), seed: 4, format: 'pcap' });
  generateHealthySmb({ path: p('healthy-smb2.pcap'), seed: 5, format: 'pcap' });
  generatePair(p('e-client-side.pcap'), p('e-server-side.pcapng'), {
    ...DEFAULTS, seed: 6, connections: 40, concurrent: 8, lossAb: 0.01, lossBa: 0, injectRstIn: [], offsetNs: 250_000_000, truth: false,
  });
  return {
    diagnose: [
      { file: p('a-smb2-echo-timeout.pcapng'), what: 'A: SMB2 heartbeat suppressed, client gives up at 2 x echo interval' },
      { file: p('b-nlm-reconnect-syn-burst.pcap'), what: "B: reconnect SYN burst from one port, the client's firewall rejects the answer" },
      { file: p('c-nfs-write-retransmission.pcap'), what: 'C: NFS WRITE re-sent with the same XID but different data' },
      { file: p('d-connect-latency-spikes.pcap'), what: 'D: SYN answered by a challenge ACK, one-second connect spikes' },
      { file: p('healthy-smb2.pcap'), what: 'healthy SMB2 session (nothing should be reported above info)' },
    ],
    compare: { a: p('e-client-side.pcap'), b: p('e-server-side.pcapng'), what: 'E: the same traffic captured at both ends, 1% lost client to server' },
  };
}

export async function demoCommand(opts: DemoOptions, out: Output): Promise<number> {
  const dir = resolve(opts.dir);
  out.line(`pcapdx demo: writing sample captures to ${dir}`);
  const caps = writeDemoCaptures(dir);
  for (const c of caps.diagnose) out.line(`  ${c.file.slice(dir.length + 1).padEnd(34)} ${c.what}`);
  out.line(`  ${'e-client-side.pcap + e-server-side.pcapng'.padEnd(34)} ${caps.compare.what}`);
  out.line('');
  out.line(`$ pcapdx diagnose ${caps.diagnose.map((c) => c.file.slice(dir.length + 1)).join(' ')}`);
  const files = caps.diagnose.map((c) => c.file);
  const traces = await analyseFiles(files, out.drain);
  const model = buildReport(traces);
  out.write(renderTerminal(model, { color: opts.color, width: Math.min(process.stdout.columns || 100, 120) }));
  out.line('');
  out.line(`$ pcapdx compare e-client-side.pcap e-server-side.pcapng`);
  const compareHtml = join(dir, 'compare.html');
  await compareCommand(caps.compare.a, caps.compare.b, { json: false, html: opts.html ? compareHtml : null, quiet: true }, out);
  if (opts.html) {
    const html = join(dir, 'report.html');
    const { bytes } = await writeHtmlReport(html, traces, model, {});
    out.line('');
    out.line(`HTML report of the diagnosis: ${html} (${(bytes / 1024).toFixed(0)} KiB); open it in a browser.`);
    out.line(`HTML report of the comparison (E, the two captures side by side): ${compareHtml}`);
  }
  out.line(`Sample captures are in ${dir}: try  node dist/pcapdx.mjs diagnose ${join(dir, 'a-smb2-echo-timeout.pcapng')}`);
  return 0;
}
