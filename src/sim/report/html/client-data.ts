/**
 * The page script, part 1 of 3 (plain browser JavaScript kept as a string, inlined into the
 * report and served by the dashboard): decoding the document, times, rows and bands. It defines
 * the object EN that parts 2 and 3 extend. No template literals inside (the string is a
 * String.raw template), no "</script" (it is inlined into a script element).
 */
export const CLIENT_DATA = String.raw`
var EN = (window.EN = window.EN || {});
// One row per node up to this many (a band of 10,000 / TARGET_BANDS nodes opens into rows).
EN.MAX_NODE_ROWS = 300;
EN.TARGET_BANDS = 40;
EN.LABEL_W = 230;

EN.esc = function (s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
};

EN.el = function (tag, attrs, children) {
  var e = document.createElement(tag);
  if (attrs) Object.keys(attrs).forEach(function (k) {
    if (k === 'text') e.textContent = attrs[k];
    else if (k === 'html') e.innerHTML = attrs[k];
    else if (k === 'class') e.className = attrs[k];
    else if (k.indexOf('on') === 0) e.addEventListener(k.slice(2), attrs[k]);
    else e.setAttribute(k, attrs[k]);
  });
  (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
};

// The document travels gzip-compressed and base64-encoded inside the page (a 10,000-node run
// is a few MB of JSON, a fraction of that compressed); DecompressionStream unpacks it.
EN.decode = function (text) {
  var bin = atob(text.trim());
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).json();
};

function pad2(n) { return n < 10 ? '0' + n : String(n); }

// A time on the axis: "2m05s" ("2m05.3s" when precise), or "step 3 (+2s)" for a plan preview.
EN.fmtT = function (doc, t, precise) {
  if (doc.axis.kind === 'step') {
    var k = Math.floor(t / 1000);
    var lab = doc.axis.labels && doc.axis.labels[k];
    return k === 0 ? 'start' : 'step ' + k + (lab && precise ? ' (' + lab + ')' : '');
  }
  var neg = t < 0; t = Math.abs(t);
  var s = precise ? Math.floor(t / 100) / 10 : Math.round(t / 1000);
  var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s - h * 3600 - m * 60;
  var rs = precise && r % 1 !== 0 ? (r < 10 ? '0' : '') + r.toFixed(1) : pad2(Math.floor(r));
  return (neg ? '-' : '') + (h > 0 ? h + 'h' + pad2(m) + 'm' : m + 'm') + rs + 's';
};

// Runs arrive delta-encoded ([dt, state, pod, why, ...]); make the times absolute, once.
EN.absolute = function (run, width) {
  var t = 0;
  for (var i = 0; i < run.length; i += width) { t += run[i]; run[i] = t; }
};

EN.prepare = function (doc) {
  if (doc.prepared) return doc;
  var used = {};
  doc.daemonSets.forEach(function (ds) {
    ds.runs.forEach(function (r) {
      EN.absolute(r, 4);
      for (var i = 1; i < r.length; i += 4) used[r[i]] = true;
    });
    ds.marks.forEach(function (r) { EN.absolute(r, 2); });
  });
  doc.usedStates = used;
  var coll = new Intl.Collator('en', { numeric: true });
  var names = doc.nodes.names;
  doc.order = names.map(function (_, i) { return i; }).sort(function (a, b) { return coll.compare(names[a], names[b]); });
  doc.groupAttr = doc.nodes.attrs.zone ? 'zone' : Object.keys(doc.nodes.attrs)[0] || '';
  doc.prepared = true;
  return doc;
};

// The segment of a node's run in force at t: its index in the run (a multiple of 4), or -1
// before the first one (the node did not exist yet).
EN.segAt = function (run, t) {
  var lo = 0, hi = run.length / 4 - 1, best = -1;
  while (lo <= hi) {
    var mid = (lo + hi) >> 1;
    if (run[mid * 4] <= t) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best < 0 ? -1 : best * 4;
};

EN.groupOf = function (doc, node) {
  var a = doc.groupAttr && doc.nodes.attrs[doc.groupAttr];
  if (!a) return '';
  var v = a.of[node];
  return v < 0 ? '(no ' + doc.groupAttr + ')' : a.values[v];
};

// The rows for a scope (node indexes in display order): one row per node when few enough,
// with a header per group (zone); otherwise bands of nodes, each drawn as counts per state.
EN.rows = function (doc, scope) {
  var groups = [], byName = {};
  scope.forEach(function (n) {
    var g = EN.groupOf(doc, n);
    if (!(g in byName)) { byName[g] = { name: g, nodes: [] }; groups.push(byName[g]); }
    byName[g].nodes.push(n);
  });
  groups.sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
  var rows = [];
  var names = doc.nodes.names;
  if (scope.length <= EN.MAX_NODE_ROWS) {
    groups.forEach(function (g) {
      if (groups.length > 1 || g.name !== '')
        rows.push({ kind: 'group', label: (g.name || 'nodes') + ' (' + g.nodes.length + ')', nodes: g.nodes });
      g.nodes.forEach(function (n) { rows.push({ kind: 'node', node: n, label: names[n] }); });
    });
    return rows;
  }
  var size = Math.ceil(scope.length / EN.TARGET_BANDS);
  groups.forEach(function (g) {
    if (groups.length > 1 || g.name !== '')
      rows.push({ kind: 'group', label: (g.name || 'nodes') + ' (' + g.nodes.length + ')', nodes: g.nodes });
    for (var i = 0; i < g.nodes.length; i += size) {
      var part = g.nodes.slice(i, i + size);
      var range = names[part[0]] + (part.length > 1 ? ' … ' + names[part[part.length - 1]] : '');
      rows.push({ kind: 'band', nodes: part, label: range + ' (' + part.length + ')' });
    }
  });
  return rows;
};

// Counts per state at t over some nodes (for a band's hover).
EN.countsAt = function (ds, nodes, t) {
  var c = {};
  nodes.forEach(function (n) {
    var r = ds.runs[n], k = EN.segAt(r, t);
    var s = k < 0 ? 0 : r[k + 1];
    c[s] = (c[s] || 0) + 1;
  });
  return c;
};

EN.marksAt = function (ds, n, t) {
  var m = ds.marks[n];
  if (!m || m.length === 0) return 0;
  var best = 0;
  for (var i = 0; i < m.length && m[i] <= t; i += 2) best = m[i + 1];
  return best;
};

EN.seriesAt = function (series, t) {
  var lo = 0, hi = series.t.length - 1, best = -1;
  while (lo <= hi) {
    var mid = (lo + hi) >> 1;
    if (series.t[mid] <= t) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
};

// Nice tick spacing for a time span (ms), or whole steps for a preview.
EN.ticks = function (doc, t0, t1, px) {
  var want = Math.max(2, Math.floor(px / 90));
  var span = t1 - t0, steps;
  if (doc.axis.kind === 'step') {
    // Step k fills [k, k+1) seconds of the axis: a tick in the middle of each shown step.
    var every = Math.max(1, Math.ceil(span / 1000 / want));
    var st = [];
    for (var k = Math.ceil(t0 / 1000 - 0.5); k * 1000 + 500 <= t1; k += every) if (k * 1000 + 500 >= t0) st.push(k * 1000 + 500);
    return { ticks: st, precise: false };
  }
  steps = [100, 250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 21600000];
  var step = steps[steps.length - 1];
  for (var i = 0; i < steps.length; i++) if (span / steps[i] <= want) { step = steps[i]; break; }
  var out = [];
  for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return { ticks: out, precise: step < 1000 };
};

EN.rgba = function (hex) {
  var v = parseInt(hex.slice(1), 16);
  return ((255 << 24) | ((v & 255) << 16) | (v & 0xff00) | ((v >> 16) & 255)) >>> 0;
};
`;
