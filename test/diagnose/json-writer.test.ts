import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeJsonDocument } from '../../src/cli/diagnose.js';
import { Output } from '../../src/cli/output.js';

/** What `diagnose --json` wrote before it streamed: the whole document in one string. */
const whole = (doc: unknown): string => JSON.stringify(doc, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';

async function streamed(doc: Record<string, unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  const out = new Output(sink);
  await writeJsonDocument(out, doc);
  await out.end();
  return Buffer.concat(chunks).toString('utf8');
}

test('the streamed JSON document has the bytes of JSON.stringify(doc, bigint replacer, 2)', async () => {
  const conns = Array.from({ length: 1300 }, (_, i) => ({
    stream: i, client: { addr: `10.0.${i >> 8}.${i & 255}`, port: 40000 + i }, protocols: i % 3 ? [] : ['smb2', 'rpc'], end: i % 2 ? 'fin' : 'rst',
  }));
  const doc = {
    schema: 'pcapdx.diagnosis/1',
    captures: [{ path: 'a "quoted"\nname\u2028.pcap', frames: 3, start: null }],
    findings: [
      { id: 'x', connection: undefined, metrics: { a: 1.5, b: 'two' }, ladder: [{ frame: 1, time: 1234567890123456789n, labels: [] }] },
      { id: 'y', frames: [], nested: [[1, [2, {}]], []] },
    ],
    empty: [],
    missing: undefined,
    connections: conns,
  };
  assert.equal(await streamed(doc), whole(doc));
  // the bigint only in a later batch: that batch falls back to the replacer
  const late = { connections: [...conns, { stream: -1, ns: 5n }] };
  assert.equal(await streamed(late), whole(late));
  assert.equal(await streamed({}), whole({}));
  assert.equal(await streamed({ a: [] , b: {} }), whole({ a: [], b: {} }));
});
