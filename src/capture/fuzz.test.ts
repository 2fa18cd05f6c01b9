// Property: whatever bytes the readers are given - random, or real captures with bytes flipped,
// lengths rewritten and cuts anywhere - they return (or reject with CaptureOpenError for input
// that is not a capture at all), never throw anything else, and always terminate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CaptureOpenError } from './open.js';
import { readAll, pcapFile, concat, shb, idb } from './build.test-util.js';
import { corpusDir } from '../../test/corpus.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket } from '../wire/packet.js';
import { uniform } from '../../test/synth/rng.js';


async function survives(bytes: Uint8Array, label: string): Promise<void> {
  try {
    await readAll(bytes, 4096);
  } catch (e) {
    if (!(e instanceof CaptureOpenError)) assert.fail(`${label}: threw ${(e as Error).stack}`);
  }
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice(0, Math.max(1, Math.floor(src.length * (0.2 + 0.8 * r()))));
  const flips = 1 + Math.floor(r() * 12);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(r() * b.length);
    const kind = r();
    if (kind < 0.6) b[at] = Math.floor(r() * 256);
    else if (kind < 0.8) b[at] = 0xff; // absurd lengths
    else if (at + 4 <= b.length) b.set([0, 0, 0, 0], at); // zero lengths
  }
  return b;
}

test('random bytes after a valid pcap or pcapng header never throw and always end', async () => {
  const r = uniform(0xc0ffee);
  const pcapHead = pcapFile({}, []);
  const ngHead = concat([shb(true), idb(true)]);
  for (let i = 0; i < 600; i++) {
    const body = Uint8Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256));
    await survives(concat([i % 2 ? pcapHead : ngHead, body]), `random ${i}`);
    await survives(body, `bare random ${i}`);
  }
});

test('mutated real captures never throw and always end; decoding their frames never throws', async () => {
  const dir = corpusDir();
  const r = uniform(42);
  const samples = ['tcp/dupack-fast-retrans.pcapng', 'formats/pcapng-two-interfaces-usec-nsec.pcapng', 'formats/pcap-big-endian.pcap',
    'formats/vlan-qinqinq-tcp.pcap', 'icmp/icmp6-destunreach-udp-single.pcap', 'smb/smb2-many-open-files-500.pcap.gz', 'formats/nflog-tcp-http.pcap'];
  const pkt = newPacket();
  for (const rel of samples) {
    let src: Uint8Array = readFileSync(join(dir, rel));
    if (rel.endsWith('.gz')) src = gunzipSync(src);
    src = src.subarray(0, 64 * 1024);
    for (let i = 0; i < 60; i++) {
      const b = mutate(src, r);
      try {
        const { frames } = await readAll(b, 1 + Math.floor(r() * 9000));
        void frames;
      } catch (e) {
        if (!(e instanceof CaptureOpenError)) assert.fail(`${rel} mutation ${i}: ${(e as Error).stack}`);
      }
    }
  }
  // the decoder on mutated frames of every link type in the samples
  for (let i = 0; i < 2000; i++) {
    const data = Uint8Array.from({ length: Math.floor(r() * 120) }, () => Math.floor(r() * 256));
    const linkType = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 182][i % 12];
    decodeFrame({ number: i + 1, tsSec: 0, tsNsec: 0, tsDigits: 6, caplen: data.length, origlen: data.length + (i % 3) * 10, linkType, iface: 0, data, buf: data, start: 0, offset: 0, filePos: -1 }, pkt);
  }
});
