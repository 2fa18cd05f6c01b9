// The demo's sample captures (scripts/demo.ts, README's first command): one per incident of
// INCIDENTS.md (A-D), a healthy SMB2 session, and a pair of captures of the same traffic at two
// points (E), written by the incident generators of the test tree.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateIncidentA, generateIncidentB, generateIncidentC, generateIncidentD, generateHealthySmb } from '../incidents/index.js';
import { DEFAULTS, generatePair } from '../compare/twopoint.js';

export interface DemoCaptures { diagnose: { file: string; what: string }[]; compare: { a: string; b: string; what: string } }

/** Writes the sample captures into `dir` (deterministic: the same bytes on every run). */
export function writeDemoCaptures(dir: string): DemoCaptures {
  mkdirSync(dir, { recursive: true });
  const p = (n: string): string => join(dir, n);
  generateIncidentA({ path: p('a-smb2-echo-timeout.pcapng'), seed: 7, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 100 } }, format: 'pcapng' });
  generateIncidentB({ path: p('b-nlm-reconnect-syn-burst.pcap'), seed: 2, mode: 'firewall', burst: 3, format: 'pcap' });
  generateIncidentC({ path: p('c-nfs-write-retransmission.pcap'), seed: 3, variant: 'new-connection', format: 'pcap' });
  generateIncidentD({ path: p('d-connect-latency-spikes.pcap'), seed: 4, format: 'pcap' });
  generateHealthySmb({ path: p('healthy-smb2.pcap'), seed: 5, format: 'pcap' });
  generatePair(p('e-client-side.pcap'), p('e-server-side.pcapng'), {
    ...DEFAULTS, seed: 6, connections: 40, concurrent: 8, lossAb: 0.01, lossBa: 0, injectRstIn: [], offsetNs: 250_000_000, truth: false,
  });
  return {
    diagnose: [
      { file: p('a-smb2-echo-timeout.pcapng'), what: 'A: SMB2 heartbeat suppressed, client gives up at 2 x echo interval' },
      { file: p('b-nlm-reconnect-syn-burst.pcap'), what: "B: reconnect SYN burst from one port, the client's firewall rejects the answer" },
      { file: p('c-nfs-write-retransmission.pcap'), what: 'C: NFS WRITE re-sent with the same XID but different data' },
      { file: p('d-connect-latency-spikes.pcap'), what: 'D: SYN answered by a challenge ACK, one-second connect spikes' },
      { file: p('healthy-smb2.pcap'), what: 'healthy SMB2 session (nothing should be reported above info)' },
    ],
    compare: { a: p('e-client-side.pcap'), b: p('e-server-side.pcapng'), what: 'E: the same traffic captured at both ends, 1% lost client to server' },
  };
}
