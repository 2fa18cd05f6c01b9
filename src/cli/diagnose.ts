// `pcapdx diagnose FILE...`: the main job. Each capture is analysed in one streaming pass, the
// rules run over the analysed trace, and the report goes to the terminal (ranked findings with
// evidence ladders) or as a versioned JSON document (--json). --fail-on sets the exit status
// for scripts.

import { analyse } from '../analysis/analyse.js';
import type { AnalysedTrace } from '../analysis/trace.js';
import { atLeast, SEVERITIES, type Severity } from '../diagnose/finding.js';
import { buildReport, type ReportModel } from '../report/model.js';
import { renderTerminal } from '../report/terminal.js';
import { Output } from './output.js';

export interface DiagnoseOptions { json: boolean; failOn: Severity | null; color: boolean }

/** Exit status when a finding reaches --fail-on. */
export const EXIT_FINDINGS = 1;

export async function diagnoseFiles(files: string[], beforeRefill?: () => Promise<void>): Promise<ReportModel> {
  const traces: AnalysedTrace[] = [];
  for (const f of files) traces.push(await analyse([f], { beforeRefill }));
  return buildReport(traces);
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export async function diagnoseCommand(files: string[], opts: DiagnoseOptions, out: Output): Promise<number> {
  const model = await diagnoseFiles(files, out.drain);
  if (opts.json) {
    const doc = {
      schema: model.schema,
      captures: model.captures,
      findings: model.findings.map(({ ladder, ...f }) => ({ ...f, ladder: ladder.map(({ ns, ...r }) => ({ ...r, time: ns })) })),
      connections: model.connections,
    };
    out.line(JSON.stringify(doc, jsonReplacer, 2));
  } else {
    out.write(renderTerminal(model, { color: opts.color, width: Math.min(process.stdout.columns || 100, 120) }));
  }
  let code = 0;
  for (const c of model.captures) if (c.stats.issues.some((i) => i.startsWith('file_truncated') || i.startsWith('record_length') || i.startsWith('block_length'))) code = 2;
  if (opts.failOn && model.findings.some((f) => atLeast(f.severity, opts.failOn!))) code = Math.max(code, EXIT_FINDINGS);
  return code;
}

export function parseSeverity(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new Error(`--fail-on takes one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}
