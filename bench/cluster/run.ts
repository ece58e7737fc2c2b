/**
 * `npm run bench:cluster`: everynode beside the upstream DaemonSet controller on a real control
 * plane with kwok nodes (issue 6, R1–R5). See docs/dev/bench-cluster.md.
 *
 *   npm run bench:cluster                      1,000 nodes, 3 runs per side, limited and lifted
 *   npm run bench:cluster -- --quick           100 nodes, 1 run per side
 *   npm run bench:cluster -- --nodes 500 --runs 2 --limits limited --profile
 *   npm run bench:cluster -- --sides everynode --runs 1 --limits limited --profile  (diagnosis)
 *
 * Each run is one side (upstream or everynode) at one set of client limits on a fresh cluster;
 * sides alternate. Results go to bench/results/cluster.json (cluster-quick.json with --quick),
 * rewritten after every run, and each run's raw figures to bench/results/cluster[-quick]-run-<id>.json.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gitCommit, machine } from '../lib/common.js';
import { sleep } from '../../scripts/cluster/lib.js';
import {
  type BenchCluster,
  type Everynode,
  type Limits,
  apiBytes,
  downCluster,
  everynodeCounters,
  repoRoot,
  snapshot,
  startEverynode,
  stopEverynode,
  upCluster,
} from './cluster.js';
import {
  type RequestCount,
  countRequests,
  cpuDelta,
  requestLatency,
  requestTrace,
  sampleCpu,
  sampleMemory,
  sampleSched,
  sampleSlices,
  threadCpuSeconds,
  writeAuditPolicy,
} from './measure.js';
import { createDaemonSet, updateImage, waitRolledOut } from './phases.js';
import { type PhaseResult, type RunResult, printTable, summarise } from './report.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    nodes: { type: 'string' },
    runs: { type: 'string' },
    limits: { type: 'string', default: 'limited,lifted' },
    sides: { type: 'string', default: 'upstream,everynode' },
    profile: { type: 'boolean', default: false },
    // Seconds of kube-apiserver CPU profile (pprof) taken from the start of each phase.
    'apiserver-profile': { type: 'string' },
    // The harness's own variables name the state directory and port offset when set, as for
    // test:cluster, so that an engineer's benchmark and tests share one cluster slot.
    dir: {
      type: 'string',
      default: process.env.EVERYNODE_CLUSTER_DIR ?? '/tmp/everynode-bench-cluster',
    },
    offset: { type: 'string', default: process.env.EVERYNODE_CLUSTER_PORT_OFFSET ?? '200' },
    // Extra flags for `everynode run` (space separated), e.g. '--adaptive-qps' or
    // '--status-interval 0'; recorded in each run's result.
    'everynode-args': { type: 'string', default: '' },
    // Extra flags for Node itself when it starts everynode (space separated), e.g. V8 or
    // --import flags for a diagnosis; recorded in each run's result.
    'node-args': { type: 'string', default: '' },
    settle: { type: 'string', default: '10' },
    // everynode runs from a git-archive snapshot of this commit (default HEAD), so that every
    // run tests the same code while others edit the tree; --everynode-tree runs the tree as is.
    'everynode-commit': { type: 'string', default: 'HEAD' },
    'everynode-tree': { type: 'boolean', default: false },
    // Results file base name in bench/results (default cluster, or cluster-quick).
    out: { type: 'string' },
    // Runs of an earlier result file to include in the summary (e.g. one side measured earlier).
    merge: { type: 'string' },
  },
});
const everynodeArgs = flags['everynode-args'].split(' ').filter((a) => a !== '');
const nodeArgs = flags['node-args'].split(' ').filter((a) => a !== '');
const nodes = Number(flags.nodes ?? (flags.quick ? 100 : 1000));
const runs = Number(flags.runs ?? (flags.quick ? 1 : 3));
const offset = Number(flags.offset);
const settleMs = Number(flags.settle) * 1000;
if (!Number.isInteger(nodes) || nodes < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error('--nodes and --runs must be positive integers');
  process.exit(2);
}
const LIMITS: Record<string, Limits> = {
  // kube-scheduler keeps its defaults (50/100) at the controllers' default limits.
  limited: { name: 'limited', qps: 20, burst: 30 },
  lifted: { name: 'lifted', qps: 1000, burst: 2000, schedulerQps: 1000, schedulerBurst: 2000 },
};
const limitSets = flags.limits.split(',').map((s) => {
  const l = LIMITS[s.trim()];
  if (!l) {
    console.error(`--limits: unknown set ${s} (limited, lifted)`);
    process.exit(2);
  }
  return l;
});

const sides = flags.sides.split(',').map((s) => s.trim());
if (sides.length === 0 || sides.some((s) => s !== 'upstream' && s !== 'everynode')) {
  console.error('--sides: upstream, everynode or both');
  process.exit(2);
}
const dir = flags.dir;
const work = `${dir}-work`;
mkdirSync(work, { recursive: true });
// Each run starts by stopping whatever cluster the state directory holds, so a second benchmark
// on the same directory would kill the first one's cluster: refuse while another one runs.
const lock = join(work, 'bench.pid');
if (existsSync(lock)) {
  const other = Number(readFileSync(lock, 'utf8'));
  let alive = false;
  try {
    process.kill(other, 0);
    alive = other !== process.pid;
  } catch {
    alive = false;
  }
  if (alive) {
    console.error(`another bench:cluster (pid ${other}) uses ${dir}; use --dir and --offset`);
    process.exit(1);
  }
}
writeFileSync(lock, String(process.pid));
process.on('exit', () => {
  try {
    if (readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock);
  } catch {
    // already gone
  }
});
const auditPolicy = writeAuditPolicy(join(work, 'audit-policy.yaml'));
const resultsDir = join(import.meta.dirname, '..', 'results');
mkdirSync(resultsDir, { recursive: true });
const resultBase = flags.out ?? (flags.quick ? 'cluster-quick' : 'cluster');
const everynodeCommit = execFileSync('git', ['rev-parse', flags['everynode-commit']], {
  cwd: repoRoot,
  encoding: 'utf8',
}).trim();
const everynodeRoot = flags['everynode-tree'] ? repoRoot : snapshot(everynodeCommit, work);
const everynodeSource = flags['everynode-tree']
  ? `working tree ${gitCommit()}`
  : `snapshot of ${everynodeCommit}`;
const resultFile = join(resultsDir, `${resultBase}.json`);
const command = `npm run bench:cluster --${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
const commit = gitCommit();
const t0 = Date.now();
const say = (msg: string): void => {
  const s = Math.round((Date.now() - t0) / 1000);
  const stamp = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  console.log(`[bench:cluster ${stamp}] ${msg}`);
};
// CLOCK_MONOTONIC in µs, the clock of V8's CPU profiles: bench/profile.ts --window cuts a
// profile of everynode to one phase with these.
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);
const load = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

let current: { cluster?: BenchCluster; everynode?: Everynode } = {};
let stopping = false;
async function cleanUp(): Promise<void> {
  if (current.everynode) await stopEverynode(current.everynode);
  await downCluster(dir, offset, () => undefined).catch(() => undefined);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    say(`${sig}: stopping the run and the cluster`);
    void cleanUp().finally(() => process.exit(1));
  });
}

/** Runs one timed phase and the settle after it; returns its figures (requests filled later). */
async function phase(
  name: 'R1' | 'R2',
  label: string,
  c: BenchCluster,
  pids: Record<string, number>,
  act: () => Promise<void>,
  en?: Everynode,
): Promise<{
  result: Omit<PhaseResult, 'requests' | 'requestsUntilDone' | 'allRequests' | 'apiLatencyMs'>;
  from: number;
  done: number;
  to: number;
}> {
  const loadBefore = load();
  const cpu0 = sampleCpu(pids);
  const sched0 = sampleSched(pids);
  const slices0 = sampleSlices(pids);
  const threads0 = pids.everynode === undefined ? {} : threadCpuSeconds(pids.everynode);
  const counters0 = en === undefined ? {} : await everynodeCounters(en);
  const apiProfile =
    flags['apiserver-profile'] === undefined
      ? undefined
      : apiBytes(
          c,
          `/debug/pprof/profile?seconds=${Number(flags['apiserver-profile'])}`,
          (Number(flags['apiserver-profile']) + 60) * 1000,
        );
  const from = Date.now();
  const fromMonoUs = monoUs();
  await act();
  const timeoutMs = Math.max(600_000, nodes * 1500);
  const done = await waitRolledOut(c, nodes, timeoutMs, (p) => {
    say(
      `${label} ${name}: ${p ? `updated ${p.updated}, available ${p.available} of ${p.desired} (generation ${p.observedGeneration}/${p.generation})` : 'no status yet'}`,
    );
  });
  const doneMonoUs = monoUs();
  const memory = sampleMemory(pids);
  const cpu1 = sampleCpu(pids);
  const sched1 = sampleSched(pids);
  const slices1 = sampleSlices(pids);
  const threads1 = pids.everynode === undefined ? {} : threadCpuSeconds(pids.everynode);
  const counters1 = en === undefined ? {} : await everynodeCounters(en);
  const wallS = (done - from) / 1000;
  say(`${label} ${name}: done in ${wallS.toFixed(1)} s; settling ${settleMs / 1000} s`);
  await sleep(settleMs);
  if (apiProfile !== undefined) {
    const bytes = await apiProfile;
    const dirOut = join(work, 'profiles', label.slice(1, -1));
    mkdirSync(dirOut, { recursive: true });
    writeFileSync(join(dirOut, `kube-apiserver-${name}.pprof`), bytes);
  }
  const cpu2 = sampleCpu(pids);
  const to = Date.now();
  const cpuS = cpuDelta(cpu0, cpu1);
  return {
    result: {
      wallS,
      cpuS,
      cpuWithSettleS: cpuDelta(cpu0, cpu2),
      schedCpuS: cpuDelta(sched0, sched1),
      wakeups: Object.fromEntries(
        Object.entries(slices1)
          .filter(([k]) => slices0[k] !== undefined)
          .map(([k, v]) => [k, v - slices0[k]!]),
      ),
      controllerCpuS:
        Math.round(((cpuS['kube-controller-manager'] ?? 0) + (cpuS.everynode ?? 0)) * 100) / 100,
      ...(pids.everynode === undefined ? {} : { everynodeThreadsS: cpuDelta(threads0, threads1) }),
      ...(en === undefined
        ? {}
        : {
            everynodeCounters: Object.fromEntries(
              Object.entries(counters1).map(([k, v]) => [k, v - (counters0[k] ?? 0)]),
            ),
          }),
      loadBefore,
      loadAfter: load(),
      memoryMiB: memory,
      monoUs: { from: fromMonoUs, done: doneMonoUs },
    },
    from,
    done,
    to,
  };
}

