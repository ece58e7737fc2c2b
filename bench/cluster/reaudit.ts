/**
 * `node --import tsx bench/cluster/reaudit.ts <run file> <audit.log>`: fills a bench:cluster run
 * file's audit-log figures (the controller's requests, every client's, kube-apiserver latency)
 * again from an audit log kept after the run, e.g. when the log rotated under the run before
 * bench:cluster read its rotated parts (7c604e8). The phases' windows come from the log itself:
 * R1 starts at the benchmark's DaemonSet create, R2 at its patch, each lasting the run file's
 * wallS, and counting runs to the next phase (R1) or to the settle's end (R2: wallS + --settle).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { argValue } from '../lib/child.js';
import { actorOf, auditLines, countRequests, requestLatency } from './measure.js';
import type { RunResult } from './report.js';

const [runFile, auditLog] = process.argv.slice(2);
if (runFile === undefined || auditLog === undefined || runFile.startsWith('--')) {
  console.error('usage: bench/cluster/reaudit.ts <run file> <audit.log> [--settle 10]');
  process.exit(2);
}
const settleMs = Number(argValue('--settle') ?? 10) * 1000;
const run = JSON.parse(readFileSync(runFile, 'utf8')) as RunResult;
let createAt: number | undefined;
let patchAt: number | undefined;
for (const line of auditLines(auditLog)) {
  if (!line.includes('everynode-bench') || !line.includes('"daemonsets"')) continue;
  const ev = JSON.parse(line) as {
    stage?: string;
    verb?: string;
    userAgent?: string;
    requestReceivedTimestamp?: string;
    objectRef?: { resource?: string; subresource?: string };
  };
  if (ev.stage !== 'ResponseComplete' || actorOf(ev.userAgent ?? '') !== 'bench') continue;
  if (ev.objectRef?.subresource !== undefined) continue;
  const at = Date.parse(ev.requestReceivedTimestamp ?? '');
  if (ev.verb === 'create' && createAt === undefined) createAt = at;
  if (ev.verb === 'patch' && patchAt === undefined) patchAt = at;
}
if (createAt === undefined || patchAt === undefined) {
  console.error(`${auditLog}: no DaemonSet create and patch by the benchmark found`);
  process.exit(1);
}
const r1 = { from: createAt, done: createAt + run.R1.wallS * 1000 + 1, to: patchAt };
const r2 = {
  from: patchAt,
  done: patchAt + run.R2.wallS * 1000 + 1,
  to: patchAt + run.R2.wallS * 1000 + settleMs,
};
const counts = countRequests(auditLog, [
  { from: r1.from, to: r1.to },
  { from: r2.from, to: r2.to },
  { from: r1.from, to: r1.done },
  { from: r2.from, to: r2.done },
]);
const latency = requestLatency(auditLog, [
  { from: r1.from, to: r1.done },
  { from: r2.from, to: r2.done },
]);
const controller = run.side === 'upstream' ? 'upstream-ds' : 'everynode';
const phases = (['R1', 'R2'] as const).map((name, i) => ({
  ...run[name],
  requests: counts[i]![controller] ?? { total: 0, byVerb: {} },
  requestsUntilDone: counts[i + 2]![controller]?.total ?? 0,
  allRequests: counts[i]!,
  apiLatencyMs: latency[i]!,
}));
const out: RunResult & { reaudited: string } = {
  ...run,
  R1: phases[0]!,
  R2: phases[1]!,
  reaudited: `bench/cluster/reaudit.ts from ${auditLog}`,
};
writeFileSync(runFile, JSON.stringify(out, null, 2) + '\n');
console.log(
  `${run.id}: requests ${out.R1.requests.total} + ${out.R2.requests.total}; ` +
    `apiserver p99 ${out.R1.apiLatencyMs?.all?.p99 ?? '?'} / ${out.R2.apiLatencyMs?.all?.p99 ?? '?'} ms`,
);
