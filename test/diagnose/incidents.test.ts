// The diagnosis of incidents A-D on generated captures, across the generators' variants and
// several seeds: each expected finding present with its evidence frames and metrics
// (checkFindings), every other rule quiet, and the healthy controls quiet.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { findingProblems, type Finding } from '../../src/diagnose/finding.js';
import {
  checkFindings, generateHealthyNlm, generateHealthySmb, generateIncidentA, generateIncidentB, generateIncidentC, generateIncidentD, generateNoise,
  type Generated,
} from '../incidents/index.js';

const tmp = tempDir();
after(() => tmp.done());
let n = 0;
const file = (name: string) => tmp.file(`${n++}-${name}.pcapng`);

async function diagnose<F>(g: Generated<F>): Promise<Finding[]> {
  const findings = runRules(await analyse([g.path]));
  for (const f of findings) assert.deepEqual(findingProblems(f), [], `${f.id}: ${f.summary}`);
  return findings;
}

async function check<F>(g: Generated<F>, omitMetrics: Record<string, string[]> = {}): Promise<Finding[]> {
  const findings = await diagnose(g);
  const expect = {
    ...g.expect,
    findings: g.expect.findings.map((e) => ({ ...e, metrics: Object.fromEntries(Object.entries(e.metrics).filter(([k]) => !(omitMetrics[e.rule] ?? []).includes(k))) })),
  };
  const problems = checkFindings(expect, findings);
  assert.deepEqual(problems, [], `${g.expect.story}\n${findings.map((f) => `  ${f.severity} ${f.id}: ${f.summary}`).join('\n')}`);
  return findings;
}

test('A: suppressed echo then 2 x / 3 x teardown, across intervals, drifts, teardown styles, keep-alives, IPv6', async () => {
  const cases = [
    { seed: 1, intervalS: 60, multiple: 2 as const },
    { seed: 2, intervalS: 30, multiple: 2 as const, teardown: 'rst' as const, driftS: 2.2 },
    { seed: 3, intervalS: 60, multiple: 2 as const, ipv6: true, keepAlive: { server: { style: 'windows' as const, idleS: 119.7 } } },
    { seed: 4, intervalS: 45, multiple: 2 as const, echoesBeforeData: 6, driftS: 1.2, keepAlive: { client: { style: 'linux' as const, idleS: 50 } } },
    { seed: 5, intervalS: 60, multiple: 3 as const, serverStalls: true },
    { seed: 6, intervalS: 20, multiple: 2 as const, serverStalls: true },
    { seed: 7, intervalS: 60, multiple: 3 as const }, // control: rides through the skipped echo
    { seed: 8, intervalS: 10, multiple: 2 as const, driftS: 2.8, rttMs: 2 },
    // long round trips: the reconnect waits for the old connection's FIN exchange
    { seed: 9, intervalS: 60, multiple: 2 as const, rttMs: 10 },
    { seed: 10, intervalS: 30, multiple: 2 as const, rttMs: 40, driftS: 2.2 },
    { seed: 12, intervalS: 60, multiple: 3 as const, serverStalls: true, rttMs: 40, teardown: 'rst' as const },
  ];
  for (const c of cases) await check(generateIncidentA({ path: file('a'), ...c }));
});

test('A: the teardown names the cause and the kernel', async () => {
  const f = await check(generateIncidentA({ path: file('a'), seed: 11, intervalS: 60, multiple: 2 }));
  const t = f.find((x) => x.id === 'heartbeat/timeout-teardown');
  assert.ok(t && /not packet loss/.test(t.explanation));
  assert.equal(t.knownDefect?.id, 'linux-cifs-echo-race');
});

test('B: SYN burst, SYN-ACK for the old ISN, ICMP or RST cycles, completion or not', async () => {
  const cases = [
    { seed: 1, mode: 'firewall' as const, burst: 3 },
    { seed: 2, mode: 'firewall' as const, burst: 2, icmpCode: 10, program: 'nfs' as const },
    { seed: 3, mode: 'firewall' as const, burst: 4, completes: true, retrySeconds: 7 },
    { seed: 4, mode: 'rst' as const, burst: 2 },
    { seed: 5, mode: 'rst' as const, burst: 4, rstCycles: 5, completes: true },
    { seed: 6, mode: 'firewall' as const, burst: 3, icmpCode: 9, program: 'nfs' as const, completes: true },
  ];
  for (const c of cases) {
    const f = await check(generateIncidentB({ path: file('b'), ...c }));
    const h = f.find((x) => x.id === 'tcp/handshake-failed');
    // one causal chain: the main finding tells the whole story
    assert.ok(h && /SYNs from port/.test(h.explanation) && /acknowledges ISN/.test(h.explanation), h?.explanation);
    assert.ok(c.mode === 'rst' ? /reset the attempt/.test(h.explanation) : /ICMP destination unreachable/.test(h.explanation));
  }
});

test('C: retransmitted WRITE with other bytes (same and new connection); TCP retransmission with other bytes; identical controls quiet', async () => {
  for (const seed of [1, 2, 3]) {
    for (const variant of ['same-connection', 'new-connection'] as const) {
      await check(generateIncidentC({ path: file('c'), seed, variant, writeSize: 4096 * seed }));
    }
    for (const variant of ['identical', 'tcp-differs', 'tcp-identical'] as const) await check(generateIncidentC({ path: file('c'), seed, variant, writeSize: 8192 }));
  }
});

test('D: challenge ACK on SYN and connect-latency outliers, unfixed and fixed clients; no outliers stays quiet', async () => {
  const cases = [
    { seed: 1, connections: 200, outliers: 2 },
    { seed: 2, connections: 300, outliers: 3, fixedClient: true },
    { seed: 3, connections: 400, outliers: 1, ports: 32 },
    { seed: 4, connections: 200, outliers: 0 },
  ];
  for (const c of cases) await check(generateIncidentD({ path: file('d'), ...c }));
});

test('healthy controls stay quiet', async () => {
  for (const seed of [1, 2, 3]) {
    await check(generateHealthySmb({ path: file('hs'), seed, intervalS: seed * 20 }));
    await check(generateHealthyNlm({ path: file('hn'), seed }));
    await check(generateNoise({ path: file('noise'), seed }));
  }
});
