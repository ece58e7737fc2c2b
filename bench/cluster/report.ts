/**
 * The side-by-side benchmark's figures: one run's raw results, the medians and ratios per set
 * of client limits (R1–R5), and the table printed at the end.
 */
import Table from 'cli-table3';
import type { Limits } from './cluster.js';
import type { Latency, RequestCount } from './measure.js';

/** One timed phase (R1 or R2) of one run. */
export interface PhaseResult {
  /** From the create (R1) or patch (R2) to the first poll that saw the rollout complete. */
  readonly wallS: number;
  /** CPU seconds per process over the same interval. */
  readonly cpuS: Record<string, number>;
  /** The same from the scheduler's exact accounting (/proc/<pid>/task/<tid>/schedstat, summed). */
  readonly schedCpuS?: Record<string, number>;
  /** Times each process was put on a CPU over the same interval (schedstat; ~wake-ups). */
  readonly wakeups?: Record<string, number>;
  /** CPU seconds per process from the start to the end of the settle period after the phase. */
  readonly cpuWithSettleS: Record<string, number>;
  /** kube-controller-manager plus everynode (when it runs), over the timed interval. */
  readonly controllerCpuS: number;
  /**
   * everynode's CPU seconds over the timed interval by thread: `main` (JavaScript, and GC pauses)
   * and the others by their name (V8's GC and compiler helpers, libuv's pool), when it runs.
   */
  readonly everynodeThreadsS?: Record<string, number>;
  /**
   * everynode's counters over the timed interval, from its /metrics: syncs
   * (controller_runtime_reconcile_total by result), queue adds, watch events by kind.
   */
  readonly everynodeCounters?: Record<string, number>;
  /** The DaemonSet controller's requests from the start to the end of the settle period. */
  readonly requests: RequestCount;
  /** The same, up to the moment the rollout was seen complete. */
  readonly requestsUntilDone: number;
  /** Every client's requests over the phase and its settle period. */
  readonly allRequests: Record<string, RequestCount>;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  /** Resident memory (now, peak) of each process when the phase was seen complete, MiB. */
  readonly memoryMiB?: Record<string, { readonly rss: number; readonly peak: number }>;
  /** kube-apiserver request latency (received to complete, watches left out) up to done: `all` and per client. */
  readonly apiLatencyMs?: Record<string, Latency>;
  /** The phase's start and the moment it was seen complete on CLOCK_MONOTONIC (µs). */
  readonly monoUs?: { readonly from: number; readonly done: number };
}

/** One run: one side, one set of limits, on a fresh cluster. */
export interface RunResult {
  readonly id: string;
  readonly side: 'upstream' | 'everynode';
  readonly limits: Limits;
  readonly index: number;
  readonly nodes: number;
  readonly startedAt: string;
  readonly upS: number;
  readonly loadAtStart: readonly number[];
  /** Extra flags everynode ran with (bench:cluster --everynode-args). */
  readonly everynodeArgs?: readonly string[];
  /** Flags given to Node itself for everynode (`--node-args`). */
  readonly nodeArgs?: readonly string[];
  readonly R1: PhaseResult;
  readonly R2: PhaseResult;
}

/** One compared figure: each side's median and per-run values, and everynode / upstream. */
export interface Row {
  readonly id: string;
  readonly figure: string;
  readonly limits: string;
  readonly upstream: { readonly median: number; readonly runs: readonly number[] };
  readonly everynode: { readonly median: number; readonly runs: readonly number[] };
  readonly ratio: number;
  readonly target?: number;
  readonly met?: boolean;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Medians and ratios of every figure, per set of limits, from the runs so far. */
export function summarise(runs: readonly RunResult[]): Row[] {
  const rows: Row[] = [];
  const figures: {
    id: string;
    figure: string;
    of: (r: RunResult) => number;
    target?: number;
    /** The target with limits lifted (R5, issue 15: R1, R2 and requests at most upstream's). */
    liftedTarget?: number;
  }[] = [
    {
      id: 'R1',
      figure: 'create → all available (s)',
      of: (r) => r.R1.wallS,
      target: 1,
      liftedTarget: 1,
    },
    {
      id: 'R2',
      figure: 'rolling update, maxUnavailable 10% (s)',
      of: (r) => r.R2.wallS,
      target: 1,
      liftedTarget: 1,
    },
    {
      id: 'R3',
      figure: 'DaemonSet controller API requests, R1 + R2',
      of: (r) => r.R1.requests.total + r.R2.requests.total,
      target: 1,
      liftedTarget: 1,
    },
    {
      id: 'R4',
      figure: 'CPU s, kcm (+ everynode), R1 + R2',
      of: (r) => r.R1.controllerCpuS + r.R2.controllerCpuS,
      // Issue 15 (round 2): kube-controller-manager without its DaemonSet controller plus
      // everynode at most kube-controller-manager with it (round 1's target was 1.5).
      target: 1,
    },
    {
      id: 'P99',
      figure: 'kube-apiserver request p99 (ms), R1 / R2 max',
      of: (r) =>
        Math.max(
          r.R1.apiLatencyMs?.all?.p99 ?? Number.NaN,
          r.R2.apiLatencyMs?.all?.p99 ?? Number.NaN,
        ),
    },
  ];
  for (const limits of ['limited', 'lifted']) {
    const of = (side: string): RunResult[] =>
      runs.filter((r) => r.limits.name === limits && r.side === side);
    const up = of('upstream');
    const en = of('everynode');
    if (up.length === 0 && en.length === 0) continue;
    for (const f of figures) {
      const u = up.map(f.of).map(r2);
      const e = en.map(f.of).map(r2);
      const ratio = Math.round((median(e) / median(u)) * 1000) / 1000;
      // R1–R4 hold at the equal default limits; with limits lifted (R5) wall and requests.
      const target = limits === 'limited' ? f.target : f.liftedTarget;
      if (u.every(Number.isNaN) && e.every(Number.isNaN)) continue;
      rows.push({
        id: limits === 'limited' ? f.id : `R5 (${f.id})`,
        figure: f.figure,
        limits,
        upstream: { median: r2(median(u)), runs: u },
        everynode: { median: r2(median(e)), runs: e },
        ratio,
        ...(target === undefined ? {} : { target, met: Number.isFinite(ratio) && ratio <= target }),
      });
    }
  }
  return rows;
}

/** Prints the rows as a table: medians, per-run values, ratio, target. */
export function printTable(rows: readonly Row[]): void {
  const t = new Table({
    head: [
      'id',
      'figure',
      'limits',
      'upstream median (runs)',
      'everynode median (runs)',
      'ratio',
      'target',
      'met',
    ],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    t.push([
      r.id,
      r.figure,
      r.limits,
      `${r.upstream.median} (${r.upstream.runs.join(', ')})`,
      `${r.everynode.median} (${r.everynode.runs.join(', ')})`,
      String(r.ratio),
      r.target === undefined ? 'report' : `<= ${r.target}`,
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ]);
  }
  console.log(t.toString());
}
