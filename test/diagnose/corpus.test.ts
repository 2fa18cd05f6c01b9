// The diagnosis over every capture of the shared corpus: the findings at warning or worse must be
// exactly the reviewed list below (docs/false-alarms.md gives the reason for each), so a new false
// alarm, or a lost true one, fails this test. Incident rules (A-D) must not fire on the corpus
// except where the capture shows it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { atLeast, findingProblems } from '../../src/diagnose/finding.js';
import { corpusCaptures, corpusDir } from '../corpus.js';

/** [capture, rule id, severity, first evidence frame], as reviewed in docs/false-alarms.md */
const REVIEWED: [string, string, string, number][] = [
  ['formats/pcapng-sll-nsec-ipv6-tcp.pcapng', 'tcp/slow-first-response', 'warning', 14],
  ['formats/vlan-mpls-mixed-tcp.pcap', 'tcp/unanswered-syn', 'warning', 1],
  ['icmp/portmap-udp111-port-unreachable.pcap', 'tcp/unanswered-syn', 'warning', 1],
  ['icmp/scan-syn-rst-icmp-unreach.pcap', 'tcp/unanswered-syn', 'warning', 3],
  ['nfs-rpc/nfsv3-ipv6-tcp-loss-tail.pcap', 'tcp/retransmissions', 'warning', 4178],
  ['nfs-rpc/nfsv3-udp-ipfrag-dup-retransm.pcap', 'rpc/unanswered-calls', 'warning', 70],
  ['nfs-rpc/nfsv4-incorrect-mount.pcap', 'rpc/call-rejected', 'error', 826],
  ['nfs-rpc/portmap-tcp-unanswered-calls.pcapng.gz', 'rpc/unanswered-calls', 'warning', 4],
  ['nfs-rpc/portmap-udp-sadmind.pcap', 'rpc/unanswered-calls', 'warning', 23],
  ['nfs-rpc/portmap-udp-sadmind.pcap', 'rpc/unanswered-calls', 'warning', 5],
  ['smb/smb2-psexec-icmp-unreach.pcap', 'tcp/unanswered-syn', 'warning', 57],
  ['smb/smb2-syn-retrans-delete.pcap', 'tcp/retransmissions', 'warning', 133],
  ['smb/smb2-wiki-ipv6-spurious-retrans.pcap', 'tcp/slow-first-response', 'warning', 9],
  ['smb/smb2-win10-keepalive-1byte.pcap', 'smb2/logon-failed', 'warning', 45],
  ['tcp/connection-lost-rto.pcap', 'tcp/retransmissions', 'warning', 9],
  ['tcp/email-troubles-loss.pcap', 'tcp/retransmissions', 'warning', 299],
  ['tcp/ftp-brute-keepalive-zero-window.pcap', 'tcp/connect-latency-outliers', 'warning', 1784],
  ['tcp/ftp-brute-keepalive-zero-window.pcap', 'tcp/unanswered-syn', 'warning', 9840],
  ['tcp/http-fail-retrans-keepalive.pcapng', 'tcp/unanswered-syn', 'warning', 25],
  ['tcp/keepalive-0byte-sack-rawip.pcap', 'tcp/retransmissions', 'warning', 41],
  ['tcp/latency-high-rtt.pcapng', 'tcp/slow-first-response', 'warning', 1],
  ['tcp/ooo-retrans-zero-window.pcap', 'tcp/retransmissions', 'warning', 150],
  ['tcp/ooo-retrans-zero-window.pcap', 'tcp/retransmissions', 'warning', 208],
  ['tcp/ooo-retrans-zero-window.pcap', 'tcp/retransmissions', 'warning', 276],
  ['tcp/ooo-retrans-zero-window.pcap', 'tcp/retransmissions', 'warning', 27],
  ['tcp/reassembly-loss-fast-retrans.pcap', 'tcp/retransmission-differs', 'critical', 110],
  ['tcp/reassembly-loss-fast-retrans.pcap', 'tcp/retransmission-differs', 'critical', 31],
  ['tcp/reassembly-loss-fast-retrans.pcap', 'tcp/retransmissions', 'warning', 64],
  ['tcp/rto-retransmissions.pcapng', 'tcp/retransmissions', 'warning', 6],
  ['tcp/syn-retrans-with-ts.pcap', 'tcp/retransmissions', 'warning', 127],
  ['tcp/syn-retries-then-rst.pcapng', 'tcp/connection-refused', 'error', 3],
  ['tcp/syn-retries-unanswered.pcap', 'tcp/unanswered-syn', 'warning', 1],
  ['tcp/syn-rst-refused.pcapng', 'tcp/connection-refused', 'error', 1],
  ['tcp/syn-scan.pcapng', 'tcp/unanswered-syn', 'warning', 1],
  ['tcp/port-reuse-rst-inject.pcap', 'tcp/middlebox-reset', 'warning', 2],
  ['tcp/window-full-ftp-upload-failed.pcap', 'tcp/bottleneck-queue', 'warning', 78],
  ['tcp/window-full-printer.pcapng', 'tcp/ack-stall', 'warning', 16],
  ['tcp/window-full-printer.pcapng', 'tcp/retransmissions', 'warning', 122],
  ['tcp/zero-window-dead-probes.pcapng', 'tcp/zero-window-stall', 'warning', 2],
];

test('corpus: warning-or-worse findings are exactly the reviewed list', async () => {
  const dir = corpusDir();
  const got: [string, string, string, number][] = [];
  for (const rel of corpusCaptures(dir)) {
    const findings = runRules(await analyse([join(dir, rel)]));
    for (const f of findings) {
      assert.deepEqual(findingProblems(f), [], `${rel} ${f.id}: ${f.summary}`);
      if (atLeast(f.severity, 'warning')) got.push([rel, f.id, f.severity, f.frames[0] ?? 0]);
    }
  }
  const key = (x: [string, string, string, number]) => x.join(' ');
  assert.deepEqual(got.map(key).sort(), REVIEWED.map(key).sort());
});
