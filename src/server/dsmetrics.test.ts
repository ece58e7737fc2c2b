import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { ControllerRevision, DaemonSet, Mutable, Node, Pod } from '../api/types.js';
import { POD_CACHE, REVISION_CACHE, type Caches } from '../controller/caches.js';
import { Store } from '../controller/store.js';
import { dsFoo, node } from '../controller/testing.js';
import { DaemonSetMetrics } from './dsmetrics.js';
import { NodeTally } from './nodetally.js';

function stores() {
  const nodes = new Store<Node>();
  const pods = new Store<Pod>(POD_CACHE.indexers, POD_CACHE.store);
  const revisions = new Store<ControllerRevision>(REVISION_CACHE.indexers);
  const daemonSets = new Store<DaemonSet>();
  const caches: Caches = { nodes, pods, revisions, daemonSets };
  return { nodes, pods, daemonSets, caches };
}

function ds(name: string, over: Parameters<typeof dsFoo>[1] = {}, status = {}): DaemonSet {
  const d = structuredClone(dsFoo(name, over)) as Mutable<DaemonSet>;
  d.metadata = {
    ...d.metadata,
    uid: `uid-${name}`,
    generation: 3,
    creationTimestamp: '2026-01-02T03:04:05Z',
  };
  d.status = {
    currentNumberScheduled: 0,
    desiredNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    ...status,
  };
  return d;
}

