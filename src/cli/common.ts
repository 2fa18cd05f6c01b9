// Pieces shared by the commands: escaping untrusted text for the terminal, time formatting at a
// capture's precision, and a readable message for a capture that cannot be opened.

import { CaptureOpenError } from '../capture/open.js';
import type { CaptureIssue } from '../capture/types.js';

/** Damage lines one command writes per capture to standard error (`pcapdx info FILE` lists every
 *  kind with its first occurrence). */
export const MAX_ISSUE_LINES = 10;

/** A capture's damage on standard error, one line each: the file, the severity, what is wrong,
 *  the byte offset and the frame it follows (the output on stdout covers the frames that could be
 *  read). Returns the exit status it calls for: 2 when reading stopped at the damage, else 0. */
export function reportCaptureIssues(file: string, summary: { issues: readonly CaptureIssue[]; stoppedEarly: boolean }): number {
  const shown = summary.issues.slice(0, MAX_ISSUE_LINES);
  for (const i of shown) {
    process.stderr.write(`pcapdx: ${termSafe(file)}: ${i.severity}: ${termSafe(i.message)} (byte offset ${i.offset}, after frame ${i.frame})\n`);
  }
  if (summary.issues.length > shown.length) process.stderr.write(`pcapdx: ${termSafe(file)}: ${summary.issues.length - shown.length} more (pcapdx info lists them by kind)\n`);
  return summary.stoppedEarly ? 2 : 0;
}

/** Replaces control characters (including ESC, so no terminal escape sequence from a capture
 *  reaches the screen) with visible escapes. */
export function termSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Seconds with `digits` fraction digits from an exact integer count of nanoseconds. */
export function formatSecondsNs(ns: number, digits: number): string {
  const neg = ns < 0;
  const a = Math.abs(ns);
  const sec = Math.floor(a / 1e9);
  const frac = a - sec * 1e9;
  const s = (neg ? '-' : '') + sec;
  return digits > 0 ? `${s}.${String(frac).padStart(9, '0').slice(0, digits)}` : s;
}

export function describeError(e: unknown): string {
  if (e instanceof CaptureOpenError) return `pcapdx: ${termSafe(e.message)}`;
  const err = e as NodeJS.ErrnoException;
  return `pcapdx: ${termSafe(err?.message ?? String(e))}`;
}

export function plural(n: number, word: string, many = word + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
