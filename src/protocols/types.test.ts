import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeRecord, plainExchange, ROWS_PER_CHUNK, type Endpoint, type Exchange } from './types.js';

const client: Endpoint = { addr: '10.0.0.1', port: 800 };
const server: Endpoint = { addr: '10.0.0.2', port: 2049 };

/** exchange number i, with values derived from i (times past 2^30 s and latencies past 2^31 ns
 *  included: they are stored as doubles) */
function make(i: number): ExchangeRecord {
  return new ExchangeRecord(i % 2 ? 'rpc' : 'smb2', `S${i}`, `C${i}`, 100003 + i, 3, i % 22, 0xfffffff0 + (i % 16), i % 3 ? 'pair' : 'unanswered',
    2 * i + 1, i % 3 ? 2 * i + 2 : 0, i % 5 ? [] : [2 * i + 1, 2 * i + 1], 1_700_000_000 + i, 999_999_999 - i, 1_700_000_003 + i, i,
    i % 3 ? 3_000_000_000 + i : -1, i % 3 ? 'NFS3_OK' : '', i % 3 ? 0xc0000001 : -1, { n: i }, client, server, i % 7 ? 'tcp' : 'udp', i - 1);
}

function expected(i: number): Exchange {
  const paired = i % 3 !== 0;
  return {
    protocol: i % 2 ? 'rpc' : 'smb2', service: `S${i}`, command: `C${i}`, program: 100003 + i, version: 3, procedure: i % 22,
    id: 0xfffffff0 + (i % 16), kind: paired ? 'pair' : 'unanswered', requestFrame: 2 * i + 1, responseFrame: paired ? 2 * i + 2 : 0,
    interimFrames: i % 5 ? [] : [2 * i + 1, 2 * i + 1],
    requestNs: BigInt(1_700_000_000 + i) * 1_000_000_000n + BigInt(999_999_999 - i),
    responseNs: paired ? BigInt(1_700_000_003 + i) * 1_000_000_000n + BigInt(i) : null,
    latencyNs: paired ? 3_000_000_000 + i : -1, status: paired ? 'NFS3_OK' : '', statusCode: paired ? 0xc0000001 : -1, args: { n: i },
    client, server, transport: i % 7 ? 'tcp' : 'udp', stream: i - 1,
  };
}

test('exchange rows: every field reads back as given, across chunk boundaries', () => {
  const n = 2 * ROWS_PER_CHUNK + 3;
  const all = Array.from({ length: n }, (_, i) => make(i));
  for (let i = 0; i < n; i++) assert.deepEqual(plainExchange(all[i]), expected(i), `exchange ${i}`);
  assert.equal(all[0].client, client); // the same objects, not copies
  assert.equal(all[5].requestSec, 1_700_000_005);
  assert.equal(all[5].responseNsec, 5);
});

test('exchange rows: retransmit and write are absent until set, then kept per row', () => {
  const a = make(1);
  const b = make(2);
  assert.equal(a.retransmit, undefined);
  assert.equal(a.write, undefined);
  assert.equal('retransmit' in plainExchange(a), false);
  const w = { fileOffset: 4096, count: 10, stable: 2, dataOffset: 40, dataLength: 10 };
  a.write = w;
  assert.equal(a.write, w);
  assert.equal(b.write, undefined, 'the next row is untouched');
  assert.deepEqual(plainExchange(a).write, w);
});

test('exchange rows: JSON as when the fields were own properties (same keys, same order)', () => {
  const e = make(4);
  const w = { fileOffset: 1, count: 2, stable: 0, dataOffset: 3, dataLength: 2 };
  e.write = w;
  const keys = Object.keys(JSON.parse(JSON.stringify(e)) as object);
  assert.deepEqual(keys, ['protocol', 'service', 'command', 'program', 'version', 'procedure', 'id', 'kind', 'requestFrame',
    'responseFrame', 'interimFrames', 'requestSec', 'requestNsec', 'responseSec', 'responseNsec', 'latencyNs', 'status',
    'statusCode', 'args', 'client', 'server', 'transport', 'stream', 'write']);
  assert.equal((JSON.parse(JSON.stringify(e)) as { requestSec: number }).requestSec, 1_700_000_004);
});