function pod(owner: string, nodeName: string, extra: Partial<Mutable<Pod>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${owner}-${nodeName}`,
      namespace: 'default',
      uid: `p-${owner}-${nodeName}`,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: owner,
          uid: `uid-${owner}`,
          controller: true,
        },
      ],
    },
    spec: { nodeName, containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running' },
    ...extra,
  };
}

/** The value of one series in Prometheus text, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

const L = 'namespace="default",daemonset=';

test('kube-state-metrics families with the everynode_ prefix, read from the cached status', async () => {
  const s = stores();
  for (const n of ['a', 'b', 'c']) s.nodes.upsert(node(n));
  s.daemonSets.upsert(
    ds(
      'agent',
      {},
      {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 2,
        numberReady: 2,
        numberAvailable: 1,
        numberUnavailable: 2,
        updatedNumberScheduled: 1,
        numberMisscheduled: 0,
        observedGeneration: 2,
      },
    ),
  );
  const registry = new Registry();
  new DaemonSetMetrics(registry, () => s.caches);
  const text = await registry.metrics();
  const want: [string, number][] = [
    ['everynode_daemonset_status_desired_number_scheduled', 3],
    ['everynode_daemonset_status_current_number_scheduled', 2],
    ['everynode_daemonset_status_number_ready', 2],
    ['everynode_daemonset_status_number_available', 1],
    ['everynode_daemonset_status_number_unavailable', 2],
    ['everynode_daemonset_status_updated_number_scheduled', 1],
    ['everynode_daemonset_status_number_misscheduled', 0],
    ['everynode_daemonset_status_observed_generation', 2],
    ['everynode_daemonset_metadata_generation', 3],
    ['everynode_daemonset_created', Date.parse('2026-01-02T03:04:05Z') / 1000],
  ];
  for (const [name, v] of want) assert.equal(value(text, `${name}{${L}"agent"}`), v, name);
  assert.match(text, /# TYPE everynode_daemonset_status_number_ready gauge/);
  // Eligible nodes without a pod: desired - current, as KubeDaemonSetNotScheduled reads it.
  assert.equal(
    value(text, `everynode_daemonset_nodes_without_pod{${L}"agent",reason="notScheduled"}`),
    1,
  );
  // No rollout status, no conditions, no everynode counters: those series are absent.
  assert.doesNotMatch(text, /everynode_daemonset_rollout_phase\{/);
  assert.doesNotMatch(text, /everynode_daemonset_status_condition\{/);
  assert.doesNotMatch(text, /everynode_daemonset_status_number_unavailable_node_caused\{/);
});

test('rollout phase, conditions and the node-/rollout-caused counts appear once status has them', async () => {
  const s = stores();
  s.daemonSets.upsert(
    ds(
      'agent',
      {},
      {
        numberUnavailableNodeCaused: 2,
        numberUnavailableRolloutCaused: 1,
        pendingRemovals: 4,
        rollout: { phase: 'Canary' },
        conditions: [
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
          { type: 'Available', status: 'True', reason: 'MinimumPodsAvailable' },
        ],
      },
    ),
  );
  const registry = new Registry();
  new DaemonSetMetrics(registry, () => s.caches);
  const text = await registry.metrics();
  const a = `${L}"agent"`;
  assert.equal(value(text, `everynode_daemonset_status_number_unavailable_node_caused{${a}}`), 2);
  assert.equal(
    value(text, `everynode_daemonset_status_number_unavailable_rollout_caused{${a}}`),
    1,
  );
  assert.equal(value(text, `everynode_daemonset_status_pending_removals{${a}}`), 4);
  assert.equal(value(text, `everynode_daemonset_rollout_phase{${a},phase="Canary"}`), 1);
  assert.equal(value(text, `everynode_daemonset_rollout_phase{${a},phase="Rolling"}`), 0);
  const cond = (c: string, st: string, r: string) =>
    value(
      text,
      `everynode_daemonset_status_condition{${a},condition="${c}",status="${st}",reason="${r}"}`,
    );
  assert.equal(cond('Progressing', 'false', 'ProgressDeadlineExceeded'), 1);
  assert.equal(cond('Progressing', 'true', 'ProgressDeadlineExceeded'), 0);
  assert.equal(cond('Progressing', 'unknown', 'ProgressDeadlineExceeded'), 0);
  assert.equal(cond('Available', 'true', 'MinimumPodsAvailable'), 1);
});

test('nodes without a pod by reason; a deleted DaemonSet and a process without caches export nothing', async () => {
  const s = stores();
  s.nodes.upsert(node('plain'));
  s.nodes.upsert(node('gpu', { gpu: 'yes' }));
  s.nodes.upsert(node('tainted', { gpu: 'yes' }, [{ key: 'k', effect: 'NoSchedule' }]));
  s.nodes.upsert(node('cpu-2'));
  s.daemonSets.upsert(ds('gpu', { nodeSelector: { gpu: 'yes' } }));
  s.daemonSets.upsert(ds('all'));
  // A misscheduled pod (ineligible node, pod still there) is not a node without a pod.
  s.pods.upsert(pod('gpu', 'plain'));
  let caches: Caches | undefined = s.caches;
  const registry = new Registry();
  new DaemonSetMetrics(registry, () => caches);
  let text = await registry.metrics();
  const wp = (d: string, r: string) =>
    value(text, `everynode_daemonset_nodes_without_pod{${L}"${d}",reason="${r}"}`);
  assert.equal(wp('gpu', 'nodeSelector'), 1, 'cpu-2 (plain has a misscheduled pod)');
  assert.equal(wp('gpu', 'taint'), 1, 'tainted');
  assert.equal(wp('all', 'taint'), 1);
  assert.equal(wp('all', 'nodeSelector'), 0);
  s.pods.remove('default/gpu-plain');
  text = await registry.metrics();
  assert.equal(wp('gpu', 'nodeSelector'), 2);
  s.daemonSets.remove('default/all');
  text = await registry.metrics();
  assert.equal(wp('all', 'taint'), undefined);
  assert.equal(
    value(text, `everynode_daemonset_status_desired_number_scheduled{${L}"all"}`),
    undefined,
  );
  caches = undefined;
  text = await registry.metrics();
  assert.doesNotMatch(text, /everynode_daemonset_\w+\{/);
});

test('the incremental node tally always equals a fresh count (random node and pod changes)', () => {
  const s = stores();
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const kinds = [ds('sel', { nodeSelector: { role: 'a' } }), ds('any'), ds('pin', {})];
  const pin = structuredClone(kinds[2]!) as Mutable<DaemonSet>;
  pin.spec = structuredClone(pin.spec!);
  (pin.spec.template.spec as Mutable<
    NonNullable<DaemonSet['spec']>['template']['spec']
  >)!.nodeName = 'n-3';
  kinds[2] = pin;
  for (const d of kinds) s.daemonSets.upsert(d);
  const incremental = new NodeTally(() => s.caches);
  for (let step = 0; step < 300; step++) {
    const name = `n-${rand(12)}`;
    const owner = ['sel', 'any', 'pin'][rand(3)]!;
    switch (rand(6)) {
      case 0:
        s.nodes.remove(name);
        break;
      case 1:
      case 2: {
        const taints = rand(3) === 0 ? [{ key: 't', effect: 'NoExecute' }] : [];
        s.nodes.upsert(node(name, rand(2) === 0 ? { role: 'a' } : { role: 'b' }, taints));
        break;
      }
      case 3:
        s.pods.upsert(pod(owner, name));
        break;
      case 4:
        s.pods.remove(`default/${owner}-${name}`);
        break;
      default: {
        const p = s.pods.get(`default/${owner}-${name}`);
        if (p)
          s.pods.upsert({
            ...p,
            status: { phase: 'Failed' },
            metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
          });
      }
    }
    if (rand(3) === 0) {
      const fresh = new NodeTally(() => s.caches).countsByDaemonSet();
      assert.deepEqual(incremental.countsByDaemonSet(), fresh, `step ${step}`);
    }
  }
});
