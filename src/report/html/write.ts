// Building and writing the HTML report from analysed traces: the plot data (plotdata.ts), the
// second pass for the time-sequence graphs (pass.ts), then the page (html.ts).

import { writeFile } from 'node:fs/promises';
import type { AnalysedTrace } from '../../analysis/trace.js';
import type { ReportModel } from '../model.js';
import { buildPlotData, chooseTimeSequenceStreams, type PlotData } from '../plotdata.js';
import { renderHtml, type HtmlOptions } from '../html.js';
import { addTimeSequences } from './pass.js';

export interface HtmlBuildOptions extends HtmlOptions {
  /** read each capture a second time for the time-sequence graphs (not possible for stdin) */
  timeSequences?: boolean;
  /** awaited before each refill of the second pass's reads (progress) */
  onSecondPass?: (capture: number, path: string) => (() => Promise<void>) | undefined;
}

export async function buildHtmlPlots(traces: readonly AnalysedTrace[], model: ReportModel, opts: HtmlBuildOptions = {}): Promise<PlotData> {
  const plots = buildPlotData(traces, model);
  if (opts.timeSequences !== false) {
    const streams = traces.map((t, i) => chooseTimeSequenceStreams(t, model, i));
    await addTimeSequences(plots, traces, streams, opts.onSecondPass);
  }
  return plots;
}

export async function writeHtmlReport(path: string, traces: readonly AnalysedTrace[], model: ReportModel, opts: HtmlBuildOptions = {}): Promise<{ bytes: number; plots: PlotData }> {
  const plots = await buildHtmlPlots(traces, model, opts);
  const html = renderHtml(model, plots, opts);
  await writeFile(path, html);
  return { bytes: Buffer.byteLength(html), plots };
}
