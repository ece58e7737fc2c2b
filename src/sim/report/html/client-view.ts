/**
 * The page script, part 3 of 3: one section per DaemonSet (its facts, the swimlane, the plot of
 * desired / updated / available / unavailable against the maxUnavailable budget with the
 * timeline's events as markers, the events list), the legend, the checks, the tooltip, and
 * EN.mount / EN.update, which the report page and the dashboard call.
 */
export const CLIENT_VIEW = String.raw`
EN.showTip = function (html, x, y) {
  var t = document.getElementById('tip');
  t.innerHTML = html; t.style.display = 'block';
  var w = t.offsetWidth, h = t.offsetHeight;
  t.style.left = Math.max(4, Math.min(window.innerWidth - w - 8, x + 14)) + 'px';
  t.style.top = (y + 16 + h > window.innerHeight ? Math.max(4, y - h - 10) : y + 16) + 'px';
};
EN.hideTip = function () { document.getElementById('tip').style.display = 'none'; };

EN.SERIES = [
  { id: 'desired', label: 'desired', color: '#334e68', dash: '5 3' },
  { id: 'updated', label: 'updated', color: '#2186eb' },
  { id: 'available', label: 'available', color: '#27ab83' },
  { id: 'unavailable', label: 'unavailable', color: '#e12d39' },
  { id: 'budget', label: 'maxUnavailable budget', color: '#de911d', dash: '2 3' },
];

EN.DsView = function (doc, ds, idx, opts) {
  var self = this;
  this.doc = doc; this.ds = ds; this.idx = idx; this.opts = opts || {};
  this.t0 = 0; this.t1 = this.endT(); this.follow = true;
  this.root = EN.el('section', { class: 'ds', 'data-ds': ds.key });
  this.head = EN.el('div', { class: 'dshead' });
  this.root.appendChild(this.head);
  this.lane = new EN.Lane(this, ds, idx);
  this.root.appendChild(this.lane.root);
  this.plotWrap = EN.el('div', { class: 'plotrow' });
  this.root.appendChild(this.plotWrap);
  this.events = EN.el('details', { class: 'events' });
  this.root.appendChild(this.events);
  this.plotWrap.addEventListener('mousemove', function (e) { self.plotHover(e); });
  this.plotWrap.addEventListener('mouseleave', function () { EN.hideTip(); if (self.cursor) self.cursor.setAttribute('visibility', 'hidden'); });
};

EN.DsView.prototype.endT = function () { return Math.max(1000, this.doc.axis.endT); };
EN.DsView.prototype.width = function () {
  return Math.max(300, (this.root.clientWidth || document.body.clientWidth - 40) - EN.LABEL_W - 8);
};
EN.DsView.prototype.zoom = function (a, b) {
  if (b - a < 50) b = a + 50;
  this.t0 = Math.max(0, a); this.t1 = Math.min(this.endT(), b);
  this.follow = this.t0 === 0 && this.t1 === this.endT();
  this.draw();
};
EN.DsView.prototype.setDoc = function (doc, ds) {
  this.doc = doc; this.ds = ds; this.lane.doc = doc; this.lane.ds = ds;
  // Nodes may have joined: the outermost scope is always every node of the new document.
  this.lane.scopes[0] = { label: 'all ' + doc.order.length + ' nodes', nodes: doc.order };
  if (this.follow) { this.t0 = 0; this.t1 = this.endT(); }
  this.draw();
};

EN.DsView.prototype.draw = function () {
  var ds = this.ds, doc = this.doc;
  this.head.innerHTML = '<h2>' + EN.esc(ds.key) + '</h2><div class="strategy">' + EN.esc(ds.strategy) + '</div>' +
    (ds.facts || []).map(function (f) { return '<div class="fact">' + EN.esc(f) + '</div>'; }).join('');
  this.lane.draw();
  this.drawPlot();
  this.drawEvents();
};

EN.DsView.prototype.drawPlot = function () {
  var doc = this.doc, s = this.ds.series, W = this.lane.W, H = 150, padT = 14;
  var t0 = this.t0, t1 = this.t1, sx = W / Math.max(1, t1 - t0);
  var max = 1;
  EN.SERIES.forEach(function (d) { s[d.id].forEach(function (v) { if (v > max) max = v; }); });
  max = Math.ceil(max * 1.1);
  var sy = (H - padT - 4) / max;
  function Y(v) { return (H - 4 - v * sy).toFixed(1); }
  var NS = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('class', 'plot');
  function add(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    svg.appendChild(e); return e;
  }
  [0, 0.5, 1].forEach(function (f) {
    var v = Math.round(max * f);
    add('line', { x1: 0, x2: W, y1: Y(v), y2: Y(v), class: 'gridline' });
  });
  var n = s.t.length;
  EN.SERIES.forEach(function (d) {
    var vals = s[d.id];
    var i = EN.seriesAt(s, t0);
    var parts = [], cur = i < 0 ? null : vals[i];
    var x = 0;
    if (cur !== null && cur >= 0) parts.push('M0 ' + Y(cur));
    for (var j = Math.max(0, i + 1); j < n && s.t[j] <= t1; j++) {
      x = ((s.t[j] - t0) * sx).toFixed(1);
      var v = vals[j];
      if (cur !== null && cur >= 0) parts.push('H' + x);
      if (v >= 0) parts.push((cur !== null && cur >= 0 ? 'V' : 'M' + x + ' ') + Y(v));
      cur = v;
    }
    if (cur !== null && cur >= 0) parts.push('H' + W);
    if (parts.length === 0) return;
    add('path', { d: parts.join(' '), stroke: d.color, 'stroke-dasharray': d.dash || '', 'data-series': d.id, class: 'series' });
  });
  add('text', { x: W - 3, y: 11, class: 'ylab', 'text-anchor': 'end' }, String(max));
  // Events as markers along the top; rollouts darker.
  doc.events.forEach(function (e) {
    if (e.ds !== -1 && e.ds !== this.idx) return;
    if (e.t < t0 || e.t > t1) return;
    var x = (e.t - t0) * sx;
    add('line', { x1: x, x2: x, y1: padT, y2: H - 4, class: 'evline' + (e.kind === 'rollout' ? ' rollout' : '') });
    var m = add('path', { d: 'M' + (x - 4) + ' 2 L' + (x + 4) + ' 2 L' + x + ' 10 Z', class: 'evmark ' + e.kind, 'data-event': e.kind });
    var title = document.createElementNS(NS, 'title'); title.textContent = EN.fmtT(doc, e.t, true) + '  ' + e.text; m.appendChild(title);
  }, this);
  this.cursor = add('line', { x1: 0, x2: 0, y1: padT, y2: H, class: 'cursor', visibility: 'hidden' });
  this.plotWrap.textContent = '';
  var keys = EN.el('div', { class: 'plotkeys' }, EN.SERIES.map(function (d) {
    return EN.el('div', { class: 'key' }, [EN.el('i', { class: 'ln', style: 'border-top:2px ' + (d.dash ? 'dashed ' : 'solid ') + d.color }), d.label]);
  }));
  this.plotWrap.appendChild(keys);
  this.plotWrap.appendChild(svg);
  this.svg = svg; this.sx = sx;
};

EN.DsView.prototype.plotHover = function (e) {
  if (!this.svg) return;
  var b = this.svg.getBoundingClientRect(), x = e.clientX - b.left;
  if (x < 0 || x > b.width) { EN.hideTip(); return; }
  var t = this.t0 + x / this.sx, s = this.ds.series, i = EN.seriesAt(s, t), doc = this.doc;
  this.cursor.setAttribute('x1', x); this.cursor.setAttribute('x2', x); this.cursor.setAttribute('visibility', 'visible');
  var html = '<b>' + EN.fmtT(doc, t, true) + '</b>';
  EN.SERIES.forEach(function (d) {
    var v = i < 0 ? 0 : s[d.id][i];
    if (v >= 0) html += '<br><i class="sw" style="background:' + d.color + '"></i>' + d.label + ' ' + v;
  });
  var near = doc.events.filter(function (ev) {
    return (ev.ds === -1 || ev.ds === this.idx) && Math.abs((ev.t - t) * this.sx) <= 5;
  }, this);
  near.slice(0, 4).forEach(function (ev) { html += '<br><span class="dim">' + EN.fmtT(doc, ev.t, true) + '</span> ' + EN.esc(ev.text); });
  EN.showTip(html, e.clientX, e.clientY);
};

EN.DsView.prototype.drawEvents = function () {
  var doc = this.doc, idx = this.idx, view = this;
  var evs = doc.events.filter(function (e) { return e.ds === -1 || e.ds === idx; });
  var open = this.events.open;
  this.events.textContent = '';
  this.events.open = open;
  this.events.style.display = evs.length > 0 ? '' : 'none';
  this.events.appendChild(EN.el('summary', { text: 'Timeline (' + evs.length + ' events; click a time to zoom there)' }));
  var tbl = EN.el('table', { class: 'evtable' });
  evs.forEach(function (e) {
    var a = EN.el('a', { href: '#', text: EN.fmtT(doc, e.t, true), onclick: function (x) {
      x.preventDefault();
      var span = Math.max(2000, (view.endT()) / 10);
      view.zoom(Math.max(0, e.t - span / 2), Math.min(view.endT(), e.t + span / 2));
    } });
    tbl.appendChild(EN.el('tr', { class: e.kind }, [EN.el('td', { class: 'evt' }, [a]), EN.el('td', { text: e.text })]));
  });
  this.events.appendChild(tbl);
};

EN.header = function (root, doc) {
  var checks = doc.checks || [];
  var failed = checks.filter(function (c) { return !c.passed; }).length;
  root.appendChild(EN.el('h1', { text: doc.title }));
  root.appendChild(EN.el('p', { class: 'sub', text: doc.subtitle }));
  var legend = EN.el('div', { class: 'legend' });
  doc.states.forEach(function (s, i) {
    if (!doc.usedStates[i] && !EN.alwaysLegend) return;
    legend.appendChild(EN.el('span', { class: 'key', 'data-state': s.id }, [EN.el('i', { class: 'sw', style: 'background:' + s.color }), s.label]));
  });
  doc.marks.forEach(function (m) {
    var used = doc.daemonSets.some(function (d) { return d.marks.some(function (r) { for (var k = 1; k < r.length; k += 2) if (r[k] & m.bit) return true; return false; }); });
    if (used) legend.appendChild(EN.el('span', { class: 'key' }, [EN.el('i', { class: 'sw mark', style: 'background:' + (m.bit === 1 ? '#f35627' : '#8a041a') }), m.label]));
  });
  root.appendChild(legend);
  if (checks.length > 0) {
    var box = EN.el('div', { class: 'checks' }, [EN.el('h3', { text: failed === 0 ? 'All ' + checks.length + ' checks passed' : failed + ' of ' + checks.length + ' checks failed', class: failed ? 'bad' : 'good' })]);
    checks.forEach(function (c) {
      box.appendChild(EN.el('div', { class: 'check ' + (c.passed ? 'pass' : 'fail') }, [
        EN.el('span', { class: 'mk', text: c.passed ? '✓' : '✗' }), c.name,
        c.passed ? null : EN.el('div', { class: 'msg', text: c.message + ' (at ' + EN.fmtT(doc, c.t) + ')' }),
      ]));
    });
    root.appendChild(box);
  }
};

// Builds the page from a document; returns an object whose update(doc) redraws with new data.
EN.mount = function (root, doc, opts) {
  EN.prepare(doc);
  root.textContent = '';
  var top = EN.el('header', {});
  root.appendChild(top);
  EN.header(top, doc);
  var views = doc.daemonSets.map(function (ds, i) {
    var v = new EN.DsView(doc, ds, i, opts);
    root.appendChild(v.root);
    return v;
  });
  views.forEach(function (v) { v.draw(); });
  var resize = null;
  window.addEventListener('resize', function () {
    clearTimeout(resize);
    resize = setTimeout(function () { views.forEach(function (v) { v.draw(); }); }, 150);
  });
  return {
    views: views,
    update: function (next) {
      EN.prepare(next);
      views.forEach(function (v) {
        var i = next.daemonSets.findIndex(function (d) { return d.key === v.ds.key; });
        if (i >= 0) v.setDoc(next, next.daemonSets[i]);
      });
    },
  };
};
`;
