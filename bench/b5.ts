/**
 * B5: one steady-state sync of a DaemonSet over 10k nodes with nothing to do. The cluster is
 * converged first (bench/lib/populate.ts); a controller with default options and no workers then
 * lists everything, and syncDaemonSet is timed one call at a time, checked to plan and write
 * nothing. The engine alone (reconcile on a snapshot from the same caches) is timed as well, and
 * so is the first sync, which builds the controller's incremental state.
 */
import type { Pod } from '../src/api/types.js';
import { DaemonSetController } from '../src/controller/controller.js';
import {
  INDEX_CONTROLLER_UID,
  INDEX_NAMESPACE,
  INDEX_ORPHAN_NAMESPACE,
} from '../src/controller/informer.js';
import { reconcile } from '../src/engine/reconcile.js';
import { argValue } from './lib/child.js';
import {
  atMost,
  cpuMs,
  info,
  isQuick,
  note,
  percentile,
  report,
  syncPathFigures,
  syncPathsNow,
  syncPathsSince,
} from './lib/common.js';
import { convergedCluster } from './lib/populate.js';
import { startProfile } from './lib/profiler.js';

const nodes = Number(argValue('--nodes') ?? (isQuick() ? 1000 : 10000));
const runs = Number(argValue('--runs') ?? (isQuick() ? 20 : 100));

const setupStart = performance.now();
const { clock, memory, keys } = await convergedCluster(nodes, [{ name: 'agent' }]);
note(`B5 set-up: ${nodes} nodes converged in ${Math.round(performance.now() - setupStart)} ms`);
const controller = new DaemonSetController({
  cluster: memory.client('controller'),
  clock,
  workers: 0,
});
await controller.start();
const key = keys[0]!;
const before = memory.stats('controller').writes;
const pathsAtStart = syncPathsNow();

async function timeSync(): Promise<{ wall: number; cpu: number }> {
  const c0 = cpuMs();
  const w0 = performance.now();
  const plan = await controller.syncDaemonSet(key);
  const wall = performance.now() - w0;
  const cpu = cpuMs() - c0;
  if (plan === undefined || plan.creates.length + plan.deletes.length > 0 || plan.statusChanged)
    throw new Error('B5: the steady-state sync planned work; the set-up is not converged');
  return { wall, cpu };
}

// The first sync builds the incremental sync's per-DaemonSet state (every node and pod once, like
// a full reconcile); the timed syncs after it are what a steady state costs.
const first = await timeSync();
for (let i = 0; i < 9; i++) await timeSync();
const profileFile = argValue('--profile');
const profiling = profileFile === undefined ? undefined : await startProfile(profileFile);
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = await timeSync();
  wall.push(t.wall);
  cpu.push(t.cpu);
}
await profiling?.stop();
const writes = memory.stats('controller').writes - before;

// The engine alone, on the snapshot the sync builds: its pods as the controller's full reconcile
// reads them (claimablePods: the ones it controls, then its namespace's orphans; the pod cache
// keeps no namespace index).
const caches = controller.caches;
const ds = caches.daemonSets.get(key)!;
const claimable = (): Pod[] => {
  const owned = caches.pods.byIndex(INDEX_CONTROLLER_UID, ds.metadata!.uid!);
  const orphans = caches.pods.byIndex(INDEX_ORPHAN_NAMESPACE, ds.metadata!.namespace!);
  return orphans.length === 0 ? owned : owned.concat(orphans);
};
const snapshotMs: number[] = [];
const engineMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const snapshot = {
    ds,
    nodes: caches.nodes.list(),
    pods: claimable(),
    revisions: caches.revisions.byIndex(INDEX_NAMESPACE, ds.metadata!.namespace!),
    now: clock.now(),
    backoff: new Map(),
  };
  const t1 = performance.now();
  reconcile(snapshot, { mode: 'live', expectationsSatisfied: true });
  engineMs.push(performance.now() - t1);
  snapshotMs.push(t1 - t0);
}
await controller.stop();

const p50 = percentile(wall, 50);
note(
  `B5 ${nodes} nodes: sync p50 ${p50.toFixed(2)} ms wall, ${percentile(cpu, 50).toFixed(2)} ms CPU`,
);
const paths = syncPathsSince(pathsAtStart);
report({
  id: 'B5',
  title: `steady-state sync of one DaemonSet over ${nodes} nodes`,
  quick: isQuick(),
  figures: [
    nodes >= 10000
      ? atMost(`sync p50 (wall), ${nodes} nodes`, p50, 'ms', 2)
      : info(`sync p50 (wall), ${nodes} nodes`, p50, 'ms'),
    info('sync p90 (wall)', percentile(wall, 90), 'ms'),
    info('sync min (wall)', Math.min(...wall), 'ms'),
    info('sync p50 (CPU)', percentile(cpu, 50), 'ms'),
    info('first sync (builds the incremental state), wall', first.wall, 'ms'),
    info('first sync, CPU', first.cpu, 'ms'),
    info('snapshot from caches p50', percentile(snapshotMs, 50), 'ms'),
    info('engine reconcile p50', percentile(engineMs, 50), 'ms'),
    info('API writes during the timed syncs', writes, 'writes'),
    ...syncPathFigures(paths, ' (first, warm-up and timed syncs)'),
  ],
  details: { nodes, runs, wallMs: wall, cpuMs: cpu, engineMs, snapshotMs, first, syncPaths: paths },
});
