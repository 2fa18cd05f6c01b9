// The JSON text of the report's connections array written field by field instead of through
// JSON.stringify(batch, null, 2) and a re-indenting replace: on a capture of 100,000 connections
// that pair was about 0.15 s of CPU and 40 MB of intermediate strings. The text is the same byte
// for byte: the fields in the order connectionSummaries() creates them, two-space indentation at
// the depth of the document's "connections" array, strings through JSON.stringify (addresses and
// protocol names come from captures: never written raw), numbers as JSON writes them.

import type { AnalysedTrace } from '../analysis/trace.js';
import { endOf, protocolsByStream } from '../diagnose/engine.js';
import type { ConnectionSummary } from '../diagnose/finding.js';

export type ConnectionRow = ConnectionSummary & { capture: number };

/** The own keys of a summary, in creation order: the writer emits exactly these. A summary with
 *  other keys (a field added to connectionSummaries and not here) goes through JSON.stringify. */
export const CONNECTION_KEYS = [
  'stream', 'client', 'server', 'opener', 'first_frame', 'last_frame', 'packets', 'client_bytes',
  'server_bytes', 'end', 'protocols', 'capture',
] as const;
const ENDPOINT_KEYS = 'addr,port';
const KEYS = CONNECTION_KEYS.join(',');

/** As JSON.stringify writes a number (NaN and the infinities as null). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Whether `c` has exactly the keys (and value types) the field writer knows. */
export function hasKnownShape(c: ConnectionRow): boolean {
  return Object.keys(c).join(',') === KEYS && Object.keys(c.client).join(',') === ENDPOINT_KEYS &&
    Object.keys(c.server).join(',') === ENDPOINT_KEYS && Array.isArray(c.protocols) &&
    typeof c.client.addr === 'string' && typeof c.server.addr === 'string' &&
    typeof c.opener === 'string' && typeof c.end === 'string';
}

/** JSON text of one connection as JSON.stringify(c, null, 2) gives it, every line after the first
 *  indented further by `pad` (the object's depth in the document). */
export function connectionJson(c: ConnectionRow, pad: string): string {
  return connectionFieldsJson(c.stream, c.client.addr, c.client.port, c.server.addr, c.server.port, c.opener, c.first_frame, c.last_frame,
    c.packets, c.client_bytes, c.server_bytes, c.end, c.protocols, c.capture, pad);
}

/** connectionJson of a summary with these fields (in its key order), without the summary. */
export function connectionFieldsJson(stream: number, clientAddr: string, clientPort: number, serverAddr: string, serverPort: number, opener: string,
  firstFrame: number, lastFrame: number, packets: number, clientBytes: number, serverBytes: number, end: string, protocolList: readonly string[],
  capture: number, pad: string): string {
  const i1 = `\n${pad}  `;
  const i2 = `\n${pad}    `;
  let protocols = '[]';
  if (protocolList.length > 0) {
    protocols = '[';
    for (let k = 0; k < protocolList.length; k++) protocols += `${k > 0 ? ',' : ''}${i2}${JSON.stringify(protocolList[k])}`;
    protocols += `${i1}]`;
  }
  return `{${i1}"stream": ${num(stream)},` +
    `${i1}"client": {${i2}"addr": ${JSON.stringify(clientAddr)},${i2}"port": ${num(clientPort)}${i1}},` +
    `${i1}"server": {${i2}"addr": ${JSON.stringify(serverAddr)},${i2}"port": ${num(serverPort)}${i1}},` +
    `${i1}"opener": ${JSON.stringify(opener)},${i1}"first_frame": ${num(firstFrame)},` +
    `${i1}"last_frame": ${num(lastFrame)},${i1}"packets": ${num(packets)},` +
    `${i1}"client_bytes": ${num(clientBytes)},${i1}"server_bytes": ${num(serverBytes)},` +
    `${i1}"end": ${JSON.stringify(end)},${i1}"protocols": ${protocols},${i1}"capture": ${num(capture)}\n${pad}}`;
}

/**
 * The connections of the report's JSON document, written straight from the traces: the text of
 * connectionSummaries(trace, capture)[i] through connectionJson, without building the summary
 * (an object, two endpoint objects and a list per connection, 100,000 and more, only to be
 * written once and dropped). The terminal report has no connection list; the HTML report, which
 * shows the summaries, still builds them (ReportModel.connections).
 */
export class ConnectionList {
  readonly length: number;
  private readonly starts: number[] = [];
  private readonly protos: Map<number, Set<string>>[] = [];

  /** traces[i] is capture i of the report */
  constructor(private readonly traces: readonly AnalysedTrace[]) {
    let n = 0;
    for (const t of traces) {
      this.starts.push(n);
      n += t.connections.length;
    }
    this.length = n;
  }

  /** JSON text of connection i (across the traces, in order) at depth `pad` */
  json(i: number, pad: string): string {
    let capture = this.starts.length - 1;
    while (this.starts[capture] > i) capture--;
    const trace = this.traces[capture];
    const c = trace.connections[i - this.starts[capture]];
    const stream = c.stream;
    const p = (this.protos[capture] ??= protocolsByStream(trace)).get(stream);
    // orig and resp are built on each read (kept.ts): once each
    const orig = c.orig;
    const resp = c.resp;
    return connectionFieldsJson(stream, c.origAddr, c.origPort, c.respAddr, c.respPort, c.opener, c.firstFrame, c.lastFrame, orig.pkts + resp.pkts,
      orig.payload, resp.payload, endOf(c), p ? [...p].sort() : NO_PROTOCOLS, capture, pad);
  }
}
const NO_PROTOCOLS: readonly string[] = [];
