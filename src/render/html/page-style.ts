/** The page's one stylesheet: system fonts only (nothing from the network), fluid charts, print rules. */
export const PAGE_STYLE = `
:root { --fg: #1b1f24; --muted: #5b6470; --line: #d5dae0; --bg: #fff; --panel: #f6f8fa;
  --kept: #4c78a8; --wasted: #e45756; --metadata: #f2a93b; --inuse: #4c78a8; --reclaimable: #9ecae9;
  --run: #4c78a8; --stall: #d62728; --episode: rgba(214, 39, 40, 0.12); --iops: #54a24b; --await: #b279a2; --dstate: #7f7f7f; --credits: #e45756; --cleared: #2ca02c;
  --error: #b42318; --warn: #b54708; --info: #175cd3; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 64rem; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
td, dd, p, li, h1, h2, h4, code, figcaption, caption { overflow-wrap: anywhere; }
thead th { white-space: nowrap; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; } h4 { font-size: 1rem; margin: 0 0 0.3rem; } h5 { font-size: 0.9rem; margin: 0.5rem 0 0.2rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.85em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); padding: 0.5rem; border-radius: 4px; margin: 0.3rem 0; }
.muted, .note { color: var(--muted); }
nav ol { padding-left: 1.2rem; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 0.8rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.layers td:last-child { min-width: 12rem; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.3rem 1rem; margin: 0.8rem 0; }
dl.facts div { min-width: 0; } dt { color: var(--muted); font-size: 0.8rem; } dd { margin: 0; }
figure.chart { margin: 1rem 0; }
figure.chart svg { width: 100%; height: auto; display: block; font: 11px system-ui, sans-serif; }
figcaption { font-weight: 600; font-size: 0.9rem; }
.legend { list-style: none; padding: 0; margin: 0.2rem 0; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; font-size: 0.8rem; color: var(--muted); }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; border-radius: 2px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.sw-kept, .sw-inuse, .sw-run, .sw-step { background: var(--kept); } .sw-wasted { background: var(--wasted); } .sw-metadata { background: var(--metadata); }
.sw-reclaimable, .sw-cached { background: var(--reclaimable); } .sw-stall { background: var(--stall); } .sw-episode { background: var(--episode); border: 1px solid var(--stall); }
svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
svg .plot-bg { fill: none; }
svg .tick line, svg line.grid { stroke: var(--line); stroke-width: 1; }
svg .tick text, svg .tick-label { fill: var(--muted); }
svg .panel-label, svg .axis-label { fill: var(--muted); font-size: 11px; }
svg .row-label, svg .step-label, svg .value-label { fill: var(--fg); }
svg .run { fill: var(--run); } svg .run-range { stroke: var(--run); stroke-width: 1.5; fill: none; }
svg .run-failed path { stroke: var(--fg); stroke-width: 1.5; }
svg .stall-mark line { stroke: var(--stall); stroke-width: 1; stroke-dasharray: 3 2; } svg .stall-mark circle { fill: var(--stall); stroke: #fff; stroke-width: 1; }
svg .episode-band { fill: var(--episode); }
svg .series polyline, svg .series path { fill: none; stroke-width: 1.5; }
svg .series-iops polyline, svg .series-iops path { stroke: var(--iops); } svg .series-await polyline, svg .series-await path { stroke: var(--await); }
svg .series-dstate rect { fill: var(--dstate); }
svg .series-credits polyline, svg .series-credits path { stroke: var(--credits); } svg .series-credits circle { fill: var(--credits); } svg .credit-band { fill: var(--credits); fill-opacity: 0.15; stroke: none; }
svg .finding-mark line { stroke-width: 1; stroke-dasharray: 3 2; } svg .finding-mark.raised line, svg .finding-mark.raised path { stroke: var(--stall); fill: var(--stall); }
svg .finding-mark.cleared line, svg .finding-mark.cleared rect { stroke: var(--cleared); fill: var(--cleared); }
.sw-iops { background: var(--iops); } .sw-await { background: var(--await); } .sw-credits { background: var(--credits); } .sw-dstate { background: var(--dstate); }
.sw-raised { background: var(--stall); } .sw-cleared { background: var(--cleared); }
svg .seg-kept, svg .seg-inuse { fill: var(--kept); } svg .seg-wasted { fill: var(--wasted); } svg .seg-metadata { fill: var(--metadata); }
svg .seg-reclaimable { fill: var(--reclaimable); } svg .hit { fill: transparent; }
svg .depth-bar rect { fill: var(--kept); }
svg .step-bar rect { fill: var(--kept); } svg .step-bar.cached rect { fill: var(--reclaimable); }
.sw-push { background: var(--iops); } .sw-pull { background: var(--await); } svg .seg-push { fill: var(--iops); } svg .seg-pull { fill: var(--await); } svg .seg-run { fill: var(--run); }
svg a:focus { outline: 2px solid var(--info); }
.finding { border-left: 4px solid var(--line); padding: 0.4rem 0.8rem; margin: 0.8rem 0; background: var(--panel); border-radius: 0 4px 4px 0; }
.finding:target { outline: 2px solid var(--info); }
.sev-error { border-left-color: var(--error); } .sev-warn { border-left-color: var(--warn); } .sev-info { border-left-color: var(--info); }
.severity { text-transform: uppercase; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.03em; }
.sev-error .severity { color: var(--error); } .sev-warn .severity { color: var(--warn); } .sev-info .severity { color: var(--info); }
.finding-meta { margin: 0 0 0.3rem; font-size: 0.85rem; color: var(--muted); }
table.evidence th { font-weight: normal; color: var(--muted); }
.overview-findings li { margin: 0.2rem 0; }
footer { margin-top: 3rem; font-size: 0.8rem; color: var(--muted); }
@media (max-width: 480px) { body { padding: 0.6rem; font-size: 14px; } dl.facts { grid-template-columns: 1fr 1fr; } }
/* a phone: a chart keeps a width at which its text reads (about 8 px) and scrolls inside its own box, never the page */
@media screen and (max-width: 600px) { figure.chart { overflow-x: auto; } figure.chart svg { min-width: 560px; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; } section.document:first-of-type h2 { break-before: auto; }
  figure.chart, .finding, table, dl.facts { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
`;
