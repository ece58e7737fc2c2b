/**
 * B4: the controller's heap with 100k cached pods (10k nodes, ten DaemonSets). Objects come from
 * a wire-like port (bench/lib/wire.ts: fresh JSON per list, pods as kube-apiserver and the
 * kubelet make them), so nothing is shared with an in-process API server. Measured with
 * --expose-gc: heapUsed after a full GC, before and after the caches fill. Three measurements:
 * the pod informer alone with the controller's trimPod and indexes, the same without trimming,
 * and the whole controller (nodes, DaemonSets, revisions, pods, handlers) per cached pod, before
 * any sync and after one sync of every DaemonSet (the target figure: a running controller also
 * keeps the incremental sync state of syncstate.ts, and the difference is that state's share).
 */
import type { Pod } from '../src/api/types.js';
import { DaemonSetController } from '../src/controller/controller.js';
import { POD_CACHE } from '../src/controller/caches.js';
import { Informer, trimPod } from '../src/controller/informer.js';
import { VirtualClock } from '../src/sim/clock.js';
import { argValue } from './lib/child.js';
import {
  atMost,
  describeSyncPaths,
  info,
  isQuick,
  note,
  report,
  syncPathFigures,
  syncPathsNow,
  syncPathsSince,
} from './lib/common.js';
import { WireCluster } from './lib/wire.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('B4 needs node --expose-gc');
const heap = (): number => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

const nodes = Number(argValue('--nodes') ?? (isQuick() ? 500 : 10000));
const daemonSets = Number(argValue('--daemonsets') ?? 10);
const wire = new WireCluster(nodes, daemonSets);
const clock = new VirtualClock();

async function podInformer(trim: boolean): Promise<{ bytes: number; pods: number }> {
  const h0 = heap();
  const inf = new Informer<Pod>({
    cluster: wire,
    clock,
    kind: 'Pod',
    ...(trim ? { transform: trimPod } : {}),
    // The controller's own pod cache configuration (indexes and store options), not a copy.
    ...POD_CACHE,
  });
  inf.start();
  await inf.waitForSync();
  const bytes = heap() - h0;
  const pods = inf.store.size();
  await inf.stop();
  return { bytes, pods };
}

const trimmed = await podInformer(true);
note(
  `B4 pod cache (trimmed): ${Math.round(trimmed.bytes / trimmed.pods)} B per pod over ${trimmed.pods} pods`,
);
const untrimmed = await podInformer(false);
note(`B4 pod cache (untrimmed): ${Math.round(untrimmed.bytes / untrimmed.pods)} B per pod`);

const h0 = heap();
const controller = new DaemonSetController({ cluster: wire, clock, workers: 0 });
await controller.start();
const beforeSync = heap() - h0;
// The controller as it runs: every DaemonSet synced once, which builds the incremental sync state
// (syncstate.ts) it keeps between syncs. The wire pods are converged (one ready pod per node on
// the current revision), so a sync plans no pod writes; its status write is accepted and dropped.
const paths0 = syncPathsNow();
const syncErrors: string[] = [];
for (const key of wire.daemonSetKeys()) {
  try {
    const plan = await controller.syncDaemonSet(key);
    if (plan === undefined) syncErrors.push(`${key}: not in the cache`);
    else if (plan.creates.length + plan.deletes.length > 0)
      syncErrors.push(
        `${key}: planned ${plan.creates.length} creates, ${plan.deletes.length} deletes`,
      );
  } catch (err) {
    syncErrors.push(`${key}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
const paths = syncPathsSince(paths0);
const incrementalSyncs = paths.incremental;
const fullSyncs = paths.full;
if (syncErrors.length > 0) throw new Error(`B4 syncs failed: ${syncErrors.join('; ')}`);
// Without the incremental path no sync state is kept and the figure would say nothing.
if (incrementalSyncs !== daemonSets)
  throw new Error(
    `B4: ${incrementalSyncs} of ${daemonSets} syncs took the incremental path (${describeSyncPaths(paths)})`,
  );
const whole = heap() - h0;
const syncState = whole - beforeSync;
const stats = controller.stats();
await controller.stop();
const pods = stats.cached.pods;
const perNodePerDs = syncState / (stats.cached.nodes * daemonSets);
note(
  `B4 whole controller before any sync: ${Math.round(beforeSync / pods)} B per cached pod (${pods} pods, ${stats.cached.nodes} nodes)`,
);
note(
  `B4 whole controller after ${incrementalSyncs + fullSyncs} syncs (${incrementalSyncs} incremental, ${fullSyncs} full): ${Math.round(whole / pods)} B per cached pod; sync state ${Math.round(syncState / pods)} B per pod, ${Math.round(perNodePerDs)} B per node per DaemonSet`,
);
note(`B4 writes dropped by the wire port: ${JSON.stringify(Object.fromEntries(wire.writes))}`);

report({
  id: 'B4',
  title: `controller heap with ${pods} cached pods (${nodes} nodes, ${daemonSets} DaemonSets)`,
  quick: isQuick(),
  figures: [
    atMost(
      'whole controller heap per cached pod, every DaemonSet synced once (caches and sync state)',
      whole / pods,
      'B',
      2048,
    ),
    info('whole controller heap per cached pod before any sync', beforeSync / pods, 'B'),
    info('sync state per pod (heap after the syncs − before)', syncState / pods, 'B'),
    info('sync state per node per DaemonSet', perNodePerDs, 'B'),
    info('pod cache per pod (trimPod, 3 indexes)', trimmed.bytes / trimmed.pods, 'B'),
    info('pod cache per pod without trimming', untrimmed.bytes / untrimmed.pods, 'B'),
    info('pod JSON on the wire', wire.podWireBytes(), 'B'),
    info('whole controller heap after the syncs', whole / 2 ** 20, 'MiB'),
    info('whole controller heap before any sync', beforeSync / 2 ** 20, 'MiB'),
    ...syncPathFigures(paths),
  ],
  details: {
    nodes,
    daemonSets,
    pods,
    cachedNodes: stats.cached.nodes,
    wholeBytes: whole,
    beforeSyncBytes: beforeSync,
    syncStateBytes: syncState,
    syncs: incrementalSyncs + fullSyncs,
    incrementalSyncs,
    fullSyncs,
    syncPaths: paths,
    statusWrites: stats.statusWrites,
    droppedWrites: Object.fromEntries(wire.writes),
    trimmed,
    untrimmed,
  },
});