async function oneRun(
  side: 'upstream' | 'everynode',
  limits: Limits,
  index: number,
): Promise<RunResult> {
  const id = `${side}-${limits.name}-${index}`;
  const label = `[${id}]`;
  const startedAt = new Date().toISOString();
  const loadAtStart = load();
  say(`${label} fresh cluster: ${nodes} nodes, load ${loadAtStart.join(' ')}`);
  const upStart = Date.now();
  const c = await upCluster({
    dir,
    offset,
    nodes,
    upstream: side === 'upstream',
    limits,
    auditPolicy,
    apiserverProfiling: flags['apiserver-profile'] !== undefined,
    progress: (l) => {
      if (/cluster ready|created|failed|last lines/.test(l)) say(`${label} ${l}`);
    },
  });
  current = { cluster: c };
  const upS = (Date.now() - upStart) / 1000;
  const pids: Record<string, number> = { ...c.pids };
  const runLogs = join(work, 'logs', id);
  mkdirSync(runLogs, { recursive: true });
  if (side === 'everynode') {
    const profDir = flags.profile ? join(work, 'profiles', id) : undefined;
    const e = await startEverynode(
      c,
      limits,
      join(runLogs, 'everynode.log'),
      everynodeRoot,
      profDir,
      everynodeArgs,
      nodeArgs,
    );
    current.everynode = e;
    pids.everynode = e.pid;
    say(`${label} everynode ready (pid ${e.pid})`);
  }
  say(`${label} cluster up in ${upS.toFixed(0)} s; waiting 5 s, then R1`);
  await sleep(5000);
  const r1 = await phase('R1', label, c, pids, () => createDaemonSet(c), current.everynode);
  const r2 = await phase('R2', label, c, pids, () => updateImage(c), current.everynode);
  if (current.everynode) {
    await stopEverynode(current.everynode);
    current.everynode = undefined;
  }
  const audit = join(dir, 'logs', 'audit.log');
  const counts = countRequests(audit, [
    { from: r1.from, to: r1.to },
    { from: r2.from, to: r2.to },
    { from: r1.from, to: r1.done + 1 },
    { from: r2.from, to: r2.done + 1 },
  ]);
  const latency = requestLatency(audit, [
    { from: r1.from, to: r1.done + 1 },
    { from: r2.from, to: r2.done + 1 },
  ]);
  const controller = side === 'upstream' ? 'upstream-ds' : 'everynode';
  const empty: RequestCount = { total: 0, byVerb: {} };
  const phases = [r1, r2].map((p, i) => ({
    ...p.result,
    requests: counts[i]![controller] ?? empty,
    requestsUntilDone: counts[i + 2]![controller]?.total ?? 0,
    allRequests: counts[i]!,
    apiLatencyMs: latency[i]!,
  }));
  // The controller's own requests in order (the audit log itself is too large to keep).
  writeFileSync(join(runLogs, 'controller-requests.jsonl'), requestTrace(audit, controller));
  cpSync(join(dir, 'logs'), runLogs, {
    recursive: true,
    filter: (src) => !src.endsWith('audit.log') && !src.endsWith('etcd.log'),
  });
  await downCluster(dir, offset, () => undefined);
  current = {};
  const result: RunResult = {
    id,
    side,
    limits,
    index,
    nodes,
    startedAt,
    upS,
    loadAtStart,
    ...(side === 'everynode' && everynodeArgs.length > 0 ? { everynodeArgs } : {}),
    ...(side === 'everynode' && nodeArgs.length > 0 ? { nodeArgs } : {}),
    R1: phases[0]!,
    R2: phases[1]!,
  };
  writeFileSync(
    join(resultsDir, `${resultBase}-run-${id}.json`),
    JSON.stringify(result, null, 2) + '\n',
  );
  say(
    `${label} R1 ${result.R1.wallS.toFixed(1)} s, R2 ${result.R2.wallS.toFixed(1)} s, ` +
      `requests ${result.R1.requests.total}+${result.R2.requests.total}, ` +
      `apiserver p99 ${result.R1.apiLatencyMs?.all?.p99 ?? '?'}/${result.R2.apiLatencyMs?.all?.p99 ?? '?'} ms, ` +
      `controller CPU ${result.R1.controllerCpuS}+${result.R2.controllerCpuS} s; logs in ${runLogs}`,
  );
  return result;
}

