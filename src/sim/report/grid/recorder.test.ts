import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { readScenario } from '../../../cli/sim.js';
import { Simulation } from '../../runner.js';
import { renderReportHtml } from '../html/page.js';
import { M, S, type GridDoc } from './model.js';
import { GridRecorder } from './recorder.js';
import { simGridDoc } from './simdoc.js';

const run = async (): Promise<GridDoc> => {
  const scenario = await readScenario('examples/quickstart.yaml');
  const result = await new Simulation(scenario, { record: true }).run();
  return simGridDoc(result);
};

/** The absolute segments of one node's run: [t, state, pod, why][]. */
function segments(run: readonly number[]): number[][] {
  const out: number[][] = [];
  let t = 0;
  for (let i = 0; i < run.length; i += 4) {
    t += run[i]!;
    out.push([t, run[i + 1]!, run[i + 2]!, run[i + 3]!]);
  }
  return out;
}

test('the recorded grid has every node of every DaemonSet, run-length encoded', async () => {
  const doc = await run();
  assert.deepEqual(
    doc.daemonSets.map((d) => d.key),
    ['kube-system/log-collector', 'monitoring/gpu-monitor', 'monitoring/node-exporter'],
  );
  // 12 nodes at the start and worker-c-04, which joins at 1m.
  assert.equal(doc.nodes.names.length, 13);
  assert.deepEqual(doc.nodes.attrs.zone?.values.sort(), ['zone-a', 'zone-b', 'zone-c']);
  for (const ds of doc.daemonSets) {
    assert.equal(ds.runs.length, 13, ds.key);
    for (const [i, run] of ds.runs.entries()) {
      const segs = segments(run);
      assert.ok(segs.length > 0, `${ds.key} ${doc.nodes.names[i]!}: no segment`);
      for (let k = 1; k < segs.length; k++) {
        const [a, b] = [segs[k - 1]!, segs[k]!];
        assert.ok(b[0]! > a[0]!, 'segments in time order, one per instant');
        assert.ok(a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3], 'a segment only on change');
      }
    }
  }
});

test('a rolled node goes old → terminating → new → available, with pod and revision', async () => {
  const doc = await run();
  const ds = doc.daemonSets.find((d) => d.key === 'kube-system/log-collector')!;
  // Rolled late (stable order: by name), so it runs the old revision for a while first.
  const node = doc.nodes.names.indexOf('worker-c-03');
  const segs = segments(ds.runs[node]!);
  const states = segs.map((s) => s[1]);
  const iOld = states.indexOf(S.old);
  assert.ok(iOld > 0, 'runs an old-revision pod once revision 2 exists');
  assert.ok(states.indexOf(S.terminating, iOld) > iOld, 'its old pod is deleted');
  assert.equal(states.at(-1), S.available, 'ends available');
  const last = segs.at(-1)!;
  assert.equal(ds.podRev[last[2]!], 2, 'the final pod is of revision 2');
  assert.match(ds.podPrefix + ds.pods[last[2]!]!, /^log-collector-/);
  // The worker that leaves at 1m30s is absent afterwards; the one that joins at 1m absent before.
  const left = segments(ds.runs[doc.nodes.names.indexOf('worker-b-04')]!);
  assert.equal(left.at(-1)![1], S.absent);
  assert.equal(left.at(-1)![0], 90_000);
  const joined = segments(ds.runs[doc.nodes.names.indexOf('worker-c-04')]!);
  assert.ok(joined[0]![0]! >= 60_000);
  // The control-plane node is tainted: not eligible for the node exporter, with the reason.
  const ne = doc.daemonSets.find((d) => d.key === 'monitoring/node-exporter')!;
  const cp = segments(ne.runs[doc.nodes.names.indexOf('control-plane-1')]!);
  assert.equal(cp[0]![1], S.ineligible);
  assert.match(doc.strings[cp[0]![3]!]!, /taint node-role.kubernetes.io\/control-plane/);
});

test('the counts follow the rollout and stay within the budget (maxSurge: 0 unavailable)', async () => {
  const doc = await run();
  const ne = doc.daemonSets.find((d) => d.key === 'monitoring/node-exporter')!;
  const s = ne.series;
  const from = s.t.findIndex((t) => t >= 240_000);
  assert.ok(from > 0);
  for (let i = from; i < s.t.length; i++) {
    assert.equal(s.budget[i], 0, 'maxUnavailable 0 with maxSurge 1');
    assert.equal(s.unavailable[i], 0);
  }
  assert.equal(s.updated.at(-1), s.desired.at(-1));
  const lc = doc.daemonSets.find((d) => d.key === 'kube-system/log-collector')!.series;
  assert.ok(lc.unavailable.some((u, i) => u > 0 && lc.t[i]! > 120_000));
  assert.ok(lc.unavailable.every((u, i) => lc.t[i]! < 120_000 || u <= lc.budget[i]!));
});

test('the report is one self-contained page carrying the document', async () => {
  const doc = await run();
  const html = renderReportHtml(doc);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'no external resources');
  assert.doesNotMatch(
    html,
    /https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
    'no URL but the SVG namespace',
  );
  const data = /<script type="application\/octet-stream" id="grid-data">([^<]+)<\/script>/.exec(
    html,
  );
  assert.ok(data);
  const back = JSON.parse(gunzipSync(Buffer.from(data[1]!, 'base64')).toString()) as GridDoc;
  assert.deepEqual(back, JSON.parse(JSON.stringify(doc)));
  // The page script must not close its own script element.
  const script = html.slice(html.lastIndexOf('<script>'));
  assert.equal(script.match(/<\/script/g)?.length, 1);
  assert.ok((await readFile('examples/quickstart.yaml', 'utf8')).length > 0);
});

test('marks: a canary node (status.rollout.canaryNodes) gets the canary bit while it is one', () => {
  const g = new GridRecorder();
  const rec = g.of('default/agent');
  const node = { metadata: { name: 'n-1', labels: { 'topology.kubernetes.io/zone': 'z' } } };
  const eligible = { shouldRun: true, shouldContinueRunning: true, reason: '' };
  const idx = g.indexOf('n-1', node);
  for (const [t, canary] of [
    [0, false],
    [1000, true],
    [2000, true],
    [3000, false],
  ] as const) {
    rec.node(t, idx, 'n-1', eligible, undefined, 'h2', new Map(), 0, t, canary);
    rec.endPass(t, 1);
  }
  assert.deepEqual(rec.marks[idx], [1000, M.canary, 3000, 0]);
  // One segment: the node's state (no pod) never changed.
  assert.deepEqual(rec.runs[idx]?.length, 4);
  assert.equal(g.zones[idx], 'z');
});
