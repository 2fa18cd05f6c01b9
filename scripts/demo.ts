// `npm run demo`: writes a few sample captures with pcapdx's synthesiser (test/synth) into
// demo-output/ and runs pcapdx on them, so a newcomer sees it work before having a capture of
// their own. (The incident demo with the diagnosis and HTML report grows from here.)

import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PcapWriter } from '../test/synth/pcap-writer.js';
import { PcapngWriter } from '../test/synth/pcapng-writer.js';
import { MS, TcpConversation, type SynthFrame } from '../test/synth/tcp-conversation.js';

const outDir = resolve('demo-output');
mkdirSync(outDir, { recursive: true });
const cli = resolve('dist/pcapdx.mjs');

function writePcap(name: string, frames: SynthFrame[]): string {
  const file = join(outDir, name);
  const w = new PcapWriter(file, { linkType: frames[0].linkType, nanos: true });
  for (const f of frames) w.write(f.tsSec, f.tsNsec, f.data, f.origLen);
  w.close();
  return file;
}

function writePcapng(name: string, frames: SynthFrame[]): string {
  const file = join(outDir, name);
  const w = new PcapngWriter(file);
  const id = w.iface({ linkType: frames[0].linkType, tsresol: 9 });
  for (const f of frames) w.packet(id, f.tsSec, f.tsNsec, f.data, f.origLen, f.comment);
  w.close();
  return file;
}

const client = { ip: '10.1.0.1', port: 43210 };
const server = { ip: '10.2.0.2', port: 445 };
const samples = [
  writePcapng('healthy-transfer.pcapng', new TcpConversation({ seed: 1, client, server }).connect().send('client', 400).send('server', 64 * 1024).close('client').finish()),
  writePcap('lossy-transfer.pcap', new TcpConversation({ seed: 2, client: { ...client, port: 43211 }, server })
    .connect().send('client', 300).send('server', 40 * 1448, { lose: [5, 17] }).send('server', 8 * 1448, { lose: [7] }).close('server').finish()),
  writePcap('idle-keepalives.pcap', new TcpConversation({ seed: 3, client: { ip: 'fd00::1', port: 50000 }, server: { ip: 'fd00::2', port: 2049 } })
    .connect().send('client', 200).send('server', 200).idle(75_000 * MS).keepAlive('client', 'linux').idle(75_000 * MS)
    .keepAlive('server', 'windows').idle(1000 * MS).close('client').finish()),
];

function show(title: string, args: string[], filter?: (l: string) => boolean): void {
  console.log(`\n$ pcapdx ${args.map((a) => a.replace(outDir + '/', 'demo-output/')).join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const lines = r.stdout.trimEnd().split('\n');
  console.log((filter ? lines.filter(filter) : lines).join('\n'));
  if (r.status !== 0) console.log(`(exit ${r.status}) ${r.stderr}`);
}

console.log(`pcapdx demo: sample captures written to ${outDir}`);
show('what is in a capture', ['info', samples[1]]);
show('TCP connections', ['flows', ...samples]);
show('frames with TCP analysis labels only', ['packets', samples[1]], (l) => l.includes('<'));
show('keep-alives on an idle IPv6 connection', ['packets', samples[2]], (l) => l.includes('keep_alive'));
console.log(`\nTry it on your own capture: node dist/pcapdx.mjs packets FILE | less`);
