/**
 * The dashboard's page script (plain browser JavaScript kept as a string; see the report's
 * client-*.ts for the grid renderer it uses): the DaemonSet list, the selected DaemonSet's node
 * grid, "why" per node and revision history, refreshed when the server's event stream says that
 * something changed. No template literals inside, no "</script".
 */
export const DASHBOARD_JS = String.raw`
(function () {
  var sel = decodeURIComponent(location.hash.slice(1)) || null;
  var page = null, pageKey = null, busy = false, again = false, lastList = null;
  EN.alwaysLegend = true;
  function get(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }
  function cell(tag, text, cls) { return EN.el(tag, { text: String(text), class: cls || '' }); }
  function renderList(list) {
    lastList = list;
    document.getElementById('source').textContent = list.source + ' · ' + list.nodes + ' nodes';
    var tb = document.getElementById('dsrows');
    tb.textContent = '';
    if (list.daemonSets.length === 0) tb.appendChild(EN.el('tr', {}, [EN.el('td', { colspan: 11, text: 'No DaemonSets.' })]));
    if (!sel && list.daemonSets.length > 0) sel = list.daemonSets[0].key;
    list.daemonSets.forEach(function (d) {
      var c = d.counts;
      var conds = d.conditions.map(function (x) { return x.type + '=' + x.status + (x.reason ? ' (' + x.reason + ')' : ''); }).join(', ') || '-';
      var name = EN.el('a', { href: '#' + encodeURIComponent(d.key), text: d.namespace + '/' + d.name });
      var tr = EN.el('tr', { class: d.key === sel ? 'current' : '', 'data-ds': d.key }, [
        cell('td', d.kind === 'everynode' ? 'everynode CRD' : 'apps/v1', 'kind'),
        EN.el('td', {}, [name]),
        cell('td', d.phase, 'phase ' + d.phase),
        cell('td', c.desired, 'n'), cell('td', c.current, 'n'), cell('td', c.ready, 'n'),
        cell('td', c.updated, 'n'), cell('td', c.available, 'n'), cell('td', c.unavailable, 'n' + (c.unavailable ? ' warn' : '')),
        cell('td', conds, 'conds'), cell('td', d.strategy, 'strategy'),
      ]);
      tb.appendChild(tr);
    });
  }
  function renderHistory(d) {
    var box = document.getElementById('history');
    box.textContent = '';
    if (!d) return;
    var t = EN.el('table', { class: 'tbl' }, [EN.el('tr', {}, ['REVISION', 'HASH', 'IMAGES', 'CHANGE-CAUSE', 'CREATED'].map(function (h) { return cell('th', h); }))]);
    d.revisions.forEach(function (r) {
      t.appendChild(EN.el('tr', {}, [cell('td', r.revision, 'n'), cell('td', r.hash), cell('td', r.images.join(', ')), cell('td', r.changeCause || '<none>'), cell('td', r.created)]));
    });
    box.appendChild(t);
  }
  function renderNodes(n) {
    var box = document.getElementById('nodes');
    var q = (document.getElementById('filter').value || '').toLowerCase();
    box.textContent = '';
    if (n.error) box.appendChild(EN.el('p', { class: 'warn', text: 'The engine could not plan this DaemonSet: ' + n.error }));
    var creates = {}, deletes = {};
    n.create.forEach(function (x) { creates[x.node] = x.reason; });
    n.delete.forEach(function (x) { deletes[x.node] = (deletes[x.node] ? deletes[x.node] + '; ' : '') + 'delete ' + x.name + ': ' + x.reason; });
    var rows = n.nodes.filter(function (x) { return !q || x.name.toLowerCase().indexOf(q) >= 0; });
    var t = EN.el('table', { class: 'tbl' }, [EN.el('tr', {}, ['NODE', 'SHOULD-RUN', 'CONTINUE', 'PODS', 'WHY', 'NEXT'].map(function (h) { return cell('th', h); }))]);
    rows.slice(0, 500).forEach(function (x) {
      var next = creates[x.name] !== undefined ? 'create a pod: ' + creates[x.name] : deletes[x.name] || '';
      t.appendChild(EN.el('tr', { 'data-node': x.name }, [
        cell('td', x.name), cell('td', x.shouldRun ? 'yes' : 'no', x.shouldRun ? '' : 'warn'),
        cell('td', x.shouldContinueRunning ? 'yes' : 'no', x.shouldContinueRunning ? '' : 'warn'),
        cell('td', x.pods.join(', ') || '-'), cell('td', x.reason || (x.pods.length ? 'runs its pod' : '-'), 'why'), cell('td', next),
      ]));
    });
    box.appendChild(t);
    if (rows.length > 500) box.appendChild(EN.el('p', { class: 'dim', text: (rows.length - 500) + ' more nodes; type in the filter to narrow' }));
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    get('/api/daemonsets').then(function (list) {
      renderList(list);
      var d = list.daemonSets.find(function (x) { return x.key === sel; });
      document.getElementById('detail').style.display = d ? 'block' : 'none';
      if (!d) return list.version;
      document.getElementById('dstitle').textContent = d.namespace + '/' + d.name + ' (' + (d.kind === 'everynode' ? 'everynode CRD' : 'apps/v1') + ')';
      renderHistory(d);
      return Promise.all([get('/api/grid?ds=' + encodeURIComponent(sel)), get('/api/nodes?ds=' + encodeURIComponent(sel))]).then(function (r) {
        if (page && pageKey === sel) page.update(r[0]);
        else { page = EN.mount(document.getElementById('grid'), r[0]); pageKey = sel; }
        lastNodes = r[1];
        renderNodes(r[1]);
        return list.version;
      });
    }).then(function (v) {
      document.body.setAttribute('data-version', String(v));
      document.body.setAttribute('data-refreshes', String(++refreshes));
      document.body.setAttribute('data-ready', '1');
      document.getElementById('status').textContent = 'live · updated ' + new Date().toLocaleTimeString();
    }).catch(function (err) {
      document.getElementById('status').textContent = 'error: ' + err.message;
    }).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  var lastNodes = null, refreshes = 0;
  // The time axis moves on even when nothing changes: redraw now and then while visible.
  setInterval(function () { if (!document.hidden) refresh(); }, 3000);
  document.getElementById('filter').addEventListener('input', function () { if (lastNodes) renderNodes(lastNodes); });
  window.addEventListener('hashchange', function () { sel = decodeURIComponent(location.hash.slice(1)) || null; page = null; refresh(); });
  var es = new EventSource('/api/events');
  es.addEventListener('change', function () { refresh(); });
  es.onerror = function () { document.getElementById('status').textContent = 'disconnected; retrying…'; };
  refresh();
})();
`;
