/**
 * The Helm chart's files against the code, offline (helm itself runs in npm run test:cluster):
 * the CRD is the kustomization's, byte for byte, and every metric the alerts and the dashboard
 * query is one that /metrics exports.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { DaemonSet } from '../../src/api/types.js';
import type { Caches } from '../../src/controller/caches.js';
import { Store } from '../../src/controller/store.js';
import { ControllerMetrics } from '../../src/server/metrics.js';

const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'everynode');

test('the chart installs the same CRD as deploy/ (copy with: cp deploy/crd.yaml charts/everynode/files/crd.yaml)', () => {
  assert.equal(
    readFileSync(join(chart, 'files', 'crd.yaml'), 'utf8'),
    readFileSync(join(root, 'deploy', 'crd.yaml'), 'utf8'),
  );
});

/** Metric names in PromQL text: identifiers of the families everynode exports. */
function metricNames(promql: string): string[] {
  const re =
    /\b(everynode_[a-z_]+|controller_runtime_[a-z_]+|workqueue_[a-z_]+|rest_client_[a-z_]+|leader_election_[a-z_]+)\b/g;
  return [...promql.matchAll(re)].map((m) => m[1]!);
}

async function exportedFamilies(): Promise<Set<string>> {
  const daemonSets = new Store<DaemonSet>();
  daemonSets.upsert({
    metadata: { name: 'agent', namespace: 'ops', uid: 'u1', generation: 2 },
    status: {
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberMisscheduled: 0,
      numberReady: 1,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'RolloutComplete' }],
      ...({
        numberUnavailableNodeCaused: 0,
        numberUnavailableRolloutCaused: 0,
        pendingRemovals: 0,
        rollout: { phase: 'Complete' },
      } as object),
    },
  });
  const caches: Caches = {
    daemonSets,
    nodes: new Store(),
    pods: new Store(),
    revisions: new Store(),
  };
  const m = new ControllerMetrics({ defaultMetrics: false });
  m.attach(() => ({ caches, queue: { inFlight: () => 0, processingAges: () => [] } }), 2);
  m.observeReconcile(1, false);
  m.queueHooks().add();
  m.requestResult('200', 'GET', 'h');
  m.setLeader('everynode-controller', true);
  m.observeSyncPath('incremental', '');
  // Every registered family (a sample line, or its TYPE line when it has no sample yet), and a
  // histogram's _bucket, _sum and _count.
  const names = new Set<string>();
  for (const line of (await m.registry.metrics()).split('\n')) {
    const sample = /^([a-z_]+)[{ ]/.exec(line)?.[1];
    if (sample !== undefined) names.add(sample);
    const type = /^# TYPE ([a-z_]+) (\w+)$/.exec(line);
    if (type === null) continue;
    names.add(type[1]!);
    if (type[2] === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
  }
  return names;
}

test('every metric the alerts and the Grafana dashboard query is exported', async () => {
  const exported = await exportedFamilies();
  const alerts = parse(readFileSync(join(chart, 'files', 'alerts.yaml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const dashboard = readFileSync(join(chart, 'files', 'dashboard.json'), 'utf8');
  const queried = new Set([
    ...alerts.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
    ...metricNames(dashboard),
  ]);
  assert.ok(queried.size >= 15, `only ${queried.size} names found`);
  for (const name of queried) assert.ok(exported.has(name), `${name} is not exported`);
});

test('the kube-state-metrics config for the CRD has the DaemonSet families of /metrics, under kube_', async () => {
  const config = parse(
    readFileSync(join(root, 'deploy', 'kube-state-metrics', 'everynode-daemonsets.yaml'), 'utf8'),
  ) as {
    spec: { resources: { metricNamePrefix: string; metrics: { name: string }[] }[] };
  };
  const res = config.spec.resources[0]!;
  assert.equal(res.metricNamePrefix, 'kube');
  const ksm = new Set(res.metrics.map((m) => `everynode_${m.name}`));
  const ours = [...(await exportedFamilies())].filter((n) => n.startsWith('everynode_daemonset_'));
  // Counted by the controller from its caches, not a field of the object: no kube-state-metrics twin.
  const controllerOnly = new Set(['everynode_daemonset_nodes_without_pod']);
  for (const n of ours) if (!controllerOnly.has(n)) assert.ok(ksm.has(n), `${n} has no kube_ twin`);
  for (const n of ksm) assert.ok(ours.includes(n), `${n} is not in /metrics`);
});
