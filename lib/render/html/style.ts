import { esc } from './escape.ts';
/** The stylesheet of `report.html`: readable on screen, compact on paper. */
export const PAGE_CSS = `
:root { --fg: #1d2430; --dim: #5b6574; --line: #d8dde4; --bg: #ffffff; --band: #f5f7fa; --pass: #1a7f37; --fail: #cf222e; --sim: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 18px 28px 12px; border-bottom: 4px solid var(--pass); background: var(--band); }
header.top.failed { border-bottom-color: var(--fail); }
main { padding: 0 28px 40px; max-width: 1500px; }
h1 { margin: 4px 0 6px; font-size: 24px; }
h2 { margin: 28px 0 8px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 18px 0 6px; font-size: 16px; }
h4 { margin: 12px 0 4px; font-size: 14px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--band); padding: 0 3px; border-radius: 3px; word-break: break-all; }
pre { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--band); border: 1px solid var(--line); padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; max-height: 420px; }
pre.error { border-color: var(--fail); color: var(--fail); }
.dim, .meta, .note, figcaption { color: var(--dim); }
.meta, .note, figcaption { font-size: 12.5px; }
.bad { color: var(--fail); font-weight: 600; }
.sim-banner { display: inline-block; font-size: 44px; font-weight: 800; letter-spacing: 0.12em; color: var(--sim); border: 4px solid var(--sim); padding: 2px 18px; margin: 4px 0 8px; border-radius: 6px; background: #fff8c5; }
.sim-banner small { display: block; font-size: 12.5px; letter-spacing: 0; font-weight: 600; }
.sim-tag { display: inline-block; font-size: 11.5px; font-weight: 800; letter-spacing: 0.06em; color: var(--sim); border: 1.5px solid var(--sim); padding: 0 5px; border-radius: 3px; background: #fff8c5; vertical-align: middle; }
.sim-note { color: var(--sim); font-weight: 600; }
.badge { display: inline-block; font-size: 11.5px; font-weight: 700; padding: 1px 7px; border-radius: 10px; color: #fff; background: var(--dim); vertical-align: middle; white-space: nowrap; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.tag { font-size: 11px; border: 1px solid var(--line); padding: 0 4px; border-radius: 3px; }
.overall { font-size: 15px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--band); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 500; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv td { max-width: 900px; word-break: break-word; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 10px 18px; }
figure.chart { margin: 6px 0 12px; break-inside: avoid; }
.plot { min-height: 120px; }
.plot .nojs { color: var(--dim); font-style: italic; }
.plot[data-rendered] .nojs { display: none; }
.swatch, .key i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: baseline; border-radius: 2px; }
.legend .key { margin-right: 12px; white-space: nowrap; }
svg.timeline { max-width: 1100px; font: 11px system-ui, sans-serif; }
svg.timeline .label { text-anchor: end; fill: var(--fg); }
svg.timeline .tick { text-anchor: middle; fill: var(--dim); }
svg.timeline .axis { text-anchor: middle; fill: var(--dim); }
svg.timeline .grid { stroke: var(--line); stroke-width: 1; }
svg.timeline .wait { stroke: #9aa3ae; stroke-width: 1.5; stroke-dasharray: 2 2; }
svg.timeline .m-sched { stroke: #ffffff; stroke-width: 2; }
svg.timeline .m-start { stroke: #000000; stroke-width: 2; }
svg.timeline .m-bound { fill: #ffffff; stroke: #000000; stroke-width: 1.5; }
.key i.k-wait { height: 0; border-top: 2px dashed #9aa3ae; }
.key i.k-sched { width: 3px; background: #ffffff; border: 1px solid #9aa3ae; }
.key i.k-start { width: 3px; background: #000000; }
.key i.k-bound { width: 9px; height: 9px; border-radius: 50%; border: 1.5px solid #000; background: #fff; }
details { margin: 4px 0; }
summary { cursor: pointer; color: var(--dim); }
ul.notes { color: var(--dim); font-size: 12.5px; }
@media print {
  header.top { background: none; }
  main { padding: 0 8px; max-width: none; }
  .grid { grid-template-columns: 1fr 1fr; }
  section.test { break-before: page; }
  pre { max-height: none; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
}
`;

/**
 * The start of a self-contained page up to `<body>`: charset, Content-Security-Policy, viewport,
 * generator and title (escaped), and the stylesheets (trusted CSS of this module and uPlot).
 */
export function pageHead(o: { csp: string; title: string; generator?: string; styles: readonly string[] }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(o.csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.generator ? `<meta name="generator" content="${esc(o.generator)}">\n` : ''}<title>${esc(o.title)}</title>
${o.styles.map((css) => `<style>${css}</style>`).join('\n')}
</head>`;
}
