/**
 * Benchmark scenarios on the real simulator: scenario text is generated and parsed with the same
 * parser `everynode sim` uses (so DaemonSets are defaulted and validated as users' are), and the
 * Simulation runs the real DaemonSetController with its default options (2 workers, burst 250,
 * slow start). A Stopwatch marks the wall and CPU time at chosen virtual instants.
 */
import { stringify } from 'yaml';
import { DaemonSetController } from '../../src/controller/controller.js';
import { Simulation, type SimResult } from '../../src/sim/runner.js';
import { parseScenario } from '../../src/sim/scenario/parse.js';
import type { Scenario } from '../../src/sim/scenario/types.js';
import { argValue } from './child.js';
import { cpuMs, syncPathsNow, syncPathsSince, type SyncPaths } from './common.js';
import { startProfile, type RunningProfile } from './profiler.js';

/** One DaemonSet of a benchmark: its name and rolling-update parameters. */
export interface BenchDaemonSet {
  readonly name: string;
  readonly namespace?: string;
  readonly maxUnavailable?: string | number;
  readonly maxSurge?: string | number;
  readonly image?: string;
}

/** A DaemonSet manifest as a user would write it (one container, a selector on `app`). */
export function daemonSetManifest(d: BenchDaemonSet): Record<string, unknown> {
  const ru: Record<string, unknown> = {};
  if (d.maxUnavailable !== undefined) ru.maxUnavailable = d.maxUnavailable;
  if (d.maxSurge !== undefined) ru.maxSurge = d.maxSurge;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: d.name, namespace: d.namespace ?? 'kube-system' },
    spec: {
      selector: { matchLabels: { app: d.name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru },
      template: {
        metadata: { labels: { app: d.name } },
        spec: {
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'agent',
              image: d.image ?? `example/${d.name}:1.0`,
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** What a benchmark scenario contains. */
export interface ScenarioOptions {
  readonly name: string;
  readonly nodes: number;
  /** DaemonSets present before the controller starts. */
  readonly objects?: readonly BenchDaemonSet[];
  /** Timeline entries as scenario YAML would have them ({at, action, ...}). */
  readonly timeline?: readonly Record<string, unknown>[];
  readonly timeLimit?: string;
  /** Stop once everything converged (default true). */
  readonly stopWhenConverged?: boolean;
}

/**
 * A scenario whose kubelets make pods ready at once (no pull, startup or termination delay) and
 * report on 1 s boundaries, like the simulator's default kubelet.
 */
export async function benchScenario(o: ScenarioOptions): Promise<Scenario> {
  const doc = {
    name: o.name,
    seed: 42,
    nodes: [{ prefix: 'node-', count: o.nodes, zones: ['zone-a', 'zone-b', 'zone-c'] }],
    kubelet: { pullDelay: '0s', startupDelay: '0s', terminationDelay: '0s' },
    objects: (o.objects ?? []).map(daemonSetManifest),
    timeline: o.timeline ?? [],
    stop: { converged: o.stopWhenConverged ?? true, timeLimit: o.timeLimit ?? '1h' },
  };
  return parseScenario(`bench:${o.name}`, stringify(doc), {
    loadObjects: () => Promise.reject(new Error('benchmarks reference no files')),
    resolvePath: (p) => p,
  });
}

/** Wall and CPU readings at virtual instants. */
export interface Mark {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly offsetMs: number;
}

/** Takes a reading now. */
export function mark(offsetMs: number): Mark {
  return { wallMs: performance.now(), cpuMs: cpuMs(), offsetMs };
}

/**
 * Runs a simulation (after `setup`, which may register World listeners) and records two readings: the last instant before `startAtMs` (the state
 * just before the measured action fires) and the first instant at or after it where `done`
 * holds. Returns both with the run's result. With `profileFile`, a CPU profile of the measured
 * section (from the first instant before `startAtMs` to the end reading) is written there.
 */
export async function runMeasured(
  scenario: Scenario,
  startAtMs: number,
  done: (sim: Simulation) => boolean,
  onInstant?: (sim: Simulation) => void,
  setup?: (sim: Simulation) => void,
  profileFile?: string,
): Promise<{ result: SimResult; start: Mark; end: Mark | undefined; sim: Simulation }> {
  let start: Mark | undefined;
  let end: Mark | undefined;
  // The profiler is started and stopped asynchronously; the simulation goes on meanwhile, which
  // only adds a turn or two of the instants around the measured section.
  let profiling: Promise<RunningProfile> | undefined;
  let stopped: Promise<unknown> | undefined;
  const sim = new Simulation(scenario, {
    onInstant: (s) => {
      onInstant?.(s);
      if (s.offset < startAtMs) {
        if (profileFile !== undefined) profiling ??= startProfile(profileFile);
        start = mark(s.offset);
        return;
      }
      if (end === undefined && done(s)) {
        end = mark(s.offset);
        stopped = profiling?.then((p) => p.stop());
      }
    },
  });
  setup?.(sim);
  const result = await sim.run();
  await (stopped ?? profiling?.then((p) => p.stop()));
  if (start === undefined) throw new Error('the simulation never reached the start instant');
  return { result, start, end, sim };
}

/** Every DaemonSet converged (observer ground truth: one available newest pod per eligible node). */
export function allConverged(sim: Simulation): boolean {
  return sim.observer.tracks.size > 0 && sim.observer.allConverged();
}

/** One measured rollout of B2 or B6 (each mode of them runs in its own process). */
export interface RolloutResult<M extends string> {
  readonly mode: M;
  readonly nodes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly virtualMs: number;
  readonly syncs: number;
  /** Syncs of the rollout by planning path (full ones by decline reason). */
  readonly paths: SyncPaths;
  readonly controllerWrites: number;
  readonly maxUnavailableSeen: number;
  /**
   * Of cpuMs, the CPU the controller spent planning syncs (either path; both are synchronous, so
   * this is the process's CPU while they ran, a parallel GC included): what a rollout's planning
   * costs, apart from the simulated cluster, its kubelets and the observer that samples every
   * virtual instant.
   */
  readonly planningMs: number;
}

let planningTotal = 0;
let planningDepth = 0;
let planningWrapped = false;

/**
 * CPU milliseconds spent in the controller's two planning paths so far (planIncrementally and
 * reconcileFull, the outermost call counted once). Wraps them on the first call.
 */
export function planningMs(): number {
  if (!planningWrapped) {
    planningWrapped = true;
    const proto = DaemonSetController.prototype as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >;
    for (const name of ['planIncrementally', 'reconcileFull']) {
      const original = proto[name];
      if (typeof original !== 'function') throw new Error(`DaemonSetController has no ${name}`);
      proto[name] = function (this: unknown, ...args: unknown[]): unknown {
        const t = planningDepth === 0 ? process.cpuUsage() : undefined;
        planningDepth++;
        try {
          return original.apply(this, args);
        } finally {
          planningDepth--;
          if (t !== undefined) {
            const d = process.cpuUsage(t);
            planningTotal += (d.user + d.system) / 1000;
          }
        }
      };
    }
  }
  return planningTotal;
}

/**
 * Runs a scenario whose DaemonSet kube-system/agent changes its template at `updateAtMs` and
 * measures from then until every DaemonSet converged: wall, CPU, virtual time, the syncs by
 * planning path and the controller's writes of the rollout alone (`--profile` as runMeasured).
 */
export async function measureRollout<M extends string>(
  id: string,
  mode: M,
  nodes: number,
  scenario: Scenario,
  updateAtMs: number,
): Promise<RolloutResult<M>> {
  let syncsAtStart = 0;
  let writesAtStart = 0;
  let pathsAtStart = syncPathsNow();
  let planningAtStart = planningMs();
  // Read at every measured instant until the one where the rollout converged (runMeasured's end).
  let planningAtEnd: number | undefined;
  let ended = false;
  const { start, end, sim } = await runMeasured(
    scenario,
    updateAtMs,
    (s) => allConverged(s),
    (s) => {
      if (s.offset < updateAtMs) {
        syncsAtStart = s.controllerSyncs;
        writesAtStart = s.memory.stats('controller').writes;
        pathsAtStart = syncPathsNow();
        planningAtStart = planningMs();
      } else if (!ended) {
        planningAtEnd = planningMs();
        ended = allConverged(s);
      }
    },
    undefined,
    argValue('--profile'),
  );
  if (end === undefined) throw new Error(`${id} ${mode}: never converged`);
  const rollout = sim.observer.tracks.get('kube-system/agent')?.rollouts.at(-1);
  return {
    mode,
    nodes,
    wallMs: end.wallMs - start.wallMs,
    cpuMs: end.cpuMs - start.cpuMs,
    virtualMs: end.offsetMs - updateAtMs,
    syncs: sim.controllerSyncs - syncsAtStart,
    paths: syncPathsSince(pathsAtStart),
    controllerWrites: sim.memory.stats('controller').writes - writesAtStart,
    maxUnavailableSeen: rollout?.maxUnavailable ?? -1,
    planningMs: (planningAtEnd ?? planningMs()) - planningAtStart,
  };
}
