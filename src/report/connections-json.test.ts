import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONNECTION_KEYS, connectionJson, hasKnownShape, type ConnectionRow } from './connections-json.js';

const row = (over: Partial<ConnectionRow> = {}): ConnectionRow => ({
  stream: 7, client: { addr: '10.1.0.10', port: 45716 }, server: { addr: 'fe80::1', port: 445 }, opener: 'syn',
  first_frame: 1, last_frame: 9, packets: 9, client_bytes: 4096, server_bytes: 0, end: 'rst', protocols: [], capture: 0,
  ...over,
});

/** what the generic path writes for an element at the depth of the connections array */
const reference = (c: unknown): string => JSON.stringify(c, null, 2).replace(/\n/g, '\n    ');

test('a connection is written as JSON.stringify(c, null, 2) indented to the array depth', () => {
  const cases: ConnectionRow[] = [
    row(),
    row({ protocols: ['smb2'] }),
    row({ protocols: ['nfs', 'portmap', 'rpc'], end: 'handshake-incomplete', opener: 'inferred', capture: 3 }),
    // untrusted text: quotes, backslashes, control characters, a lone surrogate, non-ASCII
    row({ client: { addr: 'a"b\\c\n\u0001', port: 0 }, server: { addr: '\ud800x\u00e9\u2028', port: 65535 }, protocols: ['"x"'] }),
    // numbers JSON writes as null or without sign
    row({ stream: Number.NaN, packets: Infinity, client_bytes: -0, server_bytes: 2 ** 53 + 2, first_frame: 1e21 }),
  ];
  for (const c of cases) assert.equal(connectionJson(c, '    '), reference(c));
});

test('the known shape is exactly the keys connectionSummaries creates, in its order', () => {
  assert.deepEqual(Object.keys(row()), [...CONNECTION_KEYS]);
  assert.equal(hasKnownShape(row()), true);
  // a field the writer does not know sends the batch through JSON.stringify
  assert.equal(hasKnownShape({ ...row(), extra: 1 } as ConnectionRow), false);
  const { opener, ...rest } = row();
  assert.equal(hasKnownShape({ ...rest, opener } as ConnectionRow), false, 'same keys, other order');
  assert.equal(hasKnownShape(row({ client: { port: 1, addr: 'x' } })), false);
});

// ------------------------------------------------------------------ ConnectionList

import { analyse } from '../analysis/analyse.js';
import { connectionSummaries } from '../diagnose/engine.js';
import { ConnectionList } from './connections-json.js';
import { corpusDir } from '../../test/corpus.js';

test('ConnectionList writes each connection as connectionJson writes its summary, across several captures', async () => {
  // TCP only, SMB2 and RPC (connections with protocols), and a capture without connections
  const names = ['tcp/syn-scan.pcapng', 'smb/smb2-echo-linux-cifs.pcap', 'nfs-rpc/nfsv3-tcp-portmap-mount-nfsacl.pcap', 'icmp/icmp-destunreach-udp-single.pcap'];
  const traces = [];
  for (const name of names) {
    try {
      traces.push(await analyse([`${corpusDir()}/${name}`]));
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
  const list = new ConnectionList(traces);
  const want = traces.flatMap((t, capture) => connectionSummaries(t, capture).map((c) => connectionJson(c, '    ')));
  assert.equal(list.length, want.length);
  for (let i = 0; i < want.length; i++) assert.equal(list.json(i, '    '), want[i], `connection ${i}`);
  assert.ok(want.some((t) => t.includes('"protocols": [\n')), 'some connection has protocols');
  assert.equal(new ConnectionList([]).length, 0);
});
