/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof` or the inspector): self time by area of the
 * code (controller, engine, api, memory cluster, simulator, runtime) and the top functions by self
 * time. Usage: node --import tsx bench/profile.ts <file.cpuprofile> [--top 25]
 *   [--window FROM,TO | --run bench/results/<name>-run-<id>.json --phase R1|R2]
 * The window (CLOCK_MONOTONIC µs, V8's profile clock) keeps the samples of one phase of a
 * bench:cluster run (its run file records each phase's monoUs).
 */
import { readFileSync } from 'node:fs';
import { argValue } from './lib/child.js';

/** The parts of a .cpuprofile this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  /** CLOCK_MONOTONIC in µs (Node's --cpu-prof and the inspector) of the first sample's base. */
  readonly startTime?: number;
}

/** A time window on the profile's clock (CLOCK_MONOTONIC, µs), both ends included. */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

/** The area of the code a script URL belongs to. */
export function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program';
  const m = /\/src\/(controller|engine|api|cluster\/memory|cluster|sim)\//.exec(url);
  if (m !== null) return m[1]!;
  if (url.includes('/bench/')) return 'bench';
  if (url.includes('node_modules')) return 'dependencies';
  return 'node runtime';
}

/**
 * Self time (ms) per area and per function. src/api holds helpers every layer calls (the
 * simulator's observer reads pod readiness through them as much as the controller does), so
 * their time is also given by the area of the nearest caller outside src/api: byCaller maps
 * "api:<area>" (e.g. "api:sim", "api:controller") to ms.
 */
export function summarise(
  p: CpuProfile,
  window?: Window,
): {
  totalMs: number;
  byArea: Map<string, number>;
  byFunction: Map<string, number>;
  byCaller: Map<string, number>;
} {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerArea = (id: number): string => {
    for (let a = parent.get(id); a !== undefined; a = parent.get(a)) {
      const f = byId.get(a)!.callFrame;
      const area = areaOf(f.url, f.functionName);
      if (area !== 'api' && area !== 'node runtime' && area !== 'dependencies') return area;
    }
    return 'unknown';
  };
  const byCaller = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  let t = p.startTime ?? 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
    const n = byId.get(p.samples[i]!);
    if (n === undefined) continue;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    if (area === 'idle') continue;
    totalMs += ms;
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    if (area === 'api') {
      const k = `api:${callerArea(n.id)}`;
      byCaller.set(k, (byCaller.get(k) ?? 0) + ms);
    }
    const short = url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  }
  return { totalMs, byArea, byFunction, byCaller };
}

/**
 * --window FROM,TO (CLOCK_MONOTONIC µs), or --run <bench:cluster run file> --phase R1|R2: the
 * phase's monoUs (from the start to the moment the rollout was seen complete).
 */
function windowOf(): Window | undefined {
  const w = argValue('--window');
  if (w !== undefined) {
    const [fromUs, toUs] = w.split(',').map(Number);
    if (!Number.isFinite(fromUs) || !Number.isFinite(toUs))
      throw new Error('--window FROM,TO in µs of CLOCK_MONOTONIC');
    return { fromUs: fromUs!, toUs: toUs! };
  }
  const run = argValue('--run');
  if (run === undefined) return undefined;
  const phase = argValue('--phase') ?? 'R1';
  const r = JSON.parse(readFileSync(run, 'utf8')) as Record<
    string,
    { monoUs?: { from: number; done: number } } | undefined
  >;
  const m = r[phase]?.monoUs;
  if (m === undefined) throw new Error(`${run}: no monoUs for ${phase}`);
  return { fromUs: m.from, toUs: m.done };
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: bench/profile.ts <file.cpuprofile> [--top N]');
  const top = Number(argValue('--top') ?? 25);
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, windowOf());
  const pct = (v: number) => `${((100 * v) / s.totalMs).toFixed(1).padStart(5)}%`;
  console.log(`busy ${s.totalMs.toFixed(0)} ms (idle excluded)\n\nby area (self time)`);
  for (const [a, v] of [...s.byArea].sort((x, y) => y[1] - x[1]))
    console.log(`  ${pct(v)}  ${v.toFixed(0).padStart(7)} ms  ${a}`);
  console.log(`\nsrc/api self time by caller`);
  for (const [a, v] of [...s.byCaller].sort((x, y) => y[1] - x[1]))
    console.log(`  ${pct(v)}  ${v.toFixed(0).padStart(7)} ms  ${a}`);
  console.log(`\ntop ${top} functions (self time)`);
  for (const [f, v] of [...s.byFunction].sort((x, y) => y[1] - x[1]).slice(0, top))
    console.log(`  ${pct(v)}  ${v.toFixed(0).padStart(7)} ms  ${f}`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!))
  main();
