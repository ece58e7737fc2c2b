/**
 * B6: a rollout with a canary and waves on 5k nodes against a plain rolling update of the same
 * cluster (issue 12). Both runs use B2's setup (converged apps/v1 DaemonSet, pods ready at once,
 * maxUnavailable 10%, `setImage` at virtual 10 s) over nodes spread across ten zones; the waved
 * one adds, in the strategy annotation, a 1% canary spread over the zones (Auto, 5 s bake) and
 * waves by zone (Auto, 5 s bakes), with the default health gates. Each run is its own process;
 * the modes alternate over several pairs (`--pairs`, default 7; 1 with --quick). Measured is wall
 * and CPU from the instant before the image change to every node running an available new pod,
 * and the waved/plain ratio of each pair; the median over the pairs is judged (target ≤ 1.2).
 *
 * The bakes cost virtual time; the simulator's work per virtual instant (its kubelets, and the
 * observer that samples every DaemonSet's ground truth over all nodes at each instant) counts in
 * the whole-run figures, so the planning CPU (both paths) is reported apart too, with its ratio.
 * Sync paths (incremental vs full, by decline reason) are reported for both runs.
 */
import { stringify } from 'yaml';
import { STRATEGY_ANNOTATION } from '../src/api/rolloutkeys.js';
import { parseScenario } from '../src/sim/scenario/parse.js';
import type { Scenario } from '../src/sim/scenario/types.js';
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
  type BenchResult,
  type Figure,
} from './lib/common.js';
import { daemonSetManifest, measureRollout, type RolloutResult } from './lib/sim.js';

const UPDATE_AT_MS = 10_000;
const ZONES = Array.from({ length: 10 }, (_, i) => `zone-${String(i).padStart(2, '0')}`);
const TARGET_RATIO = 1.2;
/**
 * Pairs per B6 run: one run of each mode costs about a second of CPU, and on a shared machine
 * (GC timing, JIT warm-up, the other tenants) one pair's CPU ratio has ranged 1.08–1.68 on the
 * same commit; the median of several pairs is the figure judged.
 */
const PAIRS = 7;

/** The rollout fields of the waved run, as a user writes them in the strategy annotation. */
const WAVED_STRATEGY = {
  rollingUpdate: {
    canary: {
      count: '1%',
      spreadByKey: 'topology.kubernetes.io/zone',
      bakeSeconds: 5,
      promotion: 'Auto',
    },
    waves: { topologyKey: 'topology.kubernetes.io/zone', bakeSeconds: 5, promotion: 'Auto' },
  },
};

type Mode = 'plain' | 'waved';

type ModeResult = RolloutResult<Mode>;

/** B2's scenario (bench/lib/sim.ts benchScenario) with ten zones and, waved, the annotation. */
async function scenario(mode: Mode, nodes: number): Promise<Scenario> {
  const ds = daemonSetManifest({ name: 'agent', maxUnavailable: '10%' });
  if (mode === 'waved')
    (ds.metadata as Record<string, unknown>).annotations = {
      [STRATEGY_ANNOTATION]: JSON.stringify(WAVED_STRATEGY),
    };
  const doc = {
    name: `b6-${mode}-${nodes}`,
    seed: 42,
    nodes: [{ prefix: 'node-', count: nodes, zones: ZONES }],
    kubelet: { pullDelay: '0s', startupDelay: '0s', terminationDelay: '0s' },
    objects: [ds],
    timeline: [
      {
        at: `${UPDATE_AT_MS}ms`,
        action: 'setImage',
        daemonSet: 'kube-system/agent',
        image: 'example/agent:2.0',
      },
    ],
    stop: { converged: true, timeLimit: '1h' },
  };
  return parseScenario(`bench:${doc.name}`, stringify(doc), {
    loadObjects: () => Promise.reject(new Error('benchmarks reference no files')),
    resolvePath: (p) => p,
  });
}

async function one(mode: Mode, nodes: number): Promise<ModeResult> {
  return measureRollout('b6', mode, nodes, await scenario(mode, nodes), UPDATE_AT_MS);
}

