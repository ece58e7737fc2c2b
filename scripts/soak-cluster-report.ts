/**
 * The real-control-plane soak's figures (scripts/soak-cluster-run.ts): the controller process's
 * RSS and open file descriptors from /proc, its heap from /metrics, the resource checks and the
 * table printed at the end.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { get } from './cluster/lib.js';
import type { Everynode } from '../test/cluster/helpers.js';

export interface Sample {
  readonly round: number;
  readonly proc: number;
  readonly rssMB: number;
  readonly fds: number;
  readonly heapMB: number | undefined;
}

export interface RoundLine {
  readonly round: number;
  readonly what: string;
  readonly nodes: number;
  readonly pods: Readonly<Record<'agent' | 'logs', number>>;
  readonly convergeS: number;
  readonly created: number;
  readonly deleted: number;
  readonly sample: Sample | undefined;
}

export function procFigures(pid: number): { rssMB: number; fds: number } | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(st)?.[1] ?? NaN);
    return { rssMB: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

export async function heapMB(c: Everynode): Promise<number | undefined> {
  const served = c.lines.find((l) => l.msg === 'serving /metrics, /healthz and /readyz');
  if (served === undefined) return undefined;
  const r = await get(`http://127.0.0.1:${String(served.port)}/metrics`).catch(() => undefined);
  const m = r && /^nodejs_heap_size_used_bytes (\S+)/m.exec(r.body);
  return m ? Number(m[1]) / 2 ** 20 : undefined;
}

export interface ReportInput {
  readonly lines: readonly RoundLine[];
  readonly samples: readonly Sample[];
  /** The index of the last controller process (it runs the rounds after the restarts). */
  readonly lastProc: number;
  readonly fail: (msg: string) => void;
  readonly summary: string;
}

/**
 * Checks the last process's RSS and fds for growth; prints the table and the summary. False when
 * the run was too short to judge growth (fewer than 4 samples after the last restart's minute).
 */
export function report(r: ReportInput): boolean {
  const { lines, samples, fail } = r;
  // Resources: flat over the last process's life (rounds 4..end) after its first minute.
  const lastProc = samples.filter((s) => s.proc === r.lastProc).slice(6);
  if (lastProc.length >= 4) {
    const third = Math.floor(lastProc.length / 3);
    const median = (xs: readonly number[]): number =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const early = lastProc.slice(0, third);
    const late = lastProc.slice(-third);
    const a = median(early.map((s) => s.rssMB));
    const b = median(late.map((s) => s.rssMB));
    if (b > a * 1.15 + 15)
      fail(`controller RSS grew: median ${a.toFixed(1)} MB, then ${b.toFixed(1)} MB`);
    const fa = Math.max(...early.map((s) => s.fds));
    const fb = Math.max(...late.map((s) => s.fds));
    if (fb > fa + 5) fail(`controller file descriptors grew: ${fa}, then ${fb}`);
  }
  const peak = Math.max(...samples.map((s) => s.rssMB));
  const range = (xs: readonly number[], digits = 1): string =>
    xs.length === 0 ? '?' : `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
  const heaps = lastProc.flatMap((s) => (s.heapMB === undefined ? [] : [s.heapMB]));

  console.log(
    'round  events                  nodes  agent  logs  converge s  created  deleted  RSS MB  heap MB  fds',
  );
  for (const l of lines)
    console.log(
      `${String(l.round).padStart(5)}  ${l.what.padEnd(22)}  ${String(l.nodes).padStart(5)}  ${String(l.pods.agent).padStart(5)}  ` +
        `${String(l.pods.logs).padStart(4)}  ${l.convergeS.toFixed(1).padStart(10)}  ${String(l.created).padStart(7)}  ` +
        `${String(l.deleted).padStart(7)}  ${(l.sample?.rssMB.toFixed(1) ?? '?').padStart(6)}  ` +
        `${(l.sample?.heapMB?.toFixed(1) ?? '?').padStart(7)}  ${String(l.sample?.fds ?? '?').padStart(3)}`,
    );
  console.log(
    `\n${r.summary}; ` +
      `peak controller RSS ${peak.toFixed(1)} MB; the last process after its first minute ` +
      `(${lastProc.length} samples): RSS ${range(lastProc.map((s) => s.rssMB))} MB, heap ${range(heaps)} MB, ` +
      `fds ${range(
        lastProc.map((s) => s.fds),
        0,
      )}; slowest convergence ${Math.max(...lines.map((l) => l.convergeS)).toFixed(1)} s`,
  );
  return lastProc.length >= 4;
}
