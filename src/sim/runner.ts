/**
 * The simulation runner: builds the embedded cluster (memory API server, scheduler, kubelets,
 * node lifecycle, the real DaemonSet controller) on a virtual clock, plays a scenario's timeline,
 * and stops when everything converged or the time limit is reached. Each virtual instant is
 * drained completely (every watch delivered, every sync finished) before time moves on, so a run
 * depends only on its seed.
 */
import { MemoryCluster } from '../cluster/memory/index.js';
import { DaemonSetController } from '../controller/controller.js';
import { nullLogger } from '../controller/logger.js';
import { applyObjects, createNodes, runAction, type ActionContext } from './actions.js';
import { CheckEvaluator, type CheckResult } from './checks.js';
import { SIM_EPOCH_MS, VirtualClock } from './clock.js';
import { simulatedPrometheus, type SimQuery } from './prometheus.js';
import type { MetricQueryFn } from '../controller/metricrunner.js';
import { formatDuration } from './duration.js';
import { Journal } from './journal.js';
import { Kubelets } from './kubelet.js';
import { NodeLifecycle } from './lifecycle.js';
import { Observer } from './observer.js';
import { GridRecorder } from './report/grid/recorder.js';
import type { Plan } from '../engine/types.js';
import { seededRandom } from './random.js';
import { Scheduler } from './scheduler.js';
import { ScenarioError } from './scenario/source.js';
import type { CheckSpec, Scenario } from './scenario/types.js';
import { WorkTracker } from './work.js';
import { World } from './world.js';

/** The simulation could not go on (a livelock, an internal failure); exit code 1. */
export class SimulationError extends Error {
  override name = 'SimulationError';
}

/** How to run. */
export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Virtual seconds per wall second; 0 runs as fast as the CPU allows. */
  readonly speed?: number;
  /** Called after every virtual instant (for live progress). */
  readonly onInstant?: (sim: Simulation) => void;
  /** Most drain turns within one virtual instant before it is reported as a livelock. */
  readonly maxTurnsPerInstant?: number;
  /** Record every node's state over time for the HTML report (`sim --report`). */
  readonly record?: boolean;
  /**
   * How the Prometheus gate's queries are asked; the scenario's simulated server by default.
   * Tests against a real Prometheus pass controller/prometheus.ts's client here.
   */
  readonly metricQuery?: MetricQueryFn;
}

/** Why a run stopped. */
export type StopReason = 'converged' | 'timeLimit' | 'nothingLeft';

/** Everything a report needs once the run is over. */
export interface SimResult {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly stopReason: StopReason;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly checks: readonly CheckResult[];
  readonly sim: Simulation;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const turn = () => new Promise<void>((r) => setImmediate(r));

/** One simulation run of one scenario. */
export class Simulation {
  readonly clock = new VirtualClock(SIM_EPOCH_MS);
  /** The queries the simulated Prometheus answered (issue 12's metric gate), in order. */
  readonly prometheusQueries: SimQuery[] = [];
  readonly memory: MemoryCluster;
  readonly world: World;
  readonly journal: Journal;
  readonly observer: Observer;
  readonly kubelets: Kubelets;
  readonly scheduler: Scheduler;
  readonly lifecycle: NodeLifecycle;
  readonly work = new WorkTracker();
  readonly seed: number;
  controller: DaemonSetController | undefined;
  controllerRestarts = 0;
  /** The node grid over time, when RunOptions.record asked for it. */
  readonly grid: GridRecorder | undefined;
  /** Virtual instants the run went through (each drained completely). */
  instants = 0;
  /** Drain turns over the whole run (a measure of scheduling overhead). */
  turns = 0;
  /** Syncs done by controllers that have been stopped (restarts). */
  private pastSyncs = 0;
  private readonly checks: CheckEvaluator;
  private readonly results = new Map<CheckSpec, CheckResult>();
  private pendingActions = 0;
  private readonly rng;

