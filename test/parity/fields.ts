// Field parity with tshark: for every corpus capture, frame count, and per frame the time,
// addresses, ports, TCP flags, seq, ack and payload length against the reference TSVs.
// Differences are grouped by field; the ones pcapdx makes on purpose are listed in
// DELIBERATE with their reason and counted apart (docs/field-parity.md explains them).

import { readCapture } from '../../src/capture/open.js';
import { toNs } from '../../src/bytes/time.js';
import { decodeFrame } from '../../src/wire/decode.js';
import { formatAddr } from '../../src/wire/addr.js';
import { formatTcpFlagsTshark } from '../../src/wire/tcpflags.js';
import { newPacket, PROTO_TCP, L3_IPV4, L3_IPV6, type Packet } from '../../src/wire/packet.js';
import { corpusCaptures, parseTsharkEpoch, readReference } from '../corpus.js';
import type { ParityReport, ParityRow } from './types.js';

export const FIELDS = ['frame.time_epoch', 'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.flags.str', 'tcp.seq', 'tcp.ack', 'tcp.len'] as const;
type Field = (typeof FIELDS)[number];

/** Differences made on purpose, by capture (and frame, when only some frames differ). */
export const DELIBERATE: { file: string; frames?: number[]; fields?: Field[]; reason: string }[] = [
  {
    file: 'malformed/timestamp-invalid-usec.pcap', frames: [2, 3], fields: ['frame.time_epoch'],
    reason: 'sub-second field out of range: pcapdx carries it into the seconds and reports timestamp_invalid; tshark prints the raw field (10 digits, or a 32-bit overflow)',
  },
  {
    file: 'malformed/timestamp-invalid-nsec.pcap', frames: [2, 3], fields: ['frame.time_epoch'],
    reason: 'sub-second field out of range: pcapdx carries it into the seconds and reports timestamp_invalid; tshark prints the raw field (10 digits, or a 32-bit overflow)',
  },
  {
    file: 'malformed/unsupported-linktype-182.pcap',
    reason: 'tshark refuses the whole file (link type 182 unknown, empty reference); pcapdx reads its frame and reports it as an unsupported link type',
  },
];

function isDeliberate(file: string, frame: number, field: Field | 'frames'): string | null {
  for (const d of DELIBERATE) {
    if (d.file !== file) continue;
    if (d.frames && !d.frames.includes(frame)) continue;
    if (d.fields && field !== 'frames' && !d.fields.includes(field)) continue;
    return d.reason;
  }
  return null;
}

/** Our value of each reference field, formatted the way tshark prints it ('' when absent). */
function ours(p: Packet, tsNs: bigint): Record<Field, string> {
  const v4src: string[] = [];
  const v4dst: string[] = [];
  const v6src: string[] = [];
  const v6dst: string[] = [];
  const add = (l3: number, s: Uint32Array, d: Uint32Array): void => {
    if (l3 === L3_IPV4) {
      v4src.push(formatAddr(l3, s));
      v4dst.push(formatAddr(l3, d));
    } else if (l3 === L3_IPV6) {
      v6src.push(formatAddr(l3, s));
      v6dst.push(formatAddr(l3, d));
    }
  };
  add(p.l3, p.src, p.dst);
  const q = p.quoted;
  if (q.present) add(q.l3, q.src, q.dst);
  const r: Record<Field, string> = {
    'frame.time_epoch': String(tsNs), 'ip.src': v4src.join(','), 'ipv6.src': v6src.join(','), 'ip.dst': v4dst.join(','),
    'ipv6.dst': v6dst.join(','), 'tcp.srcport': '', 'tcp.dstport': '', 'tcp.flags.str': '', 'tcp.seq': '', 'tcp.ack': '', 'tcp.len': '',
  };
  if (p.proto === PROTO_TCP && p.tcpValid) {
    r['tcp.srcport'] = String(p.srcPort);
    r['tcp.dstport'] = String(p.dstPort);
    r['tcp.flags.str'] = formatTcpFlagsTshark(p.tcpFlags, p.tcpReserved);
    r['tcp.seq'] = String(p.seq);
    r['tcp.ack'] = String(p.ack);
    r['tcp.len'] = String(p.payloadLength);
  } else if (p.proto === PROTO_TCP && p.srcPort >= 0) {
    // TCP header cut short: tshark shows the ports when their bytes were captured
    r['tcp.srcport'] = String(p.srcPort);
    r['tcp.dstport'] = String(p.dstPort);
  } else if (q.present && q.proto === PROTO_TCP && q.hasPorts) {
    r['tcp.srcport'] = String(q.srcPort);
    r['tcp.dstport'] = String(q.dstPort);
    if (q.hasSeq) r['tcp.seq'] = String(q.seq);
  }
  return r;
}