console.log(
  `everynode bench:cluster · ${nodes} nodes · ${runs} run(s) per side · limits ${limitSets.map((l) => l.name).join(', ')} · commit ${commit} · everynode from ${everynodeSource}${everynodeArgs.length > 0 ? ` run with ${everynodeArgs.join(' ')}` : ''}`,
);
const merged: { file: string; runs: RunResult[] } | undefined =
  flags.merge === undefined
    ? undefined
    : {
        file: flags.merge,
        runs: (JSON.parse(readFileSync(flags.merge, 'utf8')) as { runs: RunResult[] }).runs,
      };
const results: RunResult[] = [];
const failures: { id: string; error: string }[] = [];
function save(): void {
  const summary = summarise([...(merged?.runs ?? []), ...results]);
  writeFileSync(
    resultFile,
    JSON.stringify(
      {
        date: new Date(t0).toISOString(),
        finished: new Date().toISOString(),
        commit,
        everynode: everynodeSource,
        everynodeArgs,
        nodeArgs,
        command,
        ...(merged === undefined
          ? {}
          : { merged: { file: merged.file, runs: merged.runs.map((r) => r.id) } }),
        machine: machine(),
        nodes,
        runsPerSide: runs,
        limits: limitSets,
        summary,
        failures,
        // Merged runs first, so that this file alone holds every run its summary is made of.
        runs: [...(merged?.runs ?? []), ...results],
      },
      null,
      2,
    ) + '\n',
  );
}
// All runs at one set of limits before the next, so that a run cut short still has complete
// pairs at the equal default limits (R1–R4); within a set the sides alternate.
for (const limits of limitSets) {
  for (let i = 1; i <= runs; i++) {
    for (const side of sides as ('upstream' | 'everynode')[]) {
      try {
        results.push(await oneRun(side, limits, i));
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        failures.push({ id: `${side}-${limits.name}-${i}`, error });
        say(`run ${side}-${limits.name}-${i} failed: ${error}`);
        await cleanUp();
        current = {};
      }
      save();
    }
  }
}
save();
printTable(summarise([...(merged?.runs ?? []), ...results]));
console.log(`results in ${resultFile}; per-run logs in ${join(work, 'logs')}`);
process.exit(failures.length > 0 ? 1 : 0);