  constructor(
    readonly scenario: Scenario,
    private readonly opts: RunOptions = {},
  ) {
    this.seed = opts.seed ?? scenario.seed;
    this.rng = seededRandom(this.seed);
    const random = () => this.rng.next();
    this.memory = new MemoryCluster({ clock: this.clock, random });
    this.world = new World(this.memory.client('sim-observer'), scenario.dsKind);
    this.journal = new Journal(() => this.offset);
    this.observer = new Observer(
      this.world,
      this.journal,
      () => this.offset,
      () => this.clock.now(),
      (ms) => void this.clock.setTimeout(() => undefined, ms),
    );
    this.scheduler = new Scheduler(
      this.world,
      this.memory.client('scheduler'),
      this.work,
      this.journal,
    );
    this.kubelets = new Kubelets(
      this.world,
      this.memory.client('kubelet'),
      this.clock,
      this.rng,
      this.work,
      scenario.kubelet,
    );
    this.lifecycle = new NodeLifecycle(
      this.world,
      this.memory.client('node-lifecycle'),
      this.clock,
      this.work,
      this.journal,
    );
    this.checks = new CheckEvaluator(this.world, this.observer);
    this.grid = opts.record === true ? new GridRecorder() : undefined;
    this.observer.recorder = this.grid;
  }

  /** Controller syncs over the whole run, across restarts. */
  get controllerSyncs(): number {
    return this.pastSyncs + (this.controller?.syncCount ?? 0);
  }

  /** Virtual ms since the start of the run. */
  get offset(): number {
    return this.clock.now() - SIM_EPOCH_MS;
  }

  /** Runs the scenario to its stop condition and evaluates its checks. */
  async run(): Promise<SimResult> {
    const wallStart = performance.now();
    const s = this.scenario;
    await this.world.start();
    const ctx = this.actionContext();
    await createNodes(ctx, s.nodes);
    if (s.nodes.length > 0)
      this.journal.add('node', `${s.nodes.length} nodes${describeZones(s)} created`);
    await applyObjects(ctx, s.objects);
    await this.startController();
    for (const a of s.timeline) {
      this.pendingActions++;
      this.clock.setTimeout(() => {
        this.work.run(async () => {
          try {
            await runAction(ctx, a);
          } finally {
            this.pendingActions--;
          }
        });
      }, a.atMs);
    }
    const timed = s.expect
      .filter((c) => CheckEvaluator.timed(c) !== undefined)
      .sort((a, b) => CheckEvaluator.timed(a)! - CheckEvaluator.timed(b)!);
    for (const c of timed) this.clock.setTimeout(() => undefined, CheckEvaluator.timed(c)!);
    const limit = SIM_EPOCH_MS + s.stop.timeLimitMs;
    let stopReason: StopReason;
    for (;;) {
      await this.drain();
      this.instants++;
      this.observer.sample();
      while (timed.length > 0 && CheckEvaluator.timed(timed[0]!)! <= this.offset) {
        const c = timed.shift()!;
        this.results.set(c, this.checks.evaluate(c, this.offset));
      }
      this.opts.onInstant?.(this);
      if (
        s.stop.converged &&
        this.pendingActions === 0 &&
        timed.length === 0 &&
        this.observer.allConverged() &&
        this.observer.tracks.size > 0
      ) {
        stopReason = 'converged';
        break;
      }
      const next = this.clock.nextDue();
      if (next === undefined || next > limit) {
        stopReason = next === undefined && this.clock.now() < limit ? 'nothingLeft' : 'timeLimit';
        if (stopReason === 'timeLimit') this.clock.advanceTo(limit);
        this.observer.sample();
        break;
      }
      await this.pace(next - this.clock.now());
      this.clock.advanceTo(next);
      this.clock.fireDue();
    }
    for (const c of timed)
      this.results.set(c, {
        ...this.checks.evaluate(c, this.offset),
        passed: false,
        message: `the run ended at ${formatDuration(this.offset)}, before this check's time`,
      });
    for (const c of s.expect)
      if (!this.results.has(c)) this.results.set(c, this.checks.evaluate(c, this.offset));
    this.journal.add(
      'scenario',
      stopReason === 'converged'
        ? 'every DaemonSet converged; simulation stopped'
        : stopReason === 'timeLimit'
          ? `time limit ${formatDuration(s.stop.timeLimitMs)} reached; simulation stopped`
          : 'nothing left to happen; simulation stopped',
    );
    await this.shutdown();
    return {
      scenario: s,
      seed: this.seed,
      stopReason,
      virtualMs: this.offset,
      wallMs: performance.now() - wallStart,
      checks: s.expect.map((c) => this.results.get(c)!),
      sim: this,
    };
  }

  private actionContext(): ActionContext {
    return {
      cluster: this.memory.client('scenario'),
      clock: this.clock,
      world: this.world,
      journal: this.journal,
      kubelets: this.kubelets,
      lifecycle: this.lifecycle,
      restartController: (downForMs) => this.restartController(downForMs),
      dsKind: this.scenario.dsKind,
    };
  }

