// What a correct diagnosis of a generated capture must contain. Generators compute these facts
// from the frames they wrote (never by reading the file back), and rule tests later compare
// `pcapdx diagnose` output against them with checkFindings().

import type { Finding, MetricValue, RuleId, Severity } from '../../src/diagnose/finding.js';
import type { KnownDefectId } from '../../src/diagnose/known-defects.js';
import { MAX_EVIDENCE_FRAMES, RULE_IDS, atLeast } from '../../src/diagnose/finding.js';

export type Incident = 'A' | 'B' | 'C' | 'D' | 'control';

/** A metric the finding must carry: exact (strings, integers) or within a tolerance (numbers). */
export type ExpectedMetric = MetricValue | { approx: number; tolerance: number };

export interface ExpectedFinding {
  rule: RuleId;
  /** the severity the rule must give it, at least */
  minSeverity: Severity;
  /** evidence frames the finding must list (fewer than MAX_EVIDENCE_FRAMES, most telling first) */
  frames: number[];
  metrics: Record<string, ExpectedMetric>;
  knownDefect?: KnownDefectId;
  /** stream index (tshark's tcp.stream) of the connection it is about, when it is about one */
  stream?: number;
}

export interface Expectation<F> {
  incident: Incident;
  /** one line: what the capture shows */
  story: string;
  /** findings that must be present (one finding per entry; several entries may name one rule) */
  findings: ExpectedFinding[];
  /** rules that must not produce anything above 'info' on this capture */
  quiet: RuleId[];
  /** scenario facts: frame numbers, ISNs, times, for tests and rule authors */
  facts: F;
}

export interface Generated<F> {
  path: string;
  frames: number;
  expect: Expectation<F>;
}

/** Rules other than `fired` that must stay quiet: everything an incident does not involve. */
export function quietExcept(fired: readonly RuleId[]): RuleId[] {
  return RULE_IDS.filter((r) => !fired.includes(r));
}

function metricOk(want: ExpectedMetric, got: MetricValue | undefined): boolean {
  if (got === undefined) return false;
  if (typeof want === 'object') return typeof got === 'number' && Math.abs(got - want.approx) <= want.tolerance;
  return want === got;
}

/**
 * Compares findings with an expectation; returns the differences as sentences (empty = correct).
 * Each expected finding must be matched by a distinct finding of its rule whose frames include
 * the expected ones, whose metrics agree and whose severity is high enough; quiet rules must not
 * produce anything above 'info'.
 */
export function checkFindings<F>(expect: Expectation<F>, findings: readonly Finding[]): string[] {
  const problems: string[] = [];
  const used = new Set<Finding>();
  for (const e of expect.findings) {
    const candidates = findings.filter((f) => f.id === e.rule && !used.has(f));
    const score = (f: Finding) => e.frames.filter((n) => f.frames.includes(n)).length;
    const best = [...candidates].sort((a, b) => score(b) - score(a))[0];
    if (!best) {
      problems.push(`missing ${e.rule}`);
      continue;
    }
    used.add(best);
    const missing = e.frames.filter((n) => !best.frames.includes(n));
    if (missing.length) problems.push(`${e.rule}: evidence lacks frames ${missing.join(', ')}`);
    if (!atLeast(best.severity, e.minSeverity)) problems.push(`${e.rule}: severity ${best.severity}, expected at least ${e.minSeverity}`);
    for (const [k, want] of Object.entries(e.metrics)) {
      if (!metricOk(want, best.metrics[k])) problems.push(`${e.rule}: metric ${k} = ${String(best.metrics[k])}, expected ${JSON.stringify(want)}`);
    }
    if (e.knownDefect && best.knownDefect?.id !== e.knownDefect) problems.push(`${e.rule}: known defect ${best.knownDefect?.id ?? 'none'}, expected ${e.knownDefect}`);
    if (e.stream !== undefined && best.connection && best.connection.stream !== e.stream) problems.push(`${e.rule}: stream ${best.connection.stream}, expected ${e.stream}`);
  }
  for (const f of findings) {
    if (expect.quiet.includes(f.id) && atLeast(f.severity, 'warning')) problems.push(`${f.id} fired (${f.severity}) but must stay quiet: ${f.summary}`);
  }
  return problems;
}

/** Sanity of an expectation itself (used by the generator tests). */
export function expectationProblems<F>(e: Expectation<F>, frameCount: number): string[] {
  const p: string[] = [];
  for (const f of e.findings) {
    if (f.frames.length === 0) p.push(`${f.rule}: no evidence frames`);
    if (f.frames.length > MAX_EVIDENCE_FRAMES) p.push(`${f.rule}: more frames than a finding may carry`);
    for (const n of f.frames) if (!(Number.isInteger(n) && n >= 1 && n <= frameCount)) p.push(`${f.rule}: frame ${n} outside 1..${frameCount}`);
    if (e.quiet.includes(f.rule) && atLeast(f.minSeverity, 'warning')) p.push(`${f.rule} both expected and quiet`);
  }
  return p;
}
