/**
 * B1: one DaemonSet applied to 1k, 5k and 10k nodes whose kubelets make pods ready at once. Measures
 * wall and CPU time from the apply to every pod available (observer ground truth), and the
 * controller's API writes per pod. Each size runs in its own process.
 */
import type { ApiCallStats } from '../src/cluster/memory/index.js';
import { argValue, runChild } from './lib/child.js';
import {
  atMost,
  describeSyncPaths,
  info,
  isQuick,
  note,
  report,
  round,
  syncPathFigures,
  syncPathsNow,
  syncPathsSince,
  type BenchResult,
  type Figure,
  type SyncPaths,
} from './lib/common.js';
import { allConverged, benchScenario, daemonSetManifest, runMeasured } from './lib/sim.js';

const APPLY_AT_MS = 1000;

/** What one size measured. */
interface SizeResult {
  readonly nodes: number;
  readonly pods: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly virtualMs: number;
  readonly syncs: number;
  /** Syncs by planning path (full ones by decline reason), from before the apply. */
  readonly paths: SyncPaths;
  readonly writes: number;
  readonly eventWrites: number;
  readonly byVerbKind: Record<string, number>;
}

function byVerbKind(s: ApiCallStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, verbs] of Object.entries(s.byKind))
    for (const [verb, n] of Object.entries(verbs ?? {}))
      if (n !== undefined && n > 0 && !['get', 'list', 'watch'].includes(verb))
        out[`${verb} ${kind}`] = n;
  return out;
}

async function one(nodes: number): Promise<SizeResult> {
  const scenario = await benchScenario({
    name: `b1-${nodes}`,
    nodes,
    timeline: [
      { at: `${APPLY_AT_MS}ms`, action: 'apply', objects: [daemonSetManifest({ name: 'agent' })] },
    ],
  });
  let statsAtStart: ApiCallStats | undefined;
  let pathsAtStart = syncPathsNow();
  const { start, end, sim } = await runMeasured(
    scenario,
    APPLY_AT_MS,
    allConverged,
    (s) => {
      if (s.offset < APPLY_AT_MS) {
        statsAtStart = s.memory.stats('controller');
        pathsAtStart = syncPathsNow();
      }
    },
    undefined,
    argValue('--profile'),
  );
  if (end === undefined) throw new Error(`b1 ${nodes}: never converged`);
  const after = sim.memory.stats('controller');
  const ev = after.byKind.Event ?? {};
  const eventWrites = (ev.create ?? 0) + (ev.patch ?? 0) + (ev.update ?? 0);
  const pods = after.byKind.Pod?.create ?? 0;
  return {
    nodes,
    pods,
    wallMs: end.wallMs - start.wallMs,
    cpuMs: end.cpuMs - start.cpuMs,
    virtualMs: end.offsetMs - start.offsetMs,
    syncs: sim.controllerSyncs,
    paths: syncPathsSince(pathsAtStart),
    writes: after.writes - (statsAtStart?.writes ?? 0),
    eventWrites,
    byVerbKind: byVerbKind(after),
  };
}

async function main(): Promise<void> {
  const single = argValue('--nodes');
  if (single !== undefined) {
    const r = await one(Number(single));
    report({ id: 'B1', title: 'one size', quick: isQuick(), figures: [], details: { size: r } });
    return;
  }
  const sizes = isQuick() ? [250, 500, 1000] : [1000, 5000, 10000];
  const results: SizeResult[] = [];
  for (const n of sizes) {
    const r = await runChild<BenchResult>(new URL(import.meta.url).pathname, {
      args: ['--nodes', String(n)],
    });
    const s = r.details.size as SizeResult;
    note(
      `B1 ${n} nodes: ${round(s.wallMs, 0)} ms wall, ${round(s.cpuMs, 0)} ms CPU, ${s.pods} pods, ${s.writes} writes (${s.eventWrites} events), syncs ${describeSyncPaths(s.paths)}`,
    );
    results.push(s);
  }
  const figures: Figure[] = [];
  const largest = results[results.length - 1]!;
  const smallest = results[0]!;
  for (const r of results) {
    const wall = `apply to all available, ${r.nodes} nodes`;
    figures.push(
      r === largest && !isQuick() ? atMost(wall, r.wallMs, 'ms', 2000) : info(wall, r.wallMs, 'ms'),
    );
    figures.push(info(`CPU, ${r.nodes} nodes`, r.cpuMs, 'ms'));
  }
  const perNode = (r: SizeResult) => r.cpuMs / r.nodes;
  figures.push(
    atMost(
      `CPU per node, ${largest.nodes} vs ${smallest.nodes} nodes (1 = linear; 20% noise allowed)`,
      perNode(largest) / perNode(smallest),
      'ratio',
      1.2,
    ),
  );
  for (const r of results) {
    figures.push(
      atMost(
        `writes per pod without events, ${r.nodes} nodes`,
        (r.writes - r.eventWrites) / r.pods,
        'writes',
        1.02,
      ),
    );
    figures.push(info(`writes per pod with events, ${r.nodes} nodes`, r.writes / r.pods, 'writes'));
  }
  figures.push(...syncPathFigures(largest.paths, `, ${largest.nodes} nodes`));
  report({
    id: 'B1',
    title: 'one DaemonSet applied, pods ready at once',
    quick: isQuick(),
    figures,
    details: { sizes: results },
  });
}

await main();
