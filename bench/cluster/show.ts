/**
 * `node --import tsx bench/cluster/show.ts [bench/results/cluster.json]`: the per-run detail of a
 * bench:cluster result: wall, load, CPU of every process, and the DaemonSet controller's requests
 * by verb and resource, per phase. For finding what bounds each side.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printTable, type RunResult, type Row } from './report.js';

const file = process.argv[2] ?? join(import.meta.dirname, '..', 'results', 'cluster.json');
const result = JSON.parse(readFileSync(file, 'utf8')) as {
  command: string;
  commit: string;
  date: string;
  machine: Record<string, unknown>;
  summary: Row[];
  runs: RunResult[];
  failures: { id: string; error: string }[];
};
console.log(`${result.command} · ${result.commit} · ${result.date}`);
console.log(`machine: ${JSON.stringify(result.machine)}`);
for (const r of result.runs) {
  console.log(
    `\n${r.id}${r.everynodeArgs ? ` [${r.everynodeArgs.join(' ')}]` : ''} (start ${r.startedAt}, up ${r.upS.toFixed(0)} s, load ${r.loadAtStart.join(' ')})`,
  );
  for (const name of ['R1', 'R2'] as const) {
    const p = r[name];
    const cpu = Object.entries(p.cpuS)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const sum = Object.values(p.cpuS).reduce((a, b) => a + b, 0);
    console.log(
      `  ${name}: ${p.wallS.toFixed(1)} s wall, load ${p.loadBefore[0] ?? '?'}→${p.loadAfter[0] ?? '?'}; ` +
        `CPU s: ${cpu} (sum ${sum.toFixed(1)}, ${(sum / p.wallS).toFixed(2)} cores)`,
    );
    if (p.schedCpuS !== undefined) {
      const exact = Object.entries(p.schedCpuS)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`    CPU s (schedstat): ${exact}`);
      if (p.wakeups !== undefined)
        console.log(
          `    on-CPU slices (~wake-ups): ${Object.entries(p.wakeups)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
    }
    if (p.memoryMiB !== undefined) {
      const mem = Object.entries(p.memoryMiB)
        .map(([k, v]) => `${k} ${v.rss} (peak ${v.peak})`)
        .join(', ');
      console.log(`    resident MiB at done: ${mem}`);
    }
    if (p.apiLatencyMs !== undefined) {
      const lat = Object.entries(p.apiLatencyMs)
        .sort((x, y) => y[1].n - x[1].n)
        .map(([k, v]) => `${k} p50 ${v.p50} p99 ${v.p99} max ${v.max} (n ${v.n})`)
        .join('; ');
      console.log(`    kube-apiserver latency ms: ${lat}`);
    }
    if (p.everynodeThreadsS !== undefined) {
      const threads = Object.entries(p.everynodeThreadsS)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`    everynode CPU s by thread: ${threads}`);
    }
    if (p.everynodeCounters !== undefined) {
      const counters = Object.entries(p.everynodeCounters)
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`    everynode counters: ${counters}`);
    }
    const verbs = Object.entries(p.requests.byVerb)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `    controller requests ${p.requests.total} (${p.requestsUntilDone} until done, ` +
        `${(p.requestsUntilDone / p.wallS).toFixed(1)}/s): ${verbs}`,
    );
    const others = Object.entries(p.allRequests)
      .map(([k, v]) => `${k} ${v.total}`)
      .join(', ');
    console.log(`    all clients: ${others}`);
  }
}
for (const f of result.failures) console.log(`FAILED ${f.id}: ${f.error}`);
printTable(result.summary);
