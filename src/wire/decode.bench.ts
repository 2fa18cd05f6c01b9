// Throughput of decodeFrame on real Ethernet/IPv4/TCP frames, decoded over and over:
//   node --import tsx src/wire/decode.bench.ts [capture relative to the corpus] [frames]
import type { Frame } from '../capture/types.js';
import { decodeFrame } from './decode.js';
import { corpusFrames } from './testkit.js';
import { newPacket } from './packet.js';

const rel = process.argv[2] ?? 'tcp/ssh-dupacks-fast-retrans.pcap';
const total = Number(process.argv[3] ?? 20_000_000);
const frames: Frame[] = (await corpusFrames(rel, Number(process.argv[4] ?? 4096))).filter((f) => f.linkType === 1);
if (frames.length === 0) throw new Error(`${rel}: no Ethernet frames`);
const pkt = newPacket();
let sink = 0;
const run = (n: number): number => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    decodeFrame(frames[i % frames.length], pkt);
    sink += pkt.seq & 1;
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
run(Math.min(total, 2_000_000)); // warm-up
const secs = run(total);
console.log(`${rel}: ${frames.length} distinct frames, ${total} decodes in ${secs.toFixed(2)} s = ` +
  `${(total / secs / 1e6).toFixed(1)} M frames/s (${sink & 1})`);
