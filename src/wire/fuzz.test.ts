// Property test: decodeFrame never throws and always returns, whatever the bytes, and what it
// fills stays within the frame. Seeded, so a failure names a case that reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../capture/types.js';
import { decodeFrame } from './decode.js';
import { corpusFrames, makeFrame, makeFrameAt } from './testkit.js';
import { newPacket, type Packet } from './packet.js';
import { uniform } from '../../test/synth/rng.js';

const SEED = 0x5eed1234;
const RANDOM_CASES = 20_000;
const MUTATIONS_PER_FRAME = 40;
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276];


function checkInvariants(p: Packet, f: Frame, label: string): void {
  const cap = f.caplen;
  if (p.l3Offset !== -1) assert.ok(p.l3Offset >= 0 && p.l3Offset <= cap, `${label}: l3Offset ${p.l3Offset}`);
  if (p.l4Offset !== -1) assert.ok(p.l4Offset >= 0 && p.l4Offset <= cap, `${label}: l4Offset ${p.l4Offset}`);
  assert.ok(p.payloadCaptured >= 0 && p.payloadCaptured <= Math.max(p.payloadLength, 0), `${label}: payloadCaptured`);
  if (p.payloadCaptured > 0) assert.ok(p.payloadOffset + p.payloadCaptured <= cap, `${label}: payload past the capture`);
  assert.ok(p.vlanDepth >= 0 && p.sackCount >= 0 && p.sackCount <= 4, `${label}: counts`);
  assert.equal(p.issue === null, p.issueKind === null, `${label}: issue and kind together`);
  if (p.tcpValid) assert.ok(p.tcpHeaderLength >= 20 && p.tcpHeaderLength <= 60, `${label}: tcp header length`);
}

test('random bytes of random lengths and link types: never throws, stays in bounds', { timeout: 20_000 }, () => {
  const rnd = uniform(SEED);
  const pkt = newPacket();
  const buf = new Uint8Array(256);
  for (let i = 0; i < RANDOM_CASES; i++) {
    const len = Math.floor(rnd() * buf.length);
    for (let j = 0; j < len; j++) buf[j] = (rnd() * 256) | 0;
    // bias towards plausible starts so the deeper layers get exercised too
    if (len > 14 && rnd() < 0.5) {
      buf[12] = 0x08;
      buf[13] = 0x00;
      buf[14] = 0x45;
    }
    const lt = rnd() < 0.9 ? LINK_TYPES[Math.floor(rnd() * LINK_TYPES.length)] : Math.floor(rnd() * 400) - 10;
    const origlen = rnd() < 0.3 ? len + Math.floor(rnd() * 2000) : len;
    const f = makeFrame(buf.subarray(0, len), lt, origlen, i + 1);
    try {
      decodeFrame(f, pkt);
    } catch (e) {
      assert.fail(`case ${i} (seed ${SEED}) threw: ${(e as Error).message}`);
    }
    checkInvariants(pkt, f, `case ${i} (seed ${SEED})`);
  }
});

test('mutated and cut copies of real frames: never throws, stays in bounds', { timeout: 20_000 }, async () => {
  const sources = [
    'tcp/keepalive-0byte-vlan.pcap', 'formats/vlan-mpls-mixed-tcp.pcap', 'formats/nflog-tcp-http.pcap',
    'formats/sll2-tcp-http.pcap', 'formats/pcap-nsec-sll-handshake.pcap', 'formats/ipv6-http-atomic-frag.pcap',
    'formats/ipv6-mixed.pcap', 'icmp/icmp-destunreach-udp-single.pcap', 'icmp/afs-udp-port-unreachable.pcap',
    'smb/smb2-echo-macos-dlt-null.pcap', 'tcp/keepalive-0byte-sack-rawip.pcap', 'nfs-rpc/nfsv3-ipv6-tcp-loss-tail.pcap',
  ];
  const rnd = uniform(SEED ^ 0xabcdef);
  const pkt = newPacket();
  const other = newPacket();
  let cases = 0;
  for (const rel of sources) {
    const frames = await corpusFrames(rel, 40);
    assert.ok(frames.length > 0, `${rel} has frames`);
    for (const f of frames) {
      const copy = new Uint8Array(f.caplen);
      for (let m = 0; m < MUTATIONS_PER_FRAME; m++) {
        copy.set(f.data.subarray(0, f.caplen));
        // headers live in the first ~120 bytes: flip bytes there mostly
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) {
          const at = Math.floor(rnd() * Math.min(copy.length, 120));
          copy[at] = rnd() < 0.5 ? (rnd() * 256) | 0 : copy[at] ^ (1 << Math.floor(rnd() * 8));
        }
        const len = rnd() < 0.5 ? Math.floor(rnd() * (copy.length + 1)) : copy.length;
        const mf = makeFrame(copy.subarray(0, len), f.linkType, f.origlen, f.number);
        const label = `${rel} frame ${f.number} mutation ${m}`;
        try {
          decodeFrame(mf, pkt);
        } catch (e) {
          assert.fail(`${label} threw: ${(e as Error).message}`);
        }
        checkInvariants(pkt, mf, label);
        // the same bytes inside a larger buffer, as the reader delivers them: the same result,
        // offsets relative to the frame, nothing read past caplen (the buffer goes on with junk)
        if (m % 4 === 0) {
          decodeFrame(makeFrameAt(copy.subarray(0, len), f.linkType, 1 + (m % 61), f.origlen), other);
          // vlans / sack are valid up to vlanDepth / sackCount only (not cleared per frame)
          const valid = (p: Packet, k: keyof Packet): unknown =>
            k === 'vlans' ? [...p.vlans.subarray(0, p.vlanDepth)] : k === 'sack' ? [...p.sack.subarray(0, p.sackCount * 2)] : p[k];
          const differ = (Object.keys(pkt) as (keyof Packet)[])
            .filter((k) => JSON.stringify(valid(pkt, k)) !== JSON.stringify(valid(other, k)))
            .map((k) => `${k}: ${JSON.stringify(valid(pkt, k))} vs ${JSON.stringify(valid(other, k))}`);
          assert.deepEqual(differ, [], `${label} at an offset`);
        }
        cases++;
      }
    }
  }
  assert.ok(cases > 10_000, `only ${cases} mutated cases`);
});