  private async startController(): Promise<void> {
    const c = new DaemonSetController({
      cluster: this.memory.client('controller'),
      clock: this.clock,
      logger: nullLogger,
      workers: this.scenario.controller.workers,
      burstReplicas: this.scenario.controller.burstReplicas,
      nodeEventDelayMs: this.scenario.controller.nodeEventDelayMs,
      dsKind: this.scenario.dsKind,
      random: () => this.rng.next(),
      // The Prometheus gate's queries reach the scenario's simulated server, never a network.
      metricQuery:
        this.opts.metricQuery ??
        simulatedPrometheus(
          this.scenario.prometheus,
          () => this.clock.now() - SIM_EPOCH_MS,
          this.prometheusQueries,
        ),
      ...(this.grid !== undefined && {
        // Each sync's plan, for the reasons of its creates and deletes in the report.
        onPlan: (key: string, plan: Plan) => {
          this.grid?.onPlan(key, plan);
        },
      }),
    });
    this.controller = c;
    await c.start();
  }

  private async restartController(downForMs: number): Promise<void> {
    const old = this.controller;
    this.controller = undefined;
    if (old !== undefined) {
      await old.stop();
      this.pastSyncs += old.syncCount;
    }
    this.controllerRestarts++;
    this.journal.add(
      'controller',
      downForMs > 0
        ? `controller stopped (down for ${formatDuration(downForMs)})`
        : 'controller restarted',
    );
    if (downForMs === 0) {
      await this.startController();
      return;
    }
    this.pendingActions++;
    this.clock.setTimeout(() => {
      this.work.run(async () => {
        try {
          await this.startController();
          this.journal.add('controller', 'controller started again');
        } finally {
          this.pendingActions--;
        }
      });
    }, downForMs);
  }

  /** Lets every piece of work of the current instant run to completion. */
  private async drain(): Promise<void> {
    const max = this.opts.maxTurnsPerInstant ?? 200_000;
    let quiet = 0;
    for (let i = 0; ; i++) {
      this.turns++;
      await this.memory.idle();
      await turn();
      this.raiseErrors();
      const fired = this.clock.fireDue();
      const idle = fired === 0 && this.work.idle && (this.controller?.isIdle() ?? true);
      if (idle) {
        if (++quiet >= 2) return;
      } else quiet = 0;
      if (i > max) {
        throw new SimulationError(
          `livelock at ${formatDuration(this.offset)}: work kept coming for ${max} turns without virtual time passing (controller idle: ${String(this.controller?.isIdle() ?? true)}, simulation idle: ${String(this.work.idle)})`,
        );
      }
    }
  }

  private raiseErrors(): void {
    const err = this.work.errors.shift();
    if (err === undefined) return;
    if (err instanceof ScenarioError) throw err;
    throw new SimulationError(
      `simulation failed at ${formatDuration(this.offset)}: ${err instanceof Error ? err.message : JSON.stringify(err)}`,
      { cause: err },
    );
  }

  /** With --speed, waits the wall time that the next step of virtual time stands for. */
  private async pace(virtualMs: number): Promise<void> {
    const speed = this.opts.speed ?? 0;
    if (speed <= 0) return;
    let wall = virtualMs / speed;
    while (wall > 0) {
      const step = Math.min(wall, 100);
      await sleep(step);
      wall -= step;
      this.opts.onInstant?.(this);
    }
  }

  private async shutdown(): Promise<void> {
    const c = this.controller;
    this.controller = undefined;
    if (c !== undefined) {
      this.pastSyncs += c.syncCount;
      const stopping = c.stop();
      // stop() drains in-flight syncs; their timers may sit on the virtual clock.
      for (let i = 0; i < 1000; i++) {
        const done = await Promise.race([stopping.then(() => true), turn().then(() => false)]);
        if (done) break;
        this.clock.fireDue();
      }
    }
    this.world.stop();
  }
}

function describeZones(s: Scenario): string {
  const zones = new Set(
    s.nodes.map((n) => n.labels['topology.kubernetes.io/zone']).filter((z) => z !== undefined),
  );
  return zones.size > 1
    ? ` in ${zones.size} zones`
    : zones.size === 1
      ? ` in zone ${[...zones][0]!}`
      : '';
}
