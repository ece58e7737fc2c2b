/** The dashboard's page: the report's renderer and styles, the dashboard's script and layout. */
import { PAGE_CSS, PAGE_JS } from '../../sim/report/html/page.js';
import { DASHBOARD_JS } from './client.js';

const DASHBOARD_CSS = `
.top{display:flex;align-items:baseline;gap:14px}.top .dim{font-size:12px}
table.tbl,table.dslist{border-collapse:collapse;margin:6px 0 12px}
.dslist th,.tbl th{font-weight:600;color:#627d98;text-align:left;padding:3px 10px 3px 0;font-size:12px;border-bottom:1px solid #d9e2ec}
.dslist td,.tbl td{padding:3px 10px 3px 0;border-bottom:1px solid #f0f4f8;vertical-align:top}
.dslist td.n,.tbl td.n{text-align:right;font-variant-numeric:tabular-nums}
.dslist tr.current td{background:#e6f6ff}.dslist a{color:#2186eb;font-weight:600}
.phase.Complete{color:#147d64}.phase.Rolling,.phase.Pending{color:#b44d12}
.warn{color:#ab091e}.kind{color:#627d98;font-size:12px}.conds{font-size:12px;color:#486581}
#detail h2{margin-top:10px}#grid section.ds{border-top:none;margin-top:0}#grid h1,#grid .sub,#grid .dshead h2{display:none}#grid .dshead .strategy{margin-left:0}
.why{max-width:720px}#filter{font:13px system-ui,sans-serif;padding:2px 6px;width:320px;margin-left:10px;vertical-align:1px}
`;

/** The dashboard's HTML page (its data comes from /api/*). */
export function renderDashboardHtml(source: string): string {
  const esc = source.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>everynode dashboard</title>',
    '<link rel="icon" href="data:,">',
    `<style>${PAGE_CSS}${DASHBOARD_CSS}</style>`,
    '</head><body>',
    `<div class="top"><h1>everynode dashboard</h1><span id="source" class="dim">${esc}</span><span id="status" class="dim">connecting…</span></div>`,
    '<table class="dslist"><thead><tr><th>KIND</th><th>DAEMONSET</th><th>PHASE</th><th>DESIRED</th><th>CURRENT</th><th>READY</th><th>UP-TO-DATE</th><th>AVAILABLE</th><th>UNAVAILABLE</th><th>CONDITIONS</th><th>STRATEGY</th></tr></thead><tbody id="dsrows"></tbody></table>',
    '<div id="detail" style="display:none"><h2 id="dstitle"></h2>',
    '<div id="grid"></div>',
    '<h3>Why, node by node <input id="filter" placeholder="filter nodes, e.g. why no pod on node X"></h3>',
    '<p class="dim">The engine\'s decision for each node, computed read-only from the caches; NEXT is what the controller would do now.</p>',
    '<div id="nodes"></div>',
    '<h3>Revision history</h3><div id="history"></div></div>',
    '<div id="tip" class="tip"></div>',
    `<script>${PAGE_JS}\n${DASHBOARD_JS}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
