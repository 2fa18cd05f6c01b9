// TCP analysis parity: pcapdx's per-segment labels, tcp.stream and ack_rtt against tshark 4.0's
// reference output for every capture of the corpus.
//
// agreement = frames both flag / frames either flags. zero_window_probe(_ack) and bytes in
// flight have no reference column and are not compared. tcp.stream is compared as a mapping:
// one pcapdx stream must always map to one tshark stream, and a tshark stream may map to several
// pcapdx streams only when they differ by VLAN tags (pcapdx keys connections by VLAN, tshark
// does not). ack_rtt agrees when both show one and they differ by at most 1 us.

import { readCapture } from '../../src/capture/open.js';
import { decodeFrame } from '../../src/wire/decode.js';
import { newPacket } from '../../src/wire/packet.js';
import { TcpTracker } from '../../src/tcp/tracker.js';
import { LABELS, type LabelName } from '../../src/tcp/labels.js';
import { corpusCaptures, readReference, type ReferenceTable } from '../corpus.js';
import type { ParityReport, ParityRow } from './types.js';
import { join } from 'node:path';

/** Labels with a tshark column, in the reference's column order. */
export const COMPARED_LABELS: readonly LabelName[] = [
  'retransmission', 'fast_retransmission', 'spurious_retransmission', 'out_of_order',
  'lost_segment', 'ack_lost_segment', 'duplicate_ack', 'keep_alive', 'keep_alive_ack',
  'zero_window', 'window_full', 'window_update', 'reused_ports',
];
/** ack_rtt values closer than this are the same (tshark prints ns, pcapdx keeps ns). */
export const ACK_RTT_TOLERANCE_NS = 1_000;
/** The per-label agreement the acceptance requires. */
export const REQUIRED_AGREEMENT = 0.995;
/** Differences listed one by one in the notes, at most (the counts stay complete). */
const MAX_LISTED = 400;

interface FrameOut {
  labels: number[];
  stream: number[];
  vlanKey: number[];
  ackRtt: number[];
}

/** Runs decoder + tracker over one capture, per frame (index = frame number). */
export async function analyseCapture(path: string): Promise<FrameOut> {
  const out: FrameOut = { labels: [], stream: [], vlanKey: [], ackRtt: [] };
  const pkt = newPacket();
  const tracker = new TcpTracker();
  await readCapture(path, (frame) => {
    decodeFrame(frame, pkt);
    const r = tracker.track(frame, pkt);
    const n = frame.number;
    if (r === null) {
      out.stream[n] = -1;
      return;
    }
    out.labels[n] = r.labels;
    out.stream[n] = r.stream;
    out.vlanKey[n] = r.conn.vlanKey;
    out.ackRtt[n] = r.ackRttNs;
  });
  tracker.finish();
  return out;
}

interface Tally { tshark: number; pcapdx: number; both: number }

function row(name: string, t: Tally): ParityRow {
  const either = t.tshark + t.pcapdx - t.both;
  return { name, tshark: t.tshark, pcapdx: t.pcapdx, both: t.both, agreement: either === 0 ? 1 : t.both / either };
}

