import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DIAGNOSIS_SCHEMA, KNOWN_DEFECTS, KNOWN_DEFECT_IDS, MAX_EVIDENCE_FRAMES, RULE_IDS, SEVERITIES, atLeast, compareSeverity, diagnosis,
  evidenceFrames, findingProblems, isRuleIdSyntax, knownDefect, sortFindings, worstSeverity, type Finding, type Rule,
} from './finding.js';

const base = (over: Partial<Finding> = {}): Finding => ({
  id: 'tcp/syn-burst', severity: 'error', summary: '4 SYNs from port 705 within 0.2 ms', explanation: 'x', frames: [1, 2], metrics: { syn_count: 4 }, ...over,
});

test('every rule id named by issue 5 exists and has the <area>/<kebab-name> shape', () => {
  for (const id of ['heartbeat/timeout-teardown', 'heartbeat/drift', 'tcp/keepalive', 'tcp/syn-burst', 'tcp/synack-for-old-isn',
    'icmp/unreachable-for-tcp', 'tcp/handshake-failed', 'rpc/retransmission-differs', 'tcp/retransmission-differs',
    'tcp/challenge-ack-on-syn', 'tcp/connect-latency-outliers']) assert.ok((RULE_IDS as readonly string[]).includes(id), id);
  for (const id of RULE_IDS) assert.ok(isRuleIdSyntax(id), id);
  assert.equal(new Set(RULE_IDS).size, RULE_IDS.length);
  assert.equal(isRuleIdSyntax('tcp/Syn-burst'), false);
  assert.equal(isRuleIdSyntax('tcp/syn--burst'), false);
  assert.equal(isRuleIdSyntax('synburst'), false);
});

test('severity ordering: critical first, info last', () => {
  assert.deepEqual([...SEVERITIES], ['critical', 'error', 'warning', 'info']);
  assert.ok(compareSeverity('critical', 'info') < 0);
  assert.ok(compareSeverity('warning', 'error') > 0);
  assert.equal(compareSeverity('error', 'error'), 0);
  assert.ok(atLeast('error', 'warning'));
  assert.ok(!atLeast('info', 'warning'));
  assert.equal(worstSeverity([]), null);
  assert.equal(worstSeverity([{ severity: 'info' }, { severity: 'warning' }, { severity: 'info' }]), 'warning');
});

test('sortFindings: severity, then first frame, then id; stable and pure', () => {
  const fs = [
    base({ id: 'tcp/keepalive', severity: 'info', frames: [3] }),
    base({ id: 'tcp/synack-for-old-isn', frames: [9] }),
    base({ id: 'tcp/syn-burst', frames: [5] }),
    base({ id: 'icmp/unreachable-for-tcp', frames: [] }),
    base({ id: 'rpc/retransmission-differs', severity: 'critical', frames: [50] }),
  ];
  const copy = JSON.stringify(fs);
  assert.deepEqual(sortFindings(fs).map((f) => f.id),
    ['rpc/retransmission-differs', 'tcp/syn-burst', 'tcp/synack-for-old-isn', 'icmp/unreachable-for-tcp', 'tcp/keepalive']);
  assert.equal(JSON.stringify(fs), copy);
});

test('evidenceFrames keeps order, drops repeats and invalid numbers, caps at MAX_EVIDENCE_FRAMES', () => {
  assert.deepEqual(evidenceFrames([7, 3, 7, 0, -1, 2.5, 4]), [7, 3, 4]);
  const many = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(evidenceFrames(many).length, MAX_EVIDENCE_FRAMES);
  assert.deepEqual(evidenceFrames(many, 3), [1, 2, 3]);
});

test('findingProblems accepts a well-formed finding and names each defect of a bad one', () => {
  assert.deepEqual(findingProblems(base()), []);
  const bad = base({
    id: 'tcp/nope' as Finding['id'], summary: 'no numbers here', frames: [1, 1, 0], metrics: { 'Bad-Name': 1, nan_value: NaN },
  });
  const p = findingProblems(bad);
  assert.ok(p.some((s) => s.includes('not in RULE_IDS')));
  assert.ok(p.some((s) => s.includes('no number')));
  assert.ok(p.some((s) => s.includes('1-based')));
  assert.ok(p.some((s) => s.includes('repeat')));
  assert.ok(p.some((s) => s.includes('snake_case')));
  assert.ok(p.some((s) => s.includes('not finite')));
  assert.ok(findingProblems(base({ frames: Array.from({ length: MAX_EVIDENCE_FRAMES + 1 }, (_, i) => i + 1) })).length > 0);
});

test('known defects carry the facts of INCIDENTS.md', () => {
  assert.deepEqual(Object.keys(KNOWN_DEFECTS).sort(), [...KNOWN_DEFECT_IDS].sort());
  assert.equal(knownDefect('linux-cifs-echo-race').fixCommit, 'f2caf901c1b7');
  assert.match(knownDefect('linux-cifs-echo-race').tell, /2 x .*3 x/);
  assert.equal(knownDefect('linux-sunrpc-reconnect-syn-burst').fixCommit, '0fdea1e8a285');
  assert.match(knownDefect('linux-sunrpc-reconnect-syn-burst').affectedVersions, /2\.6\.32-696\.el6.*2\.6\.32-696\.6\.3\.el6/);
  assert.equal(knownDefect('linux-tcp-finack-race').fixCommit, '9603d47bad46');
  assert.match(knownDefect('linux-tcp-finack-race').tell, /1 s.*10 ms/);
  for (const d of Object.values(KNOWN_DEFECTS)) {
    assert.match(d.fixCommit, /^[0-9a-f]{12}$/);
    assert.ok(d.advice.length > 0 && d.references.length > 0);
  }
});

test('a Rule is a pure function of its trace; the diagnosis document sorts findings and survives JSON', () => {
  const rule: Rule<{ synFrames: number[] }> = {
    id: 'tcp/syn-burst',
    run: (t) => (t.synFrames.length > 1 ? [base({ frames: evidenceFrames(t.synFrames), metrics: { syn_count: t.synFrames.length } })] : []),
  };
  assert.deepEqual(rule.run({ synFrames: [1] }), []);
  const found = rule.run({ synFrames: [4, 5, 6] });
  const doc = diagnosis([{ path: 'x.pcap', format: 'pcap', frames: 6, start: null, end: null, duration_s: 0 }],
    [base({ severity: 'info', id: 'tcp/keepalive' }), ...found], []);
  assert.equal(doc.schema, DIAGNOSIS_SCHEMA);
  assert.equal(doc.findings[0].id, 'tcp/syn-burst');
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
});