export interface FieldParityResult extends ParityReport {
  files: number;
  frames: number;
  deliberate: string[];
}

export async function fieldParity(corpusDir: string): Promise<FieldParityResult> {
  const counts = new Map<Field, { compared: number; agree: number }>(FIELDS.map((f) => [f, { compared: 0, agree: 0 }]));
  const notes: string[] = [];
  const deliberate = new Set<string>();
  let frames = 0;
  let frameCountAgree = 0;
  const files = corpusCaptures(corpusDir);
  const pkt = newPacket();
  for (const rel of files) {
    const ref = readReference(rel, corpusDir);
    // an empty reference (tshark refused the file) has no columns: nothing to compare per frame
    const idx = ref.columns.length ? FIELDS.map((f) => ref.col(f)) : [];
    let n = 0;
    let summaryFrames = 0;
    try {
      const s = await readCapture(`${corpusDir}/${rel}`, (f) => {
        n++;
        const row = ref.rows[f.number - 1];
        if (!row || idx.length === 0) return;
        decodeFrame(f, pkt);
        const mine = ours(pkt, toNs(f.tsSec, f.tsNsec));
        FIELDS.forEach((field, i) => {
          let theirs = row[idx[i]] ?? '';
          if (field === 'frame.time_epoch') theirs = String(parseTsharkEpoch(theirs));
          const c = counts.get(field)!;
          if (theirs === mine[field]) {
            c.compared++;
            c.agree++;
            return;
          }
          const why = isDeliberate(rel, f.number, field);
          if (why) {
            deliberate.add(`${rel}: ${why}`);
            return;
          }
          c.compared++;
          if (notes.length < 200) notes.push(`${rel}:${f.number} ${field}: tshark '${theirs}' pcapdx '${mine[field]}'`);
        });
      });
      summaryFrames = s.frames;
    } catch (e) {
      notes.push(`${rel}: could not be read: ${(e as Error).message}`);
    }
    frames += summaryFrames;
    if (summaryFrames === ref.rows.length) frameCountAgree++;
    else {
      const why = isDeliberate(rel, 0, 'frames');
      if (why) deliberate.add(`${rel}: ${why}`);
      else notes.push(`${rel}: frame count tshark ${ref.rows.length} pcapdx ${summaryFrames}`);
    }
    void n;
  }
  const rows: ParityRow[] = [
    { name: 'frame count (files)', tshark: files.length, pcapdx: files.length, both: frameCountAgree + [...deliberate].filter((d) => d.includes('refuses the whole file')).length, agreement: 0 },
    ...FIELDS.map((f) => {
      const c = counts.get(f)!;
      return { name: f, tshark: c.compared, pcapdx: c.compared, both: c.agree, agreement: 0 };
    }),
  ];
  for (const r of rows) r.agreement = r.tshark === 0 ? 1 : r.both / r.tshark;
  return {
    title: 'Per-frame fields against tshark 4.0 (time, addresses, ports, flags, seq, ack, tcp.len)',
    rows, notes, ok: notes.length === 0, files: files.length, frames, deliberate: [...deliberate],
  };
}
