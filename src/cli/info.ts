// `pcapdx info FILE...`: what capinfos tells, plus what could not be decoded. With --no-decode
// only the container is walked (the raw read path the benchmark measures).

import { readCapture } from '../capture/open.js';
import type { CaptureIssueCode, ReadSummary } from '../capture/types.js';
import { formatEpoch, formatIso, nsToSeconds } from '../bytes/time.js';
import { decodeFrame } from '../wire/decode.js';
import { linkTypeName } from '../wire/linktypes.js';
import { newPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type WireIssueCode } from '../wire/packet.js';
import { Output } from './output.js';
import { plural, termSafe } from './common.js';

export interface InfoOptions { json: boolean; decode: boolean }

export interface FileInfo {
  summary: ReadSummary;
  capturedBytes: number;
  wireBytes: number;
  decoded: boolean;
  protocols: { ipv4: number; ipv6: number; tcp: number; udp: number; icmp: number; other: number };
  linkTypes: Record<number, number>;
  wireIssues: Partial<Record<WireIssueCode, number>>;
  /** frames whose headers were cut by the capture / contradicted themselves / used an unsupported link type */
  truncatedHeaders: number;
  malformed: number;
  unsupported: number;
}

export async function collectInfo(path: string, decode: boolean): Promise<FileInfo> {
  const pkt = newPacket();
  const fi: Omit<FileInfo, 'summary'> = {
    capturedBytes: 0, wireBytes: 0, decoded: decode,
    protocols: { ipv4: 0, ipv6: 0, tcp: 0, udp: 0, icmp: 0, other: 0 },
    linkTypes: {}, wireIssues: {}, truncatedHeaders: 0, malformed: 0, unsupported: 0,
  };
  const summary = await readCapture(path, (f) => {
    fi.capturedBytes += f.caplen;
    fi.wireBytes += f.origlen;
    fi.linkTypes[f.linkType] = (fi.linkTypes[f.linkType] ?? 0) + 1;
    if (!decode) return;
    decodeFrame(f, pkt);
    const p = fi.protocols;
    if (pkt.l3 === 4) p.ipv4++;
    else if (pkt.l3 === 6) p.ipv6++;
    if (pkt.proto === PROTO_TCP) p.tcp++;
    else if (pkt.proto === PROTO_UDP) p.udp++;
    else if (pkt.proto === PROTO_ICMP || pkt.proto === PROTO_ICMPV6) p.icmp++;
    else p.other++;
    if (pkt.issue !== null) {
      fi.wireIssues[pkt.issue] = (fi.wireIssues[pkt.issue] ?? 0) + 1;
      if (pkt.issueKind === 'truncated') fi.truncatedHeaders++;
      else if (pkt.issueKind === 'malformed') fi.malformed++;
      else fi.unsupported++;
    }
  });
  return { summary, ...fi };
}

export function infoJson(fi: FileInfo): unknown {
  const s = fi.summary;
  const digits = Math.max(0, ...s.info.interfaces.map((i) => i.tsDigits));
  return {
    file: s.info.path,
    format: s.info.format,
    compression: s.info.compression,
    version: s.info.version,
    byteOrder: s.info.byteOrder,
    sections: s.info.sections,
    interfaces: s.info.interfaces.map((i) => ({ ...i, linkTypeName: linkTypeName(i.linkType) })),
    frames: s.frames,
    framesCutBySnaplen: s.truncatedFrames,
    capturedBytes: fi.capturedBytes,
    wireBytes: fi.wireBytes,
    first: s.firstNs === null ? null : formatEpoch(s.firstNs, digits),
    last: s.lastNs === null ? null : formatEpoch(s.lastNs, digits),
    durationSeconds: s.firstNs === null || s.lastNs === null ? 0 : nsToSeconds(s.lastNs - s.firstNs),
    linkTypes: fi.linkTypes,
    decoded: fi.decoded,
    protocols: fi.decoded ? fi.protocols : undefined,
    headersTruncated: fi.decoded ? fi.truncatedHeaders : undefined,
    malformed: fi.decoded ? fi.malformed : undefined,
    unsupported: fi.decoded ? fi.unsupported : undefined,
    wireIssues: fi.decoded ? fi.wireIssues : undefined,
    captureIssues: s.issueCounts,
    captureIssueDetails: s.issues,
    complete: !s.stoppedEarly,
  };
}

