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
import { captureSize } from '../capture/open.js';
import { writeHtmlReport } from '../report/html/write.js';
import { Progress, progressWanted, RefillCounter } from './progress.js';

export interface DiagnoseOptions {
  json: boolean;
  failOn: Severity | null;
  color: boolean;
  /** also write the self-contained HTML report to this file */
  html?: string | null;
  /** no progress line on stderr */
  quiet?: boolean;
}

/** Exit status when a finding reaches --fail-on. */
export const EXIT_FINDINGS = 1;

export async function diagnoseFiles(files: string[], beforeRefill?: () => Promise<void>): Promise<ReportModel> {
  return buildReport(await analyseFiles(files, beforeRefill));
}

/** Each capture analysed on its own, with a progress line on stderr when `progress` is set. */
export async function analyseFiles(files: string[], beforeRefill?: () => Promise<void>, progress?: Progress, sizes: (number | null)[] = []): Promise<AnalysedTrace[]> {
  const traces: AnalysedTrace[] = [];
  let done = 0;
  for (let i = 0; i < files.length; i++) {
    progress?.phase(`reading ${files[i]}`, done);
    traces.push(await analyse([files[i]], {
      beforeRefill: async (p) => {
        progress?.update(p.bytes, p.frames);
        if (beforeRefill) await beforeRefill();
      },
    }));
    done += sizes[i] ?? 0;
  }
  return traces;
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export async function diagnoseCommand(files: string[], opts: DiagnoseOptions, out: Output): Promise<number> {
  const showProgress = progressWanted(!!opts.quiet);
  const sizes = showProgress ? await Promise.all(files.map((f) => captureSize(f).catch(() => null))) : [];
  const total = sizes.length && sizes.every((s) => s !== null) ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : null;
  const progress = new Progress(total, { enabled: showProgress });
  const traces = await analyseFiles(files, out.drain, progress, sizes);
  const model = buildReport(traces);
  if (opts.html) {
    const { bytes } = await writeHtmlReport(opts.html, traces, model, {
      generatedAt: new Date().toISOString(),
      onSecondPass: (i, path) => {
        const counter = new RefillCounter();
        progress.phase(`plotting ${path}`, 0, sizes[i] ?? null);
        return async () => progress.update(counter.next());
      },
    });
    progress.end();
    if (!opts.quiet) process.stderr.write(`pcapdx: HTML report written to ${opts.html} (${(bytes / 1024).toFixed(0)} KiB)\n`);
  }
  progress.end();
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
