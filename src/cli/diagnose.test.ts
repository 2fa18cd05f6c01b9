import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeJsonDocument } from './diagnose.js';
import { Output } from './output.js';
import type { ConnectionRow } from '../report/connections-json.js';

const whole = (doc: unknown): string => JSON.stringify(doc, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';

async function streamed(doc: Record<string, unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  const out = new Output(sink);
  await writeJsonDocument(out, doc, { connections: true });
  await out.end();
  return Buffer.concat(chunks).toString('utf8');
}

const conn = (i: number): ConnectionRow => ({
  stream: i, client: { addr: `10.0.${i >> 8}.${i & 255}`, port: 40000 + (i % 20000) }, server: { addr: i % 7 ? '10.9.9.9' : 'a"b\n', port: 445 },
  opener: i % 5 ? 'syn' : 'inferred', first_frame: i * 3 + 1, last_frame: i * 3 + 3, packets: 3, client_bytes: i, server_bytes: 0,
  end: i % 2 ? 'fin' : 'rst', protocols: i % 3 ? [] : ['rpc', 'smb2'], capture: i % 2,
});

test('connections written field by field give the bytes of JSON.stringify(doc, null, 2), over several batches', async () => {
  const doc = { schema: 'pcapdx.diagnosis/1', findings: [{ id: 'x', frames: [1, 2] }], connections: Array.from({ length: 1300 }, (_, i) => conn(i)) };
  assert.equal(await streamed(doc), whole(doc));
});

test('a batch whose first connection has another shape falls back to JSON.stringify (same bytes)', async () => {
  const conns: unknown[] = Array.from({ length: 1100 }, (_, i) => conn(i));
  conns[512] = { ...conn(512), extra: [1, { a: 2n }] }; // first of the second batch: unknown key, a bigint
  conns[0] = { stream: 0 }; // first of the first batch: another shape altogether
  const doc = { connections: conns };
  assert.equal(await streamed(doc), whole(doc));
});

import { analyse } from '../analysis/analyse.js';
import { connectionSummaries } from '../diagnose/engine.js';
import { ConnectionList } from '../report/connections-json.js';
import { corpusDir } from '../../test/corpus.js';

test('a ConnectionList in the document gives the bytes of its summaries\' array (several batches, and empty)', async () => {
  const traces = [await analyse([`${corpusDir()}/tcp/syn-scan.pcapng`]), await analyse([`${corpusDir()}/smb/smb2-echo-linux-cifs.pcap`])];
  const summaries = traces.flatMap((t, capture) => connectionSummaries(t, capture));
  assert.ok(summaries.length > 512, `${summaries.length} connections: more than one batch`);
  const head = { schema: 'pcapdx.diagnosis/1', findings: [{ id: 'x', frames: [1, 2] }] };
  assert.equal(await streamed({ ...head, connections: new ConnectionList(traces) }), whole({ ...head, connections: summaries }));
  assert.equal(await streamed({ ...head, connections: new ConnectionList([]) }), whole({ ...head, connections: [] }));
});
