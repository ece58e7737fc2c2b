/**
 * The benchmark's handle on a real control plane: bring one up and down through the harness
 * scripts (scripts/cluster/up.ts and down.ts) in the benchmark's own state directory and port
 * offset, talk to its apiserver as the admin, and start or stop the everynode process.
 */
import { execSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterState, get, readState, sleep } from '../../scripts/cluster/lib.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UA = 'everynode-bench/0.1.0';

/** Client limits given to both controllers (and to kube-scheduler, which both depend on). */
export interface Limits {
  readonly name: 'limited' | 'lifted';
  readonly qps: number;
  readonly burst: number;
  /** kube-scheduler's limits: its defaults (50/100) when limited, the same as the controllers when lifted. */
  readonly schedulerQps?: number;
  readonly schedulerBurst?: number;
}

/** A running cluster as the benchmark sees it. */
export interface BenchCluster {
  readonly dir: string;
  readonly offset: number;
  readonly state: ClusterState;
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  /** The pid of each harness component by name (etcd, kube-apiserver, …). */
  readonly pids: Readonly<Record<string, number>>;
}

function env(dir: string, offset: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    EVERYNODE_CLUSTER_DIR: dir,
    EVERYNODE_CLUSTER_PORT_OFFSET: String(offset),
  };
}

/** Runs a harness script to completion; resolves with its stdout, rejects on a non-zero exit. */
function runScript(
  script: string,
  argv: readonly string[],
  dir: string,
  offset: number,
  progress: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'scripts', 'cluster', script), ...argv],
      { cwd: repo, env: env(dir, offset), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let errTail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      errTail = (errTail + d).slice(-4000);
      for (const line of d.split('\n')) if (line.trim() !== '') progress(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${script} exited ${code ?? 'by signal'}:\n${errTail}`));
    });
  });
}

/** Stops whatever cluster the state directory records (a no-op when none). */
export async function downCluster(
  dir: string,
  offset: number,
  progress: (line: string) => void,
  keepLogs = false,
): Promise<void> {
  await runScript('down.ts', keepLogs ? ['--keep-logs'] : [], dir, offset, progress);
}

/** Brings up a fresh cluster (after stopping any left in `dir`) with the benchmark's options. */
export async function upCluster(opts: {
  dir: string;
  offset: number;
  nodes: number;
  upstream: boolean;
  limits: Limits;
  auditPolicy: string;
  progress: (line: string) => void;
  /** kube-apiserver's /debug/pprof on (for --apiserver-profile). */
  apiserverProfiling?: boolean;
}): Promise<BenchCluster> {
  await downCluster(opts.dir, opts.offset, opts.progress);
  const l = opts.limits;
  await runScript(
    'up.ts',
    [
      '--nodes',
      String(opts.nodes),
      ...(opts.upstream ? ['--upstream-daemonset-controller'] : []),
      '--no-api-limits',
      '--kube-api-qps',
      String(l.qps),
      '--kube-api-burst',
      String(l.burst),
      ...(l.schedulerQps === undefined ? [] : ['--scheduler-api-qps', String(l.schedulerQps)]),
      ...(l.schedulerBurst === undefined
        ? []
        : ['--scheduler-api-burst', String(l.schedulerBurst)]),
      // kwok cannot renew 1,000 Leases in time on a loaded machine; without this the
      // node-lifecycle controller marks nodes and their pods NotReady in the middle of a phase.
      '--node-monitor-grace-period',
      '1h',
      '--audit-policy',
      opts.auditPolicy,
      ...(opts.apiserverProfiling === true ? ['--apiserver-profiling'] : []),
      '--timeout',
      String(Math.max(180, Math.ceil(opts.nodes / 2))),
    ],
    opts.dir,
    opts.offset,
    opts.progress,
  );
  const state = readState(opts.dir);
  if (!state) throw new Error(`up.ts left no state in ${opts.dir}`);
  const pki = join(opts.dir, 'pki');
  return {
    dir: opts.dir,
    offset: opts.offset,
    state,
    tls: {
      ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(pki, 'admin.crt'), 'utf8'),
      key: readFileSync(join(pki, 'admin.key'), 'utf8'),
    },
    pids: Object.fromEntries(state.components.map((c) => [c.name, c.pid])),
  };
}

/** One request to the apiserver as the admin, with the benchmark's own user agent. */
export function api(
  c: BenchCluster,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, c.state.apiserver),
      {
        method,
        ca: c.tls.ca,
        cert: c.tls.cert,
        key: c.tls.key,
        timeout: 30_000,
        headers: {
          'User-Agent': UA,
          Accept: 'application/json',
          ...(data === undefined
            ? {}
            : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
        res.on('error', (e) => {
          resolve({ status: 0, body: e.message });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      resolve({ status: 0, body: e.message });
    });
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/**
 * A GET as the admin whose answer is kept as bytes (a pprof profile from /debug/pprof/…);
 * resolves with an empty buffer on any failure (the profile is a diagnosis, never a result).
 */
export function apiBytes(c: BenchCluster, path: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      new URL(path, c.state.apiserver),
      {
        method: 'GET',
        ca: c.tls.ca,
        cert: c.tls.cert,
        key: c.tls.key,
        timeout: timeoutMs,
        headers: { 'User-Agent': UA },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          resolve(res.statusCode === 200 ? Buffer.concat(chunks) : Buffer.alloc(0));
        });
        res.on('error', () => {
          resolve(Buffer.alloc(0));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      resolve(Buffer.alloc(0));
    });
    req.end();
  });
}

/**
 * A copy of the committed tree at `commit` (git archive) in `dir`, with the repository's
 * node_modules linked in, so that everynode runs the same code in every run while others edit
 * the working tree. Reused when it exists; returns its root.
 */
export function snapshot(commit: string, dir: string): string {
  const root = join(dir, `everynode-${commit.slice(0, 12)}`);
  if (!existsSync(join(root, 'bin', 'everynode.js'))) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execSync(`git archive ${commit} | tar -x -C ${JSON.stringify(root)}`, { cwd: repo });
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  }
  return root;
}

/** The repository root (the working tree). */
export const repoRoot = repo;

/** The everynode process the benchmark started. */
export interface Everynode {
  readonly pid: number;
  readonly log: string;
  readonly metricsPort: number;
  readonly done: Promise<number | null>;
}

/**
 * Starts `everynode run --resource native` against the cluster with the given limits and waits
 * until its /readyz answers 200 (informers synced). With `cpuProfDir`, Node writes a CPU profile
 * there when the process exits.
 */
export async function startEverynode(
  c: BenchCluster,
  limits: Limits,
  log: string,
  root: string,
  cpuProfDir?: string,
  extraArgs: readonly string[] = [],
  nodeArgs: readonly string[] = [],
): Promise<Everynode> {
  mkdirSync(dirname(log), { recursive: true });
  const metricsPort = 28080 + c.offset;
  const fd = openSync(log, 'w');
  const child = spawn(
    process.execPath,
    [
      ...(cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]),
      ...nodeArgs,
      join(root, 'bin', 'everynode.js'),
      'run',
      '--resource',
      'native',
      '--kubeconfig',
      c.state.kubeconfig,
      '--qps',
      String(limits.qps),
      '--burst',
      String(limits.burst),
      '--metrics-addr',
      `127.0.0.1:${metricsPort}`,
      '--log-format',
      'json',
      ...extraArgs,
    ],
    { cwd: root, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  if (child.pid === undefined) throw new Error('could not start everynode');
  let exited = false;
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const pid = child.pid;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await get(`http://127.0.0.1:${metricsPort}/readyz`);
    if (r.status === 200) break;
    if (exited) throw new Error(`everynode exited; see ${log}`);
    if (Date.now() > deadline) throw new Error(`everynode not ready after 180 s; see ${log}`);
    await sleep(250);
  }
  return { pid, log, metricsPort, done };
}

