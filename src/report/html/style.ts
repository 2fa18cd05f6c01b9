// The report's style sheet, inlined in the page (no external resources: the file opens offline).
export const STYLE = `
:root { --ink:#24292f; --mute:#57606a; --line:#d0d7de; --crit:#a40e26; --err:#cf222e; --warn:#bc4c00; --info:#0969da; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.mute { color: var(--mute); } code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.verdict { border-radius: 8px; padding: 12px 16px; margin: 12px 0; background: var(--bg); border-left: 6px solid var(--info); }
.verdict.sev-critical { border-color: var(--crit); background: #ffebe9; } .verdict.sev-error { border-color: var(--err); background: #fff1f0; }
.verdict.sev-warning { border-color: var(--warn); background: #fff8c5; } .verdict.sev-none { border-color: #1a7f37; background: #dafbe1; }
.verdict .head { font-size: 17px; font-weight: 600; } .verdict ol { margin: 6px 0 0; padding-left: 22px; }
.badge { display: inline-block; border-radius: 4px; padding: 0 7px; font-size: 12px; font-weight: 700; color: #fff; text-transform: uppercase; vertical-align: 1px; }
.badge.critical { background: var(--crit); } .badge.error { background: var(--err); } .badge.warning { background: var(--warn); } .badge.info { background: var(--info); }
.finding { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 14px 0; }
.finding .rule { font-weight: 600; } .finding .conn { color: var(--mute); margin-left: 8px; }
.finding .summary { font-size: 15px; font-weight: 600; margin: 6px 0; }
.defect { background: #fff8c5; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.metrics { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--mute); font-size: 12.5px; margin: 6px 0; }
svg.ladder { display: block; max-width: 100%; margin: 8px 0; background: #fff; }
svg.ladder .host { font: 600 14px system-ui, sans-serif; fill: var(--ink); } svg.ladder .hostaddr { font: 12px ui-monospace, monospace; fill: var(--mute); }
svg.ladder .life { stroke: #8c959f; stroke-width: 2; } svg.ladder .life.other { stroke-dasharray: 4 4; }
svg.ladder .msg { stroke: #1f6feb; stroke-width: 1.6; } svg.ladder .msg.lab { stroke: #bc4c00; } svg.ladder .msg.other { stroke: #8250df; stroke-dasharray: 5 3; }
svg.ladder .msg.hi { stroke: #cf222e; stroke-width: 3; }
svg.ladder .tell { fill: #ffebe9; } svg.ladder .lbl { font: 12px ui-monospace, monospace; fill: var(--ink); } svg.ladder .lbl.hi { font-weight: 700; fill: #a40e26; }
svg.ladder .wl { fill: #bc4c00; font-weight: 600; } svg.ladder .tm { font: 11.5px ui-monospace, monospace; fill: var(--mute); } svg.ladder .tm.hi { fill: #a40e26; font-weight: 700; }
svg.ladder .gap { font: italic 12px system-ui, sans-serif; fill: #a40e26; }
canvas.plot { display: block; width: 100%; border: 1px solid var(--line); border-radius: 6px; margin: 6px 0 14px; }
.row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; } .row2 canvas.plot { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#conns th { cursor: pointer; user-select: none; background: var(--bg); position: sticky; top: 0; }
#conns th[data-sort=asc]::after { content: " ▲"; } #conns th[data-sort=desc]::after { content: " ▼"; }
#conns tr.f td { background: #fff8c5; } #conns tr.bad td.end { color: var(--err); font-weight: 600; }
.tablewrap { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.controls { display: flex; gap: 16px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
.controls input[type=search] { padding: 4px 8px; width: 280px; border: 1px solid var(--line); border-radius: 6px; }
.note { color: var(--mute); font-size: 12.5px; }
`;
