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
import { ConnectionList, connectionJson, hasKnownShape, type ConnectionRow } from '../report/connections-json.js';
import { reportCaptureIssues } from './common.js';

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

/** Elements of a top-level array made into text at a time (then written, with a wait for the
 *  output to drain): large enough that the per-call cost of JSON.stringify vanishes, small enough
 *  that the text of a batch stays a few hundred KB. */
const JSON_BATCH = 512;

/**
 * Writes JSON.stringify(doc, jsonReplacer, 2) + '\n' in pieces: the elements of each top-level
 * array are made into text a batch at a time, so no string of the whole document exists
 * (100,000 connections are about 40 MB of text) and a slow reader holds the writer back. The
 * bytes are the same: a batch is stringified as an array and its brackets dropped, and JSON
 * text has no raw line break inside a string, so indenting every line after a break moves the
 * elements to their depth.
 */
export async function writeJsonDocument(out: Output, doc: Record<string, unknown>, fast: { connections?: boolean } = {}): Promise<void> {
  const keys = Object.keys(doc).filter((k) => doc[k] !== undefined);
  if (keys.length === 0) {
    out.write('{}\n');
    return;
  }
  out.write('{');
  for (let i = 0; i < keys.length; i++) {
    const v = doc[keys[i]];
    out.write(`${i > 0 ? ',' : ''}\n  ${JSON.stringify(keys[i])}: `);
    if (v instanceof ConnectionList) {
      await writeConnectionList(out, v);
      continue;
    }
    if (!Array.isArray(v) || v.length === 0) {
      out.write(indentJson(stringify(v), '\n  '));
      continue;
    }
    out.write('[');
    for (let j = 0; j < v.length; j += JSON_BATCH) {
      if (fast.connections && keys[i] === 'connections' && hasKnownShape(v[j] as ConnectionRow)) {
        // field by field (same text); every summary comes from one object literal, so the
        // first of a batch stands for its shape
        const end = Math.min(v.length, j + JSON_BATCH);
        let text = j > 0 ? ',' : '';
        for (let k = j; k < end; k++) text += `${k > j ? ',' : ''}\n    ${connectionJson(v[k] as ConnectionRow, '    ')}`;
        out.write(text);
        await out.drain();
        continue;
      }
      const text = stringify(v.slice(j, j + JSON_BATCH));
      // "[\n  a,\n  b\n]" -> "\n    a,\n    b"
      out.write(`${j > 0 ? ',' : ''}${indentJson(text.slice(1, text.length - 2), '\n  ')}`);
      await out.drain();
    }
    out.write('\n  ]');
  }
  out.write('\n}\n');
}

/** A ConnectionList as the array of its summaries is written above (the same bytes, batch by
 *  batch with a wait for the output to drain): "[]" when empty. */
async function writeConnectionList(out: Output, list: ConnectionList): Promise<void> {
  if (list.length === 0) {
    out.write('[]');
    return;
  }
  out.write('[');
  for (let j = 0; j < list.length; j += JSON_BATCH) {
    const end = Math.min(list.length, j + JSON_BATCH);
    let text = j > 0 ? ',' : '';
    for (let k = j; k < end; k++) text += `${k > j ? ',' : ''}\n    ${list.json(k, '    ')}`;
    out.write(text);
    await out.drain();
  }
  out.write('\n  ]');
}

/** JSON.stringify(v, jsonReplacer, 2): without the replacer first (a replacer call per value
 *  costs more than the text), with it when a bigint is met (JSON.stringify throws on those). */
function stringify(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(v, jsonReplacer, 2);
  }
}

function indentJson(text: string, newline: string): string {
  return text.includes('\n') ? text.replace(/\n/g, newline) : text;
}

export async function diagnoseCommand(files: string[], opts: DiagnoseOptions, out: Output): Promise<number> {
  const showProgress = progressWanted(!!opts.quiet);
  const sizes = showProgress ? await Promise.all(files.map((f) => captureSize(f).catch(() => null))) : [];
  const total = sizes.length && sizes.every((s) => s !== null) ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : null;
  const progress = new Progress(total, { enabled: showProgress });
  const traces = await analyseFiles(files, out.drain, progress, sizes);
  // the terminal report shows no per-connection list; the HTML report shows the summaries; the
  // JSON document writes its list straight from the traces (ConnectionList)
  const model = buildReport(traces, { connections: !!opts.html });
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
      connections: opts.html ? model.connections : new ConnectionList(traces),
    };
    await writeJsonDocument(out, doc, { connections: true });
  } else {
    out.write(renderTerminal(model, { color: opts.color, width: Math.min(process.stdout.columns || 100, 120) }));
  }
  let code = 0;
  for (const c of model.captures) if (!c.stats.complete || c.stats.issues.some((i) => i.startsWith('file_truncated') || i.startsWith('record_length') || i.startsWith('block_length'))) code = 2;
  // the JSON document goes to a program: a person reading the terminal learns of the damage on stderr
  if (opts.json) for (const t of traces) for (const c of t.captures) reportCaptureIssues(c.path, { issues: c.issues, stoppedEarly: !c.complete });
  if (opts.failOn && model.findings.some((f) => atLeast(f.severity, opts.failOn!))) code = Math.max(code, EXIT_FINDINGS);
  return code;
}

export function parseSeverity(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new Error(`--fail-on takes one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}
