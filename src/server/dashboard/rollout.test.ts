/**
 * The dashboard's grid for everynode's rollout (issue 11): a pod held on the stable revision of a
 * paused CRD DaemonSet is drawn pinned, and the DaemonSet's facts give the phase and conditions
 * as the controller last wrote them. No controller runs: the status is written as it would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import { MemoryCluster } from '../../cluster/memory/index.js';
import { nullLogger } from '../../controller/logger.js';
import { S } from '../../sim/report/grid/model.js';
import { buildDashboardApp } from './app.js';
import { DashboardState } from './state.js';

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
  const owner = {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    name: 'agent',
    uid: ds.metadata!.uid!,
    controller: true,
  };
  for (const [hash, revision, image] of [
    ['h1', 1, 'agent:1'],
    ['h2', 2, 'agent:2'],
  ] as const) {
    await seed.create<ControllerRevision>('ControllerRevision', {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `agent-${hash}`,
        namespace: 'default',
        labels: { app: 'agent', 'controller-revision-hash': hash },
        ownerReferences: [owner],
      },
      revision,
      data: { spec: { template: template(image) } },
    });
  }
  // n-1 runs the stable revision (held by the pause), n-2 already the update one.
  for (const [n, hash] of [
    ['n-1', 'h1'],
    ['n-2', 'h2'],
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
      updateRevision: 'agent-h2',
      stableRevision: 'agent-h1',
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
    assert.deepEqual(d.facts, [
      'rollout: phase Paused · Available True (MinimumPodsAvailable) · Progressing Unknown (RolloutPaused)',
    ]);
  } finally {
    closeStreams();
    await state.stop();
  }
});
