/**
 * The dashboard's grid for everynode's rollout (issue 11): a pod held on the stable revision of a
 * paused CRD DaemonSet is drawn pinned, and the DaemonSet's facts give the phase and conditions
 * as the controller last wrote them. No controller runs: the status is written as it would. And
 * the engine's plan reads a CRD object with the pod defaults the controller applies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import { MemoryCluster } from '../../cluster/memory/index.js';
import { storedDefaults } from '../../api/dsstrategy.js';
import { computeTemplateHash } from '../../api/hash.js';
import { daemonSetControllerRef, newRevision } from '../../engine/history.js';
import { nullLogger } from '../../controller/logger.js';
import { S } from '../../sim/report/grid/model.js';
import { buildDashboardApp } from './app.js';
import { DashboardState, plannable } from './state.js';

const node = (name: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

const template = (image: string) => ({
  metadata: { labels: { app: 'agent' } },
  spec: { containers: [{ name: 'c', image }] },
});

test('dashboard grid: a paused CRD rollout draws the stable pods pinned and shows its phase', async () => {
  const clock = new VirtualClock(Date.parse('2026-12-01T00:00:00Z'));
  const memory = new MemoryCluster({ clock });
  const seed = memory.client('seed');
  for (const n of ['n-1', 'n-2']) await seed.create('Node', node(n));
  const ds = await seed.create<DaemonSet>('EverynodeDaemonSet', {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      paused: true,
      template: template('agent:2'),
    },
  });
  const owner = daemonSetControllerRef(ds);
  // The revisions as the controller makes them: of the defaulted template (the CRD's server does
  // not default a pod template; the controller does before hashing).
  const [h1, h2] = [
    ['agent:1', 1],
    ['agent:2', 2],
  ].map(([image, n]) => {
    const v = storedDefaults({
      ...ds,
      spec: { ...ds.spec!, template: template(image as string) },
    });
    return newRevision(v, n as number);
  });
  const hashOf = (r: ControllerRevision) => r.metadata!.labels!['controller-revision-hash']!;
  for (const r of [h1!, h2!]) await seed.create<ControllerRevision>('ControllerRevision', r);
  // n-1 runs the stable revision (held by the pause), n-2 already the update one.
  for (const [n, hash] of [
    ['n-1', hashOf(h1!)],
    ['n-2', hashOf(h2!)],
  ] as const) {
    // Status is not taken at create (as kube-apiserver): written after, as a kubelet does.
    const created = await seed.create<Pod>('Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `agent-${n}`,
        namespace: 'default',
        labels: { app: 'agent', 'controller-revision-hash': hash },
        ownerReferences: [owner],
      },
      spec: { nodeName: n, containers: [{ name: 'c', image: 'x' }] },
    });
    await seed.updateStatus<Pod>('Pod', {
      ...created,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-30T00:00:00Z' }],
      },
    });
  }
  await seed.updateStatus<DaemonSet>('EverynodeDaemonSet', {
    ...ds,
    status: {
      observedGeneration: ds.metadata?.generation ?? 1,
      currentNumberScheduled: 2,
      desiredNumberScheduled: 2,
      numberMisscheduled: 0,
      numberReady: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 2,
      updateRevision: h2!.metadata!.name!,
      stableRevision: h1!.metadata!.name!,
      rollout: { phase: 'Paused' },
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumPodsAvailable' },
        { type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused' },
      ],
    },
  });
  const state = new DashboardState({
    cluster: memory.client('dashboard'),
    clock,
    logger: nullLogger,
    crd: true,
    debounceMs: 0,
  });
  await state.start(5_000);
  const { app, closeStreams } = buildDashboardApp(state, { source: 'test' });
  try {
    const key = encodeURIComponent('everynode:default/agent');
    const res = await app.request(`/api/grid?ds=${key}`);
    assert.equal(res.status, 200, `no grid for ${key}`);
    const grid = (await res.json()) as {
      nodes: { names: string[] };
      daemonSets: { runs: number[][]; facts: string[] }[];
    };
    const d = grid.daemonSets[0]!;
    // A run is delta-encoded [dt, state, pod, why, ...]: the state of the first segment.
    const first = (n: string) => d.runs[grid.nodes.names.indexOf(n)]![1];
    assert.equal(first('n-1'), S.pinned, 'the stable pod while paused');
    assert.equal(first('n-2'), S.available, 'the update revision pod');
    // The engine's plan reads the CRD with the controller's defaults: n-2's pod is up to date.
    const nodes = (await (await app.request(`/api/nodes?ds=${key}`)).json()) as {
      error: string | null;
      nodes: { name: string; reason: string }[];
    };
    assert.equal(nodes.error, null);
    assert.doesNotMatch(nodes.nodes.find((x) => x.name === 'n-2')!.reason, /old revision/);
    // n-1 is held by the pause: its old pod stays, it does not wait for the rolling update.
    assert.match(
      nodes.nodes.find((x) => x.name === 'n-1')!.reason,
      /stays on its revision: the rollout is paused/,
    );
    assert.deepEqual(d.facts, [
      'rollout: phase Paused · Available True (MinimumPodsAvailable) · Progressing Unknown (RolloutPaused)',
    ]);
  } finally {
    closeStreams();
    await state.stop();
  }
});

test("dashboard plan input: the CRD as stored by kube-apiserver (no pod defaults) gets the controller's defaults", () => {
  const raw: DaemonSet = {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'u1', generation: 1 },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent:1') },
  };
  const hash = (ds: DaemonSet) => computeTemplateHash(ds.spec!.template);
  const planned = plannable({ kind: 'everynode', ds: raw });
  assert.equal(planned.spec?.template.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
  assert.equal(hash(planned), hash(storedDefaults(raw)));
  assert.notEqual(hash(planned), hash(raw), 'the raw template hashes differently');
  const native = { ...raw, apiVersion: 'apps/v1' };
  assert.equal(plannable({ kind: 'apps/v1', ds: native }), native, 'apps/v1 as stored');
  assert.throws(
    () =>
      plannable({
        kind: 'everynode',
        ds: { ...raw, spec: { ...raw.spec!, selector: { matchLabels: { app: 'other' } } } },
      }),
    /the controller refuses it: .*selector/,
  );
});
