// Style rules of the compare report, added after the shared STYLE (style.ts). One colour per
// packet fate, used alike by the side-by-side table, the finding evidence and the delay plot's
// event strip (compareClient.ts KIND_COLOURS): lost red, injected orange, modified yellow,
// reordered purple, not captured grey, missing at both blue.
export const COMPARE_STYLE = `
:root { --lost:#cf222e; --inj:#bc4c00; --mod:#9a6700; --reo:#8250df; --nc:#6e7781; --gap:#0969da; --colA:#ddf4ff; --colB:#dafbe1; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 8px 0; }
.side { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; overflow-wrap: anywhere; }
.side.a { border-top: 4px solid #1f6feb; } .side.b { border-top: 4px solid #1a7f37; }
.side .path { font-weight: 600; }
table.glance { width: auto; min-width: 560px; } table.glance td.bad { color: var(--err); font-weight: 700; }
table.glance th:first-child, table.glance td:first-child { padding-right: 24px; }
table.glance td.warnv { color: var(--warn); font-weight: 700; }
.kind { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 700; color: #fff; white-space: nowrap; }
.kind.lost { background: var(--lost); } .kind.injected { background: var(--inj); } .kind.modified { background: var(--mod); }
.kind.reordered { background: var(--reo); } .kind.not-captured-downstream, .kind.not-captured-upstream { background: var(--nc); }
.kind.missing-at-both { background: var(--gap); } .kind.matched { background: #fff; color: var(--mute); border: 1px solid var(--line); font-weight: 400; }
table.sbs { font-size: 12.5px; }
table.sbs thead th { position: sticky; background: var(--bg); z-index: 1; }
table.sbs thead tr:first-child th { top: 0; } table.sbs thead tr:nth-child(2) th { top: 25px; }
table.sbs th.colA, table.sbs td.colA { background: #f3f9ff; } table.sbs th.colB, table.sbs td.colB { background: #f3fbf5; }
table.sbs thead th.colA { background: var(--colA); } table.sbs thead th.colB { background: var(--colB); }
table.sbs .side-head { font-size: 13px; max-width: 300px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table.sbs td.mid { text-align: center; font-family: ui-monospace, monospace; color: var(--mute); min-width: 120px; }
table.sbs td.mid .arrow { font-size: 15px; color: var(--ink); }
table.sbs td.absent { text-align: center; font-style: italic; font-weight: 600; }
table.sbs tr.k-lost td.absent { color: var(--lost); background: repeating-linear-gradient(135deg, #ffebe9 0 6px, #fff 6px 12px); }
table.sbs tr.k-injected td.absent { color: var(--inj); background: repeating-linear-gradient(135deg, #fff1e5 0 6px, #fff 6px 12px); }
table.sbs tr.k-not-captured-downstream td.absent, table.sbs tr.k-not-captured-upstream td.absent { color: var(--nc); background: repeating-linear-gradient(135deg, #eaeef2 0 6px, #fff 6px 12px); }
table.sbs tr.k-lost td.mid .arrow { color: var(--lost); font-weight: 700; } table.sbs tr.k-injected td.mid .arrow { color: var(--inj); font-weight: 700; }
table.sbs tr.k-lost td:first-child { box-shadow: inset 5px 0 var(--lost); } table.sbs tr.k-injected td:first-child { box-shadow: inset 5px 0 var(--inj); }
table.sbs tr.k-modified td:first-child { box-shadow: inset 5px 0 var(--mod); } table.sbs tr.k-reordered td:first-child { box-shadow: inset 5px 0 var(--reo); }
table.sbs tr.k-not-captured-downstream td:first-child, table.sbs tr.k-not-captured-upstream td:first-child { box-shadow: inset 5px 0 var(--nc); }
table.sbs tr.k-missing-at-both td:first-child { box-shadow: inset 5px 0 var(--gap); }
table.sbs tr.k-modified td.detail { background: #fff8c5; font-weight: 600; }
table.sbs tr.k-matched td { color: var(--mute); }
table.sbs tr:target td { outline: 2px solid var(--info); outline-offset: -2px; }
.evidence { margin: 8px 0 4px; } .evlist { display: flex; flex-wrap: wrap; gap: 4px 6px; margin-top: 4px; }
.ev { border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; text-decoration: none; color: var(--ink); background: var(--bg); white-space: nowrap; }
a.ev:hover { border-color: var(--info); }
.filters label { white-space: nowrap; }
`;
