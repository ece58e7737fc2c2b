/**
 * What every benchmark script shares: the machine description, CPU and wall timers, percentiles,
 * and the hand-off of a result to the runner (a JSON file whose path the runner passes in
 * BENCH_OUT; printed to stdout when run by hand).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { applyControllerEnv } from '../../src/cli/controllerenv.js';
import { syncPathCounts } from '../../src/controller/syncpath.js';

// The benchmarks honour the CLI's controller switches (EVERYNODE_INCREMENTAL_SYNC=0 measures the
// full reconcile on every sync; EVERYNODE_NODE_EVENT_DELAY_MS), as `everynode` itself does.
applyControllerEnv();

/** One measured figure, with the target it is judged against (if any). */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target as text ("<= 2000"), or undefined for figures reported without a target. */
  readonly target?: string;
  /** True when the target is met; undefined when there is no target. */
  readonly ok?: boolean;
}

/** What a benchmark hands back: its figures and any detail worth keeping in the JSON. */
export interface BenchResult {
  readonly id: string;
  readonly title: string;
  readonly quick: boolean;
  readonly figures: readonly Figure[];
  readonly details: Record<string, unknown>;
}

/** The machine a figure was measured on, as the results record it. */
export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The git commit of the tree (with "+dirty" when it has uncommitted changes), or 'unknown'. */
export function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head}+dirty`;
  } catch {
    return 'unknown';
  }
}

/** CPU time (user + system) of this process so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The p-th percentile (0..100) of values by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Rounds to a few significant decimals for printing and JSON. */
export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** A figure judged "value <= limit". */
export function atMost(name: string, value: number, unit: string, limit: number): Figure {
  return { name, value: round(value), unit, target: `<= ${limit}`, ok: value <= limit };
}

/** A figure reported without a target. */
export function info(name: string, value: number, unit: string): Figure {
  return { name, value: round(value), unit };
}

/** True when the runner asked for the reduced sizes. */
export function isQuick(): boolean {
  return process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
}

/** Hands the result to the runner (BENCH_OUT), or prints it when the script runs on its own. */
export function report(result: BenchResult): void {
  const out = process.env.BENCH_OUT;
  const text = JSON.stringify(result, null, 2);
  if (out !== undefined && out !== '') writeFileSync(out, text);
  else process.stdout.write(`${text}\n`);
}

/** Logs a progress line on stderr (the runner shows it; stdout stays for results). */
export function note(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

/**
 * A fixed reference workload (object allocation, property reads, Map lookups), timed in wall ms.
 * The machine is shared: recording this beside each figure tells how fast the machine was at
 * the time, so figures from a loaded and a quiet machine can be compared.
 */
export function calibrate(): number {
  const t0 = performance.now();
  const m = new Map<string, { n: number; name: string }>();
  for (let i = 0; i < 10_000; i++) m.set(`node-${i}`, { n: i, name: `node-${i}` });
  let s = 0;
  for (let r = 0; r < 50; r++) for (const v of m.values()) s += m.get(v.name)!.n & 1;
  if (s < 0) throw new Error('unreachable');
  return performance.now() - t0;
}

/** Syncs of this process by planning path, and full ones by decline reason (only those seen). */
export interface SyncPaths {
  readonly incremental: number;
  readonly full: number;
  readonly byReason: Readonly<Record<string, number>>;
}

/** The process's sync-path counts now (controller/syncpath.ts). */
export function syncPathsNow(): SyncPaths {
  return {
    incremental: syncPathCounts.incremental,
    full: syncPathCounts.full,
    byReason: { ...syncPathCounts.byReason },
  };
}

/** The syncs since `start` (a syncPathsNow() reading), with only the reasons that occurred. */
export function syncPathsSince(start: SyncPaths): SyncPaths {
  const now = syncPathsNow();
  const byReason: Record<string, number> = {};
  for (const [r, n] of Object.entries(now.byReason)) {
    const d = n - (start.byReason[r] ?? 0);
    if (d > 0) byReason[r] = d;
  }
  return {
    incremental: now.incremental - start.incremental,
    full: now.full - start.full,
    byReason,
  };
}

/** "51 incremental, 1 full (historyWrite 1)": the sync paths in one phrase. */
export function describeSyncPaths(p: SyncPaths): string {
  const reasons = Object.entries(p.byReason).map(([r, n]) => `${r} ${n}`);
  return `${p.incremental} incremental, ${p.full} full${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`;
}

/** Report figures for sync paths: incremental, full, and full per decline reason. */
export function syncPathFigures(p: SyncPaths, suffix = ''): Figure[] {
  return [
    info(`syncs planned incrementally${suffix}`, p.incremental, 'syncs'),
    info(`syncs by the full reconcile${suffix}`, p.full, 'syncs'),
    ...Object.entries(p.byReason).map(([r, n]) =>
      info(`full reconcile because ${r}${suffix}`, n, 'syncs'),
    ),
  ];
}
