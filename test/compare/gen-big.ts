// Generates the million-packet capture pair used to measure `pcapdx compare` (docs/compare.md,
// "Streaming and bounds"): NAT, a sequence offset, B's clock 12.5 s ahead with 20 ppm drift, 0.1%
// loss each way. Not a test. Run:
//   npx tsx test/compare/gen-big.ts /tmp/cmp-big      (writes a.pcap and b.pcapng there)
//   /usr/bin/time -f '%e s %M KiB' node dist/pcapdx.js compare /tmp/cmp-big/a.pcap /tmp/cmp-big/b.pcapng
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatePair } from './twopoint.js';

const dir = process.argv[2] ?? '/tmp/cmp-big';
mkdirSync(dir, { recursive: true });
const g = generatePair(join(dir, 'a.pcap'), join(dir, 'b.pcapng'), {
  seed: 42, connections: 11_000, concurrent: 100, exchanges: 20, responseSegments: 4, udpPairs: 400, icmpEchoes: 100,
  gapNs: 10_000, nat: true, seqDelta: 0x12345678, offsetNs: 12.5e9, driftPpm: 20, lossAb: 0.001, lossBa: 0.001, truth: false,
});
process.stdout.write(`A ${g.framesA} frames, B ${g.framesB} frames in ${dir}\n`);