export async function labelParity(corpusDir: string): Promise<ParityReport> {
  const tallies = new Map<string, Tally>();
  for (const l of COMPARED_LABELS) tallies.set(l, { tshark: 0, pcapdx: 0, both: 0 });
  tallies.set('ack_rtt', { tshark: 0, pcapdx: 0, both: 0 });
  tallies.set('tcp.stream', { tshark: 0, pcapdx: 0, both: 0 });
  const notes: string[] = [];
  let listed = 0;
  let omitted = 0;
  const note = (s: string): void => {
    if (listed < MAX_LISTED) {
      notes.push(s);
      listed++;
    } else omitted++;
  };
  const bitOf = new Map<string, number>(LABELS.map(([b, n]) => [n, b]));
  let files = 0;

  for (const rel of corpusCaptures(corpusDir)) {
    let ref: ReferenceTable;
    try {
      ref = readReference(rel, corpusDir);
    } catch (e) {
      notes.push(`${rel}: no reference (${(e as Error).message})`);
      continue;
    }
    if (ref.columns.length === 0) continue; // tshark could not read it (unsupported link type)
    let ours: FrameOut;
    try {
      ours = await analyseCapture(join(corpusDir, rel));
    } catch (e) {
      notes.push(`${rel}: pcapdx could not read it: ${(e as Error).message}`);
      continue;
    }
    files++;
    const cFrame = ref.col('frame.number');
    const cStream = ref.col('tcp.stream');
    const cRtt = ref.col('tcp.analysis.ack_rtt');
    const cols = COMPARED_LABELS.map((l) => ref.col(`tcp.analysis.${l}`));
    // tshark streams that pcapdx splits by VLAN: their frames are analysed per VLAN by pcapdx and
    // as one flow with copies by tshark, so their labels differ by design (docs/tcp-parity.md).
    const vlansOf = new Map<number, Set<number>>();
    for (const r of ref.rows) {
      const n = Number(r[cFrame]);
      if (r[cStream] === '' || (ours.stream[n] ?? -1) < 0) continue;
      const tsn = Number(r[cStream]);
      let v = vlansOf.get(tsn);
      if (v === undefined) vlansOf.set(tsn, (v = new Set()));
      v.add(ours.vlanKey[n]);
    }
    const vlanSplit = new Set([...vlansOf].filter(([, v]) => v.size > 1).map(([t]) => t));
    let vlanFrames = 0;
    let vlanDiffs = 0;
    const oursToTheirs = new Map<number, number>();
    const theirsToOurs = new Map<number, Map<number, number>>(); // tshark stream -> our stream -> vlanKey
    for (const r of ref.rows) {
      const n = Number(r[cFrame]);
      const ourLabels = ours.labels[n] ?? 0;
      if (r[cStream] !== '' && vlanSplit.has(Number(r[cStream]))) {
        vlanFrames++;
        for (let i = 0; i < COMPARED_LABELS.length; i++) {
          const t = r[cols[i]] !== '';
          const p = (ourLabels & bitOf.get(COMPARED_LABELS[i])!) !== 0;
          if (t !== p) vlanDiffs++;
        }
      }
      for (let i = 0; i < COMPARED_LABELS.length && !vlanSplit.has(Number(r[cStream] || -1)); i++) {
        const name = COMPARED_LABELS[i];
        const t = r[cols[i]] !== '';
        const p = (ourLabels & bitOf.get(name)!) !== 0;
        if (!t && !p) continue;
        const tally = tallies.get(name)!;
        if (t) tally.tshark++;
        if (p) tally.pcapdx++;
        if (t && p) tally.both++;
        else note(`${rel}:${n} ${name} ${t ? 'tshark only' : 'pcapdx only'}`);
      }
      // ack_rtt: tshark omits an RTT of exactly 0
      const tr = r[cRtt];
      const ourRtt = ours.ackRtt[n] ?? -1;
      const t = tr !== '';
      const p = ourRtt > 0;
      if ((t || p) && !vlanSplit.has(Number(r[cStream] || -1))) {
        const tally = tallies.get('ack_rtt')!;
        if (t) tally.tshark++;
        if (p) tally.pcapdx++;
        if (t && p && Math.abs(Number(tr) * 1e9 - ourRtt) <= ACK_RTT_TOLERANCE_NS) tally.both++;
        else note(`${rel}:${n} ack_rtt tshark=${tr || '-'} pcapdx=${p ? (ourRtt / 1e9).toFixed(9) : '-'}`);
      }
      // tcp.stream as a mapping
      const ts = r[cStream];
      const os = ours.stream[n] ?? -1;
      if (ts === '' && os < 0) continue;
      const tally = tallies.get('tcp.stream')!;
      if (ts !== '') tally.tshark++;
      if (os >= 0) tally.pcapdx++;
      if (ts === '' || os < 0) {
        // tshark gives ICMP-quoted TCP headers a stream; pcapdx attributes those by lookup only
        if (os >= 0) note(`${rel}:${n} tcp.stream pcapdx only`);
        continue;
      }
      const tsn = Number(ts);
      const prev = oursToTheirs.get(os);
      let ok = prev === undefined || prev === tsn;
      if (prev === undefined) oursToTheirs.set(os, tsn);
      let m = theirsToOurs.get(tsn);
      if (m === undefined) theirsToOurs.set(tsn, (m = new Map()));
      const vk = ours.vlanKey[n];
      if (!m.has(os)) {
        for (const [other, otherVk] of m) {
          if (other !== os && otherVk === vk) ok = false; // split without a VLAN difference
        }
        m.set(os, vk);
      }
      if (ok) tally.both++;
      else note(`${rel}:${n} tcp.stream pcapdx ${os} vs tshark ${tsn} is not a consistent mapping`);
    }
    for (const [tsn, m] of theirsToOurs) {
      if (m.size > 1) {
        notes.push(`${rel}: tshark stream ${tsn} is ${m.size} pcapdx streams, one per VLAN tag stack (expected: pcapdx keys by VLAN)`);
      }
    }
    if (vlanFrames > 0) {
      notes.push(`${rel}: ${vlanFrames} frames of VLAN-split streams left out of the label and ack_rtt agreement; ${vlanDiffs} label differences there, by design (tshark sees the copies on other VLANs as retransmissions)`);
    }
  }
  if (omitted > 0) notes.push(`... ${omitted} more differences not listed`);
  notes.unshift(`${files} captures compared; zero_window_probe, zero_window_probe_ack and bytes_in_flight have no tshark column`);
  const rows = [...tallies.entries()].map(([name, t]) => row(name, t));
  const ok = rows.every((r) => r.agreement >= REQUIRED_AGREEMENT);
  return { title: 'TCP analysis labels vs tshark 4.0', rows, notes, ok };
}
