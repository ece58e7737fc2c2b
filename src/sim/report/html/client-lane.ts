/**
 * The page script, part 2 of 3: one DaemonSet's swimlane, a canvas of nodes × time painted
 * pixel by pixel (one row per node, or bands of nodes drawn as counts per state at 10,000
 * nodes), with row labels, a time axis, hover details, a drag to zoom into a time range and a
 * click to open a band or zone.
 */
export const CLIENT_LANE = String.raw`
EN.Lane = function (view, ds, idx) {
  this.view = view; this.doc = view.doc; this.ds = ds; this.idx = idx;
  this.scopes = [{ label: 'all ' + this.doc.order.length + ' nodes', nodes: this.doc.order }];
  this.root = EN.el('div', { class: 'lane' });
  this.crumbs = EN.el('div', { class: 'crumbs' });
  this.labels = EN.el('div', { class: 'labels' });
  this.canvas = EN.el('canvas', { class: 'grid', 'data-ds': ds.key });
  this.sel = EN.el('div', { class: 'sel' });
  this.axis = EN.el('div', { class: 'axis' });
  var body = EN.el('div', { class: 'lanebody' }, [this.labels, EN.el('div', { class: 'canvaswrap' }, [this.canvas, this.sel])]);
  this.root.appendChild(this.crumbs);
  this.root.appendChild(body);
  this.root.appendChild(EN.el('div', { class: 'axisrow' }, [EN.el('div', { class: 'axispad' }), this.axis]));
  this.hookMouse();
};

EN.Lane.prototype.scope = function () { return this.scopes[this.scopes.length - 1]; };

EN.Lane.prototype.open = function (label, nodes) {
  this.scopes.push({ label: label, nodes: nodes });
  this.draw();
};

EN.Lane.prototype.drawCrumbs = function () {
  var self = this;
  this.crumbs.textContent = '';
  this.scopes.forEach(function (s, i) {
    if (i > 0) self.crumbs.appendChild(document.createTextNode(' › '));
    var last = i === self.scopes.length - 1;
    self.crumbs.appendChild(EN.el(last ? 'span' : 'a', {
      text: s.label, href: last ? null : '#',
      onclick: last ? null : function (e) { e.preventDefault(); self.scopes.length = i + 1; self.draw(); },
    }));
  });
  var v = this.view;
  if (v.t0 !== 0 || v.t1 !== v.endT()) {
    this.crumbs.appendChild(document.createTextNode('  ·  ' + EN.fmtT(this.doc, v.t0) + ' to ' + EN.fmtT(this.doc, v.t1) + ' '));
    this.crumbs.appendChild(EN.el('button', { text: 'whole time', onclick: function () { v.zoom(0, v.endT()); } }));
  }
  var hint = this.scope().nodes.length > EN.MAX_NODE_ROWS ? 'click a band to open it; ' : '';
  this.crumbs.appendChild(EN.el('span', { class: 'hint', text: '  ' + hint + 'drag across the grid to zoom in time' }));
};

EN.Lane.prototype.layout = function () {
  var rows = EN.rows(this.doc, this.scope().nodes);
  var nodeRows = rows.filter(function (r) { return r.kind === 'node'; }).length;
  var rh = Math.max(4, Math.min(18, Math.floor(520 / Math.max(1, nodeRows))));
  var y = 0;
  rows.forEach(function (r) {
    r.h = r.kind === 'node' ? rh : r.kind === 'band' ? 22 : 16;
    r.y = y; y += r.h;
  });
  this.rows = rows; this.H = Math.max(y, 1);
};

EN.Lane.prototype.draw = function () {
  this.layout();
  this.drawCrumbs();
  var W = Math.max(300, this.view.width());
  this.W = W;
  var c = this.canvas; c.width = W; c.height = this.H;
  c.style.width = W + 'px'; c.style.height = this.H + 'px';
  this.drawLabels();
  this.paint();
  this.drawAxis();
};

EN.Lane.prototype.drawLabels = function () {
  var self = this;
  this.labels.textContent = '';
  this.labels.style.height = this.H + 'px';
  // Rows too thin for a label of their own: every k-th row is labelled, the rest on hover.
  var every = 1, k = 0;
  this.rows.forEach(function (r) { if (r.kind === 'node' && r.h < 9) every = Math.ceil(10 / r.h); });
  this.rows.forEach(function (r) {
    var shown = r.kind !== 'node' || every === 1 || k++ % every === 0;
    var a = { class: 'row ' + r.kind, text: shown ? r.label : '', style: 'top:' + r.y + 'px;height:' + r.h + 'px;line-height:' + (shown && r.h < 9 ? 10 : r.h) + 'px;font-size:' + Math.min(12, Math.max(8, r.h - 3)) + 'px;overflow:visible;z-index:' + (shown ? 1 : 0), title: r.label };
    if (r.kind === 'node') a['data-node'] = r.label;
    if (r.kind !== 'node') a.onclick = function () { self.open(r.label, r.nodes); };
    self.labels.appendChild(EN.el('div', a));
  });
};

EN.Lane.prototype.paint = function () {
  var W = this.W, H = this.H, v = this.view, ds = this.ds, doc = this.doc;
  var ctx = this.canvas.getContext('2d');
  var img = ctx.createImageData(W, H);
  var buf = new Uint32Array(img.data.buffer);
  var colors = doc.states.map(function (s) { return EN.rgba(s.color); });
  var bg = EN.rgba('#ffffff'), groupBg = EN.rgba('#eef2f7');
  buf.fill(bg);
  var t0 = v.t0, t1 = v.t1, sx = W / Math.max(1, t1 - t0);
  var nS = doc.states.length;
  var diff = new Int32Array(nS * (W + 1));
  function fill(x0, x1, y0, y1, col) {
    for (var y = y0; y < y1; y++) { var o = y * W; for (var x = x0; x < x1; x++) buf[o + x] = col; }
  }
  this.rows.forEach(function (r) {
    var gap = r.h >= 6 ? 1 : 0;
    if (r.kind === 'group') { fill(0, W, r.y, r.y + r.h, groupBg); return; }
    if (r.kind === 'node') {
      var run = ds.runs[r.node];
      for (var k = 0; k < run.length; k += 4) {
        var ta = run[k], tb = k + 4 < run.length ? run[k + 4] : Infinity;
        if (tb <= t0 || ta >= t1) continue;
        var x0 = Math.max(0, Math.round((ta - t0) * sx)), x1 = Math.min(W, Math.round((Math.min(tb, t1) - t0) * sx));
        if (x1 <= x0) x1 = Math.min(W, x0 + 1);
        fill(x0, x1, r.y, r.y + r.h - gap, colors[run[k + 1]]);
      }
      return;
    }
    // A band: for each pixel column, how many of its nodes are in each state at that time.
    diff.fill(0);
    r.nodes.forEach(function (n) {
      var run = ds.runs[n];
      var prev = -Infinity, prevS = 0;
      for (var k = 0; k <= run.length; k += 4) {
        var tb = k < run.length ? run[k] : Infinity;
        var c0 = Math.max(0, Math.ceil((prev - t0) * sx - 0.5)), c1 = Math.min(W, Math.ceil((tb - t0) * sx - 0.5));
        if (c1 > c0) { diff[prevS * (W + 1) + c0]++; diff[prevS * (W + 1) + c1]--; }
        if (k < run.length) { prev = tb; prevS = run[k + 1]; }
      }
    });
    var n = r.nodes.length, h = r.h - gap;
    var cur = new Int32Array(nS);
    for (var x = 0; x < W; x++) {
      var acc = 0;
      for (var s = 0; s < nS; s++) {
        cur[s] += diff[s * (W + 1) + x];
        if (cur[s] === 0) continue;
        var ya = r.y + Math.floor((acc * h) / n);
        acc += cur[s];
        var yb = r.y + Math.floor((acc * h) / n);
        for (var y = ya; y < yb; y++) buf[y * W + x] = colors[s];
      }
    }
  });
  ctx.putImageData(img, 0, 0);
  // Marks (canary nodes, ...): a bar along the top of the row while the node carries one.
  var markColors = { 1: '#f35627', 2: '#8a041a' };
  this.rows.forEach(function (r) {
    if (r.kind !== 'node') return;
    var m = ds.marks[r.node];
    for (var k = 0; m && k < m.length; k += 2) {
      if (!m[k + 1]) continue;
      var ta = m[k], tb = k + 2 < m.length ? m[k + 2] : Infinity;
      if (tb <= t0 || ta >= t1) continue;
      ctx.fillStyle = markColors[m[k + 1] & 1 ? 1 : 2];
      var xa = Math.max(0, (ta - t0) * sx), xb = Math.min(W, (Math.min(tb, t1) - t0) * sx);
      ctx.fillRect(xa, r.y, Math.max(1, xb - xa), Math.max(2, Math.floor(r.h / 4)));
    }
  });
  // The timeline's events: a faint line each, darker for rollouts.
  doc.events.forEach(function (e) {
    if (e.ds !== -1 && e.ds !== this.idx) return;
    if (e.t < t0 || e.t > t1) return;
    ctx.fillStyle = e.kind === 'rollout' ? 'rgba(16,42,67,0.55)' : 'rgba(16,42,67,0.18)';
    ctx.fillRect(Math.min(W - 1, Math.round((e.t - t0) * sx)), 0, 1, H);
  }, this);
};

EN.Lane.prototype.drawAxis = function () {
  var v = this.view, doc = this.doc, W = this.W;
  this.axis.textContent = '';
  this.axis.style.width = W + 'px';
  var tk = EN.ticks(doc, v.t0, v.t1, W);
  var sx = W / Math.max(1, v.t1 - v.t0);
  var axis = this.axis;
  tk.ticks.forEach(function (t) {
    axis.appendChild(EN.el('span', { class: 'tick', style: 'left:' + Math.round((t - v.t0) * sx) + 'px', text: EN.fmtT(doc, t, tk.precise) }));
  });
};

EN.Lane.prototype.rowAt = function (y) {
  for (var i = 0; i < this.rows.length; i++) { var r = this.rows[i]; if (y >= r.y && y < r.y + r.h) return r; }
  return null;
};

EN.Lane.prototype.tip = function (r, t) {
  var doc = this.doc, ds = this.ds, st = doc.states;
  var at = EN.fmtT(doc, t, true);
  if (r.kind === 'node') {
    var run = ds.runs[r.node], k = EN.segAt(run, t);
    var s = k < 0 ? 0 : run[k + 1], p = k < 0 ? -1 : run[k + 2], w = k < 0 ? -1 : run[k + 3];
    var g = EN.groupOf(doc, r.node);
    var html = '<b>' + EN.esc(r.label) + '</b>' + (g ? ' · ' + EN.esc(g) : '') + ' at ' + at +
      '<br><i class="sw" style="background:' + st[s].color + '"></i>' + EN.esc(st[s].label);
    if (p >= 0) html += '<br>pod <b>' + EN.esc(ds.podPrefix + ds.pods[p]) + '</b>' + (ds.podRev[p] ? ' · revision ' + ds.podRev[p] : '');
    if (w >= 0) html += '<br>' + EN.esc(doc.strings[w]);
    var m = EN.marksAt(ds, r.node, t);
    doc.marks.forEach(function (d) { if (m & d.bit) html += '<br>◆ ' + EN.esc(d.label); });
    if (k >= 0) {
      var since = run[k], until = k + 4 < run.length ? run[k + 4] : null;
      html += '<br><span class="dim">since ' + EN.fmtT(doc, since, true) + (until !== null ? ', until ' + EN.fmtT(doc, until, true) : '') + '</span>';
    }
    return html;
  }
  var c = EN.countsAt(ds, r.nodes, t), parts = [];
  st.forEach(function (d, i) { if (c[i]) parts.push('<i class="sw" style="background:' + d.color + '"></i>' + EN.esc(d.label) + ' ' + c[i]); });
  return '<b>' + EN.esc(r.label) + '</b> at ' + at + '<br>' + parts.join('<br>') + '<br><span class="dim">click to open</span>';
};

EN.Lane.prototype.hookMouse = function () {
  var self = this, c = this.canvas, down = null;
  function pos(e) { var b = c.getBoundingClientRect(); return { x: e.clientX - b.left, y: e.clientY - b.top }; }
  function tAt(x) { var v = self.view; return v.t0 + (x / self.W) * (v.t1 - v.t0); }
  c.addEventListener('mousemove', function (e) {
    var p = pos(e);
    if (down) {
      var a = Math.min(down.x, p.x), b = Math.max(down.x, p.x);
      self.sel.style.display = 'block'; self.sel.style.left = a + 'px'; self.sel.style.width = (b - a) + 'px';
      self.sel.style.height = self.H + 'px';
      return;
    }
    var r = self.rowAt(p.y);
    if (!r || r.kind === 'group') { EN.hideTip(); return; }
    EN.showTip(self.tip(r, tAt(p.x)), e.clientX, e.clientY);
  });
  c.addEventListener('mouseleave', function () { EN.hideTip(); });
  c.addEventListener('mousedown', function (e) { down = pos(e); e.preventDefault(); });
  window.addEventListener('mouseup', function (e) {
    if (!down) return;
    var p = pos(e), start = down;
    down = null; self.sel.style.display = 'none';
    if (Math.abs(p.x - start.x) > 4) {
      var a = tAt(Math.max(0, Math.min(start.x, p.x))), b = tAt(Math.min(self.W, Math.max(start.x, p.x)));
      self.view.zoom(a, b);
      return;
    }
    var r = self.rowAt(p.y);
    if (r && r.kind !== 'node' && e.target === c) self.open(r.label, r.nodes);
  });
};
`;
