/**
 * The self-contained HTML report: the grid document gzip-compressed and base64-encoded into the
 * page, the page script and the styles inlined. It fetches nothing: it opens from a file, offline.
 */
import { gzipSync } from 'node:zlib';
import type { GridDoc } from '../grid/model.js';
import { CLIENT_DATA } from './client-data.js';
import { CLIENT_LANE } from './client-lane.js';
import { CLIENT_VIEW } from './client-view.js';

/** The styles of the report and the dashboard. */
export const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;padding:16px 20px 60px;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#102a43;background:#fff}
h1{font-size:20px;margin:0 0 2px}h2{font-size:16px;margin:0;display:inline-block}
.sub{color:#627d98;margin:0 0 8px;max-width:1100px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 10px}
.key{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;border:1px solid rgba(0,0,0,.15);vertical-align:-1px;margin-right:4px}
.sw.mark{height:4px}
.checks{border:1px solid #d9e2ec;border-radius:6px;padding:6px 10px;margin:6px 0 14px;max-width:1100px}
.checks h3{margin:0 0 4px;font-size:14px}.good{color:#147d64}.bad{color:#ab091e}
.check .mk{display:inline-block;width:18px;font-weight:bold}.check.pass .mk{color:#147d64}.check.fail .mk{color:#ab091e}
.check .msg{margin-left:18px;color:#ab091e}
section.ds{border-top:2px solid #d9e2ec;padding-top:10px;margin-top:14px}
.dshead .strategy{display:inline-block;margin-left:10px;color:#486581}
.dshead .fact{color:#334e68}
.crumbs{margin:6px 0 4px;color:#334e68}.crumbs a{color:#2186eb}.crumbs button{font:inherit;font-size:12px}
.hint{color:#829ab1;font-size:12px}
.lanebody{display:flex;align-items:flex-start}
.labels{position:relative;width:230px;flex:none;margin-right:8px;overflow:hidden}
.labels .row{position:absolute;left:0;right:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#334e68;padding-right:4px;text-align:right}
.labels .row.group{font-weight:600;color:#102a43;text-align:left;cursor:pointer;background:#eef2f7}
.labels .row.band{cursor:pointer;color:#2186eb}
.canvaswrap{position:relative;flex:none;cursor:crosshair}
canvas.grid{display:block;image-rendering:pixelated;border-left:1px solid #bcccdc}
.sel{position:absolute;top:0;display:none;background:rgba(33,134,235,.18);border:1px solid #2186eb;pointer-events:none}
.axisrow{display:flex}.axispad{width:238px;flex:none}
.axis{position:relative;height:18px;border-top:1px solid #bcccdc;font-size:11px;color:#627d98}
.tick{position:absolute;top:1px;transform:translateX(-50%);white-space:nowrap}
.plotrow{display:flex;align-items:flex-start;margin-top:6px}
.plotkeys{width:230px;flex:none;margin-right:8px;text-align:right;font-size:12px;color:#334e68}
.plotkeys .key{display:flex;justify-content:flex-end}
.ln{display:inline-block;width:18px;height:0;margin-right:5px;vertical-align:middle}
svg.plot{display:block;border-left:1px solid #bcccdc;border-bottom:1px solid #bcccdc;overflow:visible}
.series{fill:none;stroke-width:2}.gridline{stroke:#eef2f7}
.evline{stroke:rgba(16,42,67,.15)}.evline.rollout{stroke:rgba(16,42,67,.45)}
.evmark{fill:#829ab1}.evmark.rollout{fill:#102a43}.evmark.warning{fill:#de911d}.evmark.node{fill:#9fb3c8}
.cursor{stroke:#102a43;stroke-dasharray:2 2}.ylab{font-size:10px;fill:#829ab1}
details.events{margin:8px 0 0 238px}details.events summary{cursor:pointer;color:#334e68}
.evtable{border-collapse:collapse;margin-top:4px}.evtable td{padding:1px 8px 1px 0;vertical-align:top}
.evt a{color:#2186eb;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.warning td{color:#b44d12}tr.rollout td{font-weight:600}
.tip{position:fixed;display:none;z-index:10;max-width:460px;background:#102a43;color:#f0f4f8;padding:6px 9px;border-radius:5px;font-size:12px;line-height:1.45;pointer-events:none;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.tip .dim,.dim{color:#9fb3c8}
`;

/** The page script: EN.decode, EN.mount and the parts they use. */
export const PAGE_JS = `${CLIENT_DATA}\n${CLIENT_LANE}\n${CLIENT_VIEW}`;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The document as the page carries it: JSON, gzip, base64. */
export function encodeDoc(doc: GridDoc): string {
  return gzipSync(JSON.stringify(doc), { level: 9 }).toString('base64');
}

/** Renders the self-contained report page for a grid document. */
export function renderReportHtml(doc: GridDoc): string {
  const boot = `
(function () {
  var started = performance.now();
  var data = document.getElementById('grid-data');
  EN.decode(data.textContent).then(function (doc) {
    EN.page = EN.mount(document.getElementById('app'), doc);
    window.EN_RENDER_MS = performance.now() - started;
    document.body.setAttribute('data-ready', '1');
  }).catch(function (err) {
    document.getElementById('app').textContent = 'This report could not be opened: ' + err;
    throw err;
  });
})();`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head><body>',
    '<div id="app">Loading the report…</div>',
    '<div id="tip" class="tip"></div>',
    `<script type="application/octet-stream" id="grid-data">${encodeDoc(doc)}</script>`,
    `<script>${PAGE_JS}\n${boot}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