export function infoText(fi: FileInfo): string[] {
  const s = fi.summary;
  const i = s.info;
  const digits = Math.max(0, ...i.interfaces.map((x) => x.tsDigits));
  const L: string[] = [];
  const kv = (k: string, v: string): void => void L.push(`${(k + ':').padEnd(22)}${v}`);
  kv('File', termSafe(i.path));
  kv('Format', `${i.format} ${i.version}${i.format === 'pcapng' ? `, ${plural(i.sections, 'section')}` : ''}, ${i.byteOrder === 'le' ? 'little' : 'big'}-endian${i.compression ? `, ${i.compression}-compressed` : ''}`);
  for (const x of i.interfaces) {
    kv(`Interface ${i.interfaces.indexOf(x)}`, `${linkTypeName(x.linkType)} (${x.linkType}), snaplen ${x.snaplen}, ${x.tsDigits === 9 ? 'nanosecond' : x.tsDigits === 6 ? 'microsecond' : `${x.tsDigits}-digit`} timestamps${x.name ? `, ${termSafe(x.name)}` : ''}`);
  }
  kv('Frames', `${s.frames.toLocaleString('en-US')}${s.truncatedFrames ? ` (${plural(s.truncatedFrames, 'frame')} cut by snaplen)` : ''}`);
  kv('Bytes', `${fi.wireBytes.toLocaleString('en-US')} on the wire, ${fi.capturedBytes.toLocaleString('en-US')} captured`);
  if (s.firstNs !== null && s.lastNs !== null) {
    const dur = nsToSeconds(s.lastNs - s.firstNs);
    kv('First packet', `${formatIso(s.firstNs, digits)} (${formatEpoch(s.firstNs, digits)})`);
    kv('Last packet', `${formatIso(s.lastNs, digits)} (${formatEpoch(s.lastNs, digits)})`);
    kv('Duration', `${formatEpoch(s.lastNs - s.firstNs, digits)} s${dur > 0 ? `, ${Number((s.frames / dur).toPrecision(3))} packets/s` : ''}`);
  }
  if (fi.decoded) {
    const p = fi.protocols;
    kv('Protocols', `IPv4 ${p.ipv4}, IPv6 ${p.ipv6}; TCP ${p.tcp}, UDP ${p.udp}, ICMP ${p.icmp}, other ${p.other}`);
    kv('Undecodable', `${fi.truncatedHeaders} cut inside a header, ${fi.malformed} malformed, ${fi.unsupported} unsupported`);
    for (const [code, n] of Object.entries(fi.wireIssues)) L.push(`${''.padEnd(22)}${code}: ${n}`);
  }
  if (s.issues.length === 0) kv('Container', 'no damage found');
  for (const [code, n] of Object.entries(s.issueCounts) as [CaptureIssueCode, number][]) {
    const first = s.issues.find((x) => x.code === code);
    kv(`${s.issues.find((x) => x.code === code)?.severity === 'error' ? 'Error' : 'Warning'}`, `${code} x${n}${first ? `: ${termSafe(first.message)} (byte offset ${first.offset}, after frame ${first.frame})` : ''}`);
  }
  if (s.stoppedEarly) kv('Note', `reading stopped at the damage; the ${plural(s.frames, 'frame')} before it were read`);
  return L;
}

export async function infoCommand(files: string[], opts: InfoOptions, out: Output): Promise<number> {
  let worst = 0;
  for (const f of files) {
    const fi = await collectInfo(f, opts.decode);
    if (fi.summary.stoppedEarly) worst = Math.max(worst, 2);
    if (opts.json) out.line(JSON.stringify(infoJson(fi)));
    else {
      if (files.length > 1 && f !== files[0]) out.line('');
      for (const l of infoText(fi)) out.line(l);
    }
  }
  return worst;
}
