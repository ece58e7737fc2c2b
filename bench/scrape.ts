/**
 * The cost of one /metrics scrape with the DaemonSet gauges (src/server/dsmetrics.ts) on the
 * controller's caches at cluster scale. Run: `npm exec -- node --expose-gc --import tsx
 * bench/scrape.ts [--nodes 10000] [--daemonsets 100] [--everywhere 10]` (--expose-gc: the heap
 * the tallies keep is printed too).
 *
 * Caches like the controller's: N nodes in 100 zones, D DaemonSets in 10 namespaces, of which
 * `--everywhere` run on every node (one pod per node) and the rest select one zone each (1 % of
 * the nodes: the rest are ineligible, the tally's worst case for memory), every pod in place and
 * every status written. It times the first scrapes (the tallies are built: one eligibility check
 * per node and DaemonSet, spread over scrapes by NodeTally's budget), a scrape with nothing changed, and a scrape after 1 % of the nodes were
 * written (a status heartbeat, as kubelets do every few minutes), each the median of 5, with
 * registry.metrics() end to end (collect + Prometheus text) and the refresh alone.
 */
import { Registry } from 'prom-client';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../src/api/types.js';
import { POD_CACHE, REVISION_CACHE, type Caches } from '../src/controller/caches.js';
import { Store } from '../src/controller/store.js';
import { DaemonSetMetrics } from '../src/server/dsmetrics.js';
import { argValue } from './lib/child.js';

const N = Number(argValue('--nodes') ?? 10_000);
const D = Number(argValue('--daemonsets') ?? 100);
const EVERYWHERE = Number(argValue('--everywhere') ?? 10);
const ZONES = 100;

const nodes = new Store<Node>();
const pods = new Store<Pod>(POD_CACHE.indexers, POD_CACHE.store);
const daemonSets = new Store<DaemonSet>();
const revisions = new Store<ControllerRevision>(REVISION_CACHE.indexers);
const caches: Caches = { nodes, pods, daemonSets, revisions };

const nodeObj = (i: number, beat: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: `node-${i}`,
    labels: { 'topology.kubernetes.io/zone': `z-${i % ZONES}`, 'kubernetes.io/os': 'linux' },
  },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: String(beat) }] },
});
for (let i = 0; i < N; i++) nodes.upsert(nodeObj(i, 0));

for (let d = 0; d < D; d++) {
  const everywhere = d < EVERYWHERE;
  const zone = `z-${d % ZONES}`;
  const ns = `ns-${d % 10}`;
  const uid = `uid-ds-${d}`;
  const onNodes = everywhere ? N : Math.ceil(N / ZONES);
  daemonSets.upsert({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: `ds-${d}`, namespace: ns, uid, generation: 1 },
    spec: {
      selector: { matchLabels: { app: `ds-${d}` } },
      template: {
        metadata: { labels: { app: `ds-${d}` } },
        spec: {
          containers: [{ name: 'c', image: 'i' }],
          ...(everywhere ? {} : { nodeSelector: { 'topology.kubernetes.io/zone': zone } }),
        },
      },
    },
    status: {
      desiredNumberScheduled: onNodes,
      currentNumberScheduled: onNodes,
      numberReady: onNodes,
      numberAvailable: onNodes,
      updatedNumberScheduled: onNodes,
      numberMisscheduled: 0,
      observedGeneration: 1,
    },
  });
  for (let i = 0; i < N; i++) {
    if (!everywhere && i % ZONES !== d % ZONES) continue;
    pods.upsert({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `ds-${d}-${i}`,
        namespace: ns,
        uid: `p-${d}-${i}`,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: `ds-${d}`, uid, controller: true },
        ],
      },
      spec: { nodeName: `node-${i}`, containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running' },
    });
  }
}

const registry = new Registry();
const ds = new DaemonSetMetrics(registry, () => caches);

async function scrape(): Promise<{ total: number; refresh: number; bytes: number }> {
  const t0 = performance.now();
  const text = await registry.metrics();
  return { total: performance.now() - t0, refresh: ds.lastRefreshMs, bytes: text.length };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const first = await scrape();
const building = [first];
while (ds.lastCounted < D) building.push(await scrape());
gc?.();
const heapAfter = process.memoryUsage().heapUsed;
const idle: { total: number; refresh: number }[] = [];
for (let k = 0; k < 5; k++) idle.push(await scrape());
const churn: { total: number; refresh: number }[] = [];
for (let k = 0; k < 5; k++) {
  for (let j = 0; j < N / 100; j++) {
    const i = (k * 7919 + j * 101) % N;
    nodes.upsert(nodeObj(i, k + 1));
  }
  churn.push(await scrape());
}
console.log(
  `nodes ${N}, DaemonSets ${D} (${EVERYWHERE} on every node), pods ${pods.size()}, ` +
    `series text ${(first.bytes / 1024).toFixed(0)} KiB`,
);
console.log(
  `first ${building.length} scrapes, until every DaemonSet is counted: ` +
    building.map((r) => fmt(r.total)).join(', ') +
    ` (refresh at most ${fmt(Math.max(...building.map((r) => r.refresh)))})`,
);
console.log(
  `scrape, nothing changed (median):  ${fmt(median(idle.map((r) => r.total)))} ` +
    `(refresh ${fmt(median(idle.map((r) => r.refresh)))})`,
);
console.log(
  `scrape after 1% nodes written:     ${fmt(median(churn.map((r) => r.total)))} ` +
    `(refresh ${fmt(median(churn.map((r) => r.refresh)))})`,
);
if (gc)
  console.log(
    `heap kept by the tallies:          ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB`,
  );