/** SIGTERM, then SIGKILL after 30 s (a CPU profile takes a moment to write). */
export async function stopEverynode(e: Everynode): Promise<void> {
  try {
    process.kill(e.pid, 'SIGTERM');
  } catch {
    return;
  }
  const killed = await Promise.race([e.done.then(() => false), sleep(30_000).then(() => true)]);
  if (killed) {
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await e.done;
  }
}

/** The everynode counters a phase reports: syncs, queue adds, watch events (per informer). */
const COUNTERS =
  /^(controller_runtime_reconcile_total|workqueue_adds_total|everynode_watch_events_total)(\{[^}]*\})? ([0-9.e+]+)$/;

/**
 * Sums of everynode's counters from its /metrics (syncs, queue adds, watch events), keyed by
 * metric name with labels; empty when it does not answer (a diagnosis, never a result).
 */
export async function everynodeCounters(e: Everynode): Promise<Record<string, number>> {
  const r = await get(`http://127.0.0.1:${e.metricsPort}/metrics`);
  const out: Record<string, number> = {};
  if (r.status !== 200) return out;
  for (const line of r.body.split('\n')) {
    const m = COUNTERS.exec(line);
    if (m !== null) out[m[1]! + (m[2] ?? '')] = (out[m[1]! + (m[2] ?? '')] ?? 0) + Number(m[3]);
  }
  return out;
}