async function main(): Promise<void> {
  const nodes = Number(argValue('--nodes') ?? (isQuick() ? 500 : 5000));
  const mode = argValue('--mode');
  if (mode === 'plain' || mode === 'waved') {
    report({
      id: 'B6',
      title: mode,
      quick: isQuick(),
      figures: [],
      details: { mode: await one(mode, nodes) },
    });
    return;
  }
  const pairs = Number(argValue('--pairs') ?? (isQuick() ? 1 : PAIRS));
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs: expected an integer >= 1`);
  const runs: Record<Mode, ModeResult[]> = { plain: [], waved: [] };
  const ratios = { wall: [] as number[], cpu: [] as number[], planning: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    // Alternating, each run in its own process: a pair's two runs meet about the same machine.
    for (const m of ['plain', 'waved'] as const) {
      const r = await runChild<BenchResult>(new URL(import.meta.url).pathname, {
        args: ['--mode', m, '--nodes', String(nodes), ...(isQuick() ? ['--quick'] : [])],
      });
      const d = r.details.mode as ModeResult;
      note(
        `B6 pair ${i + 1}/${pairs} ${m} ${nodes} nodes: ${round(d.wallMs, 0)} ms wall, ${round(d.cpuMs, 0)} ms CPU, ${round(d.planningMs, 0)} ms planning CPU, ${d.syncs} syncs (${describeSyncPaths(d.paths)}; ${answeredShare(d)}% incremental), ${d.virtualMs} virtual ms, max unavailable ${d.maxUnavailableSeen}`,
      );
      runs[m].push(d);
    }
    const plain = runs.plain[i]!;
    const waved = runs.waved[i]!;
    ratios.wall.push(waved.wallMs / plain.wallMs);
    ratios.cpu.push(waved.cpuMs / plain.cpuMs);
    ratios.planning.push(waved.planningMs / plain.planningMs);
    note(
      `B6 pair ${i + 1}/${pairs} ratio waved/plain: wall ${round(ratios.wall.at(-1)!, 2)}, CPU ${round(ratios.cpu.at(-1)!, 2)}, planning CPU ${round(ratios.planning.at(-1)!, 2)}`,
    );
  }
  const figures: Figure[] = [];
  const modes: Partial<Record<Mode, ModeResult>> = {};
  for (const m of ['plain', 'waved'] as const) {
    // The run with the median CPU stands for the mode (its syncs and writes are the same in all).
    const d = medianRun(runs[m]);
    modes[m] = d;
    const label = m === 'plain' ? 'plain rolling update' : 'canary + waves';
    figures.push(
      info(
        `${label}, ${nodes} nodes, wall (median run)`,
        round(median(runs[m].map((r) => r.wallMs)), 0),
        'ms',
      ),
      info(`${label}, CPU (median run)`, round(median(runs[m].map((r) => r.cpuMs)), 0), 'ms'),
      info(
        `${label}, planning CPU (both paths, median run)`,
        round(median(runs[m].map((r) => r.planningMs)), 0),
        'ms',
      ),
      info(`${label}, virtual time`, d.virtualMs, 'ms'),
      info(`${label}, syncs`, d.syncs, 'syncs'),
      info(`${label}, share of syncs planned incrementally`, answeredShare(d), '%'),
      ...syncPathFigures(d.paths, `, ${label}`),
      info(`${label}, controller writes`, d.controllerWrites, 'writes'),
    );
  }
  const wallRatio = round(median(ratios.wall), 2);
  const cpuRatio = round(median(ratios.cpu), 2);
  const planningRatio = round(median(ratios.planning), 2);
  const range = (xs: number[]) => `${round(Math.min(...xs), 2)}–${round(Math.max(...xs), 2)}`;
  note(
    `B6 ratio waved/plain, median of ${pairs} pair${pairs === 1 ? '' : 's'}: wall ${wallRatio} (${range(ratios.wall)}), CPU ${cpuRatio} (${range(ratios.cpu)}) (target ≤ ${TARGET_RATIO}); planning CPU alone ${planningRatio} (${range(ratios.planning)})`,
  );
  const of = `${nodes} nodes, median of ${pairs} pair${pairs === 1 ? '' : 's'}`;
  figures.push(
    nodes >= 5000
      ? atMost(`wall ratio canary + waves / plain, ${of}`, wallRatio, 'x', TARGET_RATIO)
      : info(`wall ratio canary + waves / plain, ${of}`, wallRatio, 'x'),
    nodes >= 5000
      ? atMost(`CPU ratio canary + waves / plain, ${of}`, cpuRatio, 'x', TARGET_RATIO)
      : info(`CPU ratio canary + waves / plain, ${of}`, cpuRatio, 'x'),
    info(`CPU ratio, lowest pair`, round(Math.min(...ratios.cpu), 2), 'x'),
    info(`CPU ratio, highest pair`, round(Math.max(...ratios.cpu), 2), 'x'),
    // The planning alone (both paths' time), apart from the simulated cluster: what issue 12's
    // "planning costs no more" is about; the whole-run ratios above stay the target.
    info(`planning CPU ratio canary + waves / plain, ${of}`, planningRatio, 'x'),
  );
  report({
    id: 'B6',
    title: 'canary and waves against a plain rolling update, 5k nodes',
    quick: isQuick(),
    figures,
    details: {
      modes,
      pairs,
      ratios: {
        wall: ratios.wall.map((r) => round(r, 3)),
        cpu: ratios.cpu.map((r) => round(r, 3)),
        planning: ratios.planning.map((r) => round(r, 3)),
      },
      wallRatio,
      cpuRatio,
      planningRatio,
      strategy: WAVED_STRATEGY,
      zones: ZONES.length,
    },
  });
}

function answeredShare(d: ModeResult): number {
  return d.syncs > 0 ? round((100 * d.paths.incremental) / d.syncs, 1) : 0;
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The run whose CPU is the median (the lower middle one for an even count). */
function medianRun(rs: readonly ModeResult[]): ModeResult {
  const s = [...rs].sort((a, b) => a.cpuMs - b.cpuMs);
  return s[(s.length - 1) >> 1]!;
}

await main();
