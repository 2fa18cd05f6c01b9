// Escaping for the HTML report. Every string that may come from a capture (file names, SMB
// paths, decoded arguments, finding text that quotes them) goes through escapeHtml before it is
// placed in markup, and data for the page's scripts goes through jsonForScript, so that nothing
// from a capture can close a tag, open a script or break out of an attribute.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute-value escaping (both quote styles). Control characters other than tab and
 *  newline are shown as \xNN, as in the terminal report, since they would be invisible. */
export function escapeHtml(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Numbers in embedded data are rounded to this many decimals: microseconds for times in
 *  seconds, nanoseconds for latencies in ms; more digits only make the file bigger. */
const JSON_DECIMALS = 1e6;

function compact(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)) return Math.round(v * JSON_DECIMALS) / JSON_DECIMALS;
  return v;
}

/** JSON for a `<script type="application/json">` element: `<`, `>` and `&` are written as
 *  \u escapes (so `</script>` or `<!--` inside a string cannot end the element) and so are the
 *  line separators U+2028/U+2029. JSON.parse reads it back unchanged. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v, compact)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
