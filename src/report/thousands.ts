// Numbers with their thousands grouped, as the reports print counts ("224,319 frames").

/**
 * `n.toLocaleString('en-US')` for a safe integer, without ICU: the first toLocaleString call of a
 * process builds the locale's number formatter (about 20 ms measured), which a one-shot command
 * like `pcapdx diagnose` would pay for the three counts of its capture summary. Other values
 * (fractions, -0, beyond 2^53, NaN) still go through toLocaleString.
 */
export function thousands(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}
