import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Node, Pod } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import { MemoryCluster } from '../../cluster/memory/index.js';
import { nullLogger } from '../../controller/logger.js';
import { buildDashboardApp, phaseOf } from './app.js';
import { DashboardState } from './state.js';

const node = (name: string, labels: Record<string, string> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'topology.kubernetes.io/zone': 'z1', ...labels } },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

const ds: DaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: {
      metadata: { labels: { app: 'agent' } },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'agent:1' }] },
    },
  },
};

test('dashboard API: the DaemonSet list, the engine reason per node, the grid; read-only; events on change', async () => {
  const clock = new VirtualClock(Date.parse('2026-12-01T00:00:00Z'));
  const memory = new MemoryCluster({ clock, random: () => 0.5 });
  const seed = memory.client('seed');
  await seed.create('Node', node('n-1', { disk: 'ssd' }));
  await seed.create('Node', node('n-2'));
  const created = await seed.create<DaemonSet>('DaemonSet', ds);
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
    const list = (await (await app.request('/api/daemonsets')).json()) as {
      daemonSets: { key: string; kind: string; phase: string }[];
      nodes: number;
    };
    assert.equal(list.nodes, 2);
    assert.deepEqual(
      list.daemonSets.map((d) => [d.key, d.kind]),
      [['apps/v1:default/agent', 'apps/v1']],
    );
    // No controller runs here: the engine says what it would do, and why n-2 gets no pod.
    const key = encodeURIComponent('apps/v1:default/agent');
    const nodes = (await (await app.request(`/api/nodes?ds=${key}`)).json()) as {
      nodes: { name: string; shouldRun: boolean; reason: string }[];
      create: { node: string; reason: string }[];
    };
    assert.deepEqual(
      nodes.nodes.map((n) => [n.name, n.shouldRun]),
      [
        ['n-1', true],
        ['n-2', false],
      ],
    );
    assert.match(nodes.nodes[1]!.reason, /nodeSelector wants disk=ssd; node has no label disk/);
    assert.deepEqual(
      nodes.create.map((c) => c.node),
      ['n-1'],
    );
    // A pod appears on n-1: the state recomputes, the grid records it.
    const before = state.version;
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'agent-abcde',
        namespace: 'default',
        labels: { app: 'agent', 'controller-revision-hash': 'h1' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'agent',
            uid: created.metadata!.uid!,
            controller: true,
          },
        ],
      },
      spec: { nodeName: 'n-1', containers: [{ name: 'c', image: 'agent:1' }] },
    };
    await seed.create('Pod', pod);
    const deadline = Date.now() + 5_000;
    while (state.version === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(state.version > before, 'a pod change recomputes the state');
    const grid = (await (await app.request(`/api/grid?ds=${key}`)).json()) as {
      nodes: { names: string[] };
      daemonSets: { runs: number[][]; pods: string[] }[];
    };
    assert.deepEqual(grid.nodes.names, ['n-1', 'n-2']);
    assert.ok(grid.daemonSets[0]!.pods.includes('agent-abcde'));
    assert.equal((await app.request('/api/grid?ds=nope')).status, 404);
    assert.match(await (await app.request('/')).text(), /<title>everynode dashboard<\/title>/);
    // Read-only: the dashboard's client wrote nothing.
    assert.equal(memory.stats('dashboard').writes, 0);
    assert.equal(phaseOf(created), 'Pending');
  } finally {
    closeStreams();
    await state.stop();
  }
});

test('dashboard API: the event stream announces the current version, then each change', async () => {
  const clock = new VirtualClock(Date.parse('2026-12-01T00:00:00Z'));
  const memory = new MemoryCluster({ clock, random: () => 0.5 });
  const state = new DashboardState({
    cluster: memory.client('dashboard'),
    clock,
    logger: nullLogger,
    crd: false,
    debounceMs: 0,
  });
  await state.start(5_000);
  const { app, closeStreams } = buildDashboardApp(state, { source: 'test' });
  const res = await app.request('/api/events');
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  const read = async (): Promise<string> => new TextDecoder().decode((await reader.read()).value);
  assert.match(await read(), /event: change\ndata: 1\n/);
  await memory.client('seed').create('Node', node('n-9'));
  assert.match(await read(), /event: change\ndata: 2\n/);
  closeStreams();
  await reader.cancel();
  await state.stop();
});
