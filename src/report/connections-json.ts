// The JSON text of the report's connections array written field by field instead of through
// JSON.stringify(batch, null, 2) and a re-indenting replace: on a capture of 100,000 connections
// that pair was about 0.15 s of CPU and 40 MB of intermediate strings. The text is the same byte
// for byte: the fields in the order connectionSummaries() creates them, two-space indentation at
// the depth of the document's "connections" array, strings through JSON.stringify (addresses and
// protocol names come from captures: never written raw), numbers as JSON writes them.

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
  const i1 = `\n${pad}  `;
  const i2 = `\n${pad}    `;
  let protocols = '[]';
  if (c.protocols.length > 0) {
    protocols = '[';
    for (let k = 0; k < c.protocols.length; k++) protocols += `${k > 0 ? ',' : ''}${i2}${JSON.stringify(c.protocols[k])}`;
    protocols += `${i1}]`;
  }
  return `{${i1}"stream": ${num(c.stream)},` +
    `${i1}"client": {${i2}"addr": ${JSON.stringify(c.client.addr)},${i2}"port": ${num(c.client.port)}${i1}},` +
    `${i1}"server": {${i2}"addr": ${JSON.stringify(c.server.addr)},${i2}"port": ${num(c.server.port)}${i1}},` +
    `${i1}"opener": ${JSON.stringify(c.opener)},${i1}"first_frame": ${num(c.first_frame)},` +
    `${i1}"last_frame": ${num(c.last_frame)},${i1}"packets": ${num(c.packets)},` +
    `${i1}"client_bytes": ${num(c.client_bytes)},${i1}"server_bytes": ${num(c.server_bytes)},` +
    `${i1}"end": ${JSON.stringify(c.end)},${i1}"protocols": ${protocols},${i1}"capture": ${num(c.capture)}\n${pad}}`;
}
