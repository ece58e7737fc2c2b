/**
 * `everynode run`: the controller process on the memory cluster (metrics, probes, shutdown), two
 * replicas with leader election (one acts; the other takes over within the lease duration with no
 * duplicate pod), and the command itself spawned: --embedded converging a DaemonSet, SIGTERM
 * releasing the lease, an unreachable API server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { UnavailableError, type Cluster } from '../../src/cluster/port.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { nullLogger } from '../../src/controller/logger.js';
import { bindAll, dsFoo, kubeletStep, node } from '../../src/controller/testing.js';
import { buildApp } from '../../src/server/http.js';
import { ControllerMetrics } from '../../src/server/metrics.js';
import {
  allConverged,
  dsKindFor,
  parseDuration,
  runCommand,
  type RunFlags,
} from '../../src/cli/run.js';
import { UsageError } from '../../src/cli/errors.js';
import { ControllerProcess, type ControllerProcessOptions } from '../../src/cli/run-process.js';

const CRD = 'apps.everynode.dev/v1alpha1';

async function settle(cluster: MemoryCluster): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await cluster.idle();
    await new Promise((r) => setImmediate(r));
  }
}

function killable(cluster: Cluster): { view: Cluster; kill: () => void } {
  let dead = false;
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      dead ? Promise.reject(new UnavailableError('connection refused')) : fn(...a);
  return {
    kill: () => {
      dead = true;
    },
    view: {
      list: guard((k, o) => cluster.list(k, o)),
      watch: guard((k, o, h) => cluster.watch(k, o, h)),
      get: guard((k, ns, n) => cluster.get(k, ns, n)),
      create: guard((k, o) => cluster.create(k, o)),
      update: guard((k, o) => cluster.update(k, o)),
      updateStatus: guard((k, o) => cluster.updateStatus(k, o)),
      patch: guard((k, ns, n, p) => cluster.patch(k, ns, n, p)),
      delete: guard((k, ns, n, o) => cluster.delete(k, ns, n, o)),
    },
  };
}

async function activePods(cluster: MemoryCluster): Promise<Pod[]> {
  const pods = (await cluster.list<Pod>('Pod')).items;
  return pods.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

/** A CRD controller process on `cluster` with its metrics and HTTP app (not started). */
function crdProcess(
  cluster: MemoryCluster,
  clock: VirtualClock,
  more: Partial<ControllerProcessOptions> = {},
): { proc: ControllerProcess; app: ReturnType<typeof buildApp> } {
  const metrics = new ControllerMetrics({ defaultMetrics: false });
  const proc = new ControllerProcess({
    cluster: cluster.client('controller'),
    clock,
    logger: nullLogger,
    dsKind: dsKindFor('crd'),
    workers: 2,
    metrics,
    ...more,
  });
  return { proc, app: buildApp(metrics, proc) };
}

/** Binds pending pods, lets the kubelets step, advances the clock by ms and settles. */
async function kubeletRound(
  cluster: MemoryCluster,
  clock: VirtualClock,
  ms: number,
): Promise<void> {
  await bindAll(cluster);
  await kubeletStep(cluster, clock);
  clock.advance(ms);
  await settle(cluster);
}

describe('the controller process', () => {
  test('runs a CRD DaemonSet to convergence, serves metrics and probes, shuts down with 0', async () => {
    const clock = new VirtualClock();
    const cluster = new MemoryCluster({ clock });
    for (const n of ['node-1', 'node-2']) await cluster.create('Node', node(n));
    await cluster.create('EverynodeDaemonSet', { ...dsFoo(), apiVersion: CRD });
    const { proc, app } = crdProcess(cluster, clock);
    await proc.start();
    await settle(cluster);
    assert.equal((await app.request('/healthz')).status, 200);
    assert.equal((await app.request('/readyz')).status, 200);
    for (let i = 0; i < 5; i++) await kubeletRound(cluster, clock, 1000);
    const ds = await cluster.get<DaemonSet>('EverynodeDaemonSet', 'default', 'foo');
    assert.ok(allConverged([ds]), JSON.stringify(ds.status));
    const pods = await activePods(cluster);
    assert.equal(pods.length, 2);
    assert.equal(pods[0]?.metadata?.ownerReferences?.[0]?.apiVersion, CRD);
    const text = await (await app.request('/metrics')).text();
    assert.match(
      text,
      /controller_runtime_reconcile_total\{controller="daemonset",result="success"\} [1-9]/,
    );
    // client-go's labels: no kind, so the creates counted are the 2 pods and the rest (a
    // ControllerRevision, Events).
    const posts = /rest_client_requests_total\{code="201",method="POST",host=""\} (\d+)\n/.exec(
      text,
    );
    assert.ok(Number(posts?.[1]) >= 2, text);
    assert.match(text, /workqueue_adds_total\{name="daemonset",controller="daemonset"\} [1-9]/);
    await proc.shutdown();
    assert.equal(await proc.exited, 0);
    assert.equal((await app.request('/healthz')).status, 500);
  });

  test('a Prometheus health gate: each answer is counted on /metrics by result and timed', async () => {
    const clock = new VirtualClock();
    const cluster = new MemoryCluster({ clock });
    for (const n of ['node-1', 'node-2', 'node-3']) await cluster.create('Node', node(n));
    const ds: DaemonSet = { ...dsFoo(), apiVersion: CRD };
    const gated = structuredClone(ds) as { spec: Record<string, unknown> };
    gated.spec.updateStrategy = {
      type: 'RollingUpdate',
      rollingUpdate: {
        maxUnavailable: 1,
        canary: { count: 1, bakeSeconds: 60 },
        healthGates: {
          prometheus: {
            address: 'http://prometheus.monitoring:9090',
            query: 'sum(up{namespace="{{namespace}}"})',
            max: 5,
            intervalSeconds: 10,
          },
        },
      },
    };
    await cluster.create('EverynodeDaemonSet', gated as DaemonSet);
    let asked = 0;
    const { proc, app } = crdProcess(cluster, clock, {
      // Every other answer inconclusive, as a Prometheus with no series would give.
      metricQuery: () =>
        Promise.resolve(
          asked++ % 2 === 0
            ? { kind: 'value', value: 1 }
            : { kind: 'inconclusive', reason: 'NoData', message: 'no series' },
        ),
    });
    await proc.start();
    for (let i = 0; i < 3; i++) await kubeletRound(cluster, clock, 5000);
    const cur = await cluster.get<DaemonSet>('EverynodeDaemonSet', 'default', 'foo');
    const next = structuredClone(cur) as DaemonSet & {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    next.spec.template.spec.containers[0]!.image = 'example/foo:2';
    await cluster.update('EverynodeDaemonSet', next);
    for (let i = 0; i < 8; i++) await kubeletRound(cluster, clock, 5000);
    const text = await (await app.request('/metrics')).text();
    assert.ok(asked >= 2, `the gate asked ${asked} times`);
    assert.match(text, /^everynode_rollout_gate_queries_total\{result="value",reason=""\} [1-9]/m);
    assert.match(
      text,
      /^everynode_rollout_gate_queries_total\{result="inconclusive",reason="NoData"\} [1-9]/m,
    );
    assert.match(text, /^everynode_rollout_gate_query_duration_seconds_count [1-9]/m);
    await proc.shutdown();
    assert.equal(await proc.exited, 0);
  });

  test('two replicas: one acts; when it dies the other takes over within the lease duration, no duplicate pod', async () => {
    const clock = new VirtualClock();
    const cluster = new MemoryCluster({ clock });
    for (const n of ['node-1', 'node-2', 'node-3']) await cluster.create('Node', node(n));
    await cluster.create('EverynodeDaemonSet', { ...dsFoo(), apiVersion: CRD });
    const replica = (identity: string) => {
      const { view, kill } = killable(cluster.client(identity));
      const proc = new ControllerProcess({
        cluster: view,
        clock,
        logger: nullLogger,
        dsKind: 'EverynodeDaemonSet',
        workers: 2,
        leaderElection: { namespace: 'everynode-system', identity },
      });
      return { proc, kill };
    };
    const a = replica('a');
    const b = replica('b');
    await a.proc.start();
    clock.advance(0); // the first campaign is a timer due now
    await settle(cluster);
    await b.proc.start();
    clock.advance(0);
    await settle(cluster);
    assert.ok(a.proc.isLeader(), 'the first replica leads');
    assert.ok(!b.proc.isLeader(), 'the second replica stands by');
    assert.equal(b.proc.controller, undefined, 'the standby runs no controller');
    assert.ok(b.proc.ready(), 'a standby is ready');
    assert.equal((await activePods(cluster)).length, 3);

    a.kill();
    const killedAt = clock.now();
    // A node joins while nobody can act; the new leader must give it exactly one pod.
    await cluster.create('Node', node('node-4'));
    let exitA: number | undefined;
    void a.proc.exited.then((c) => (exitA = c));
    while (!b.proc.isLeader()) {
      clock.advance(500);
      await settle(cluster);
      // client-go's rule: the standby sees the last renewal on its next retry (up to 2 s late),
      // waits the 15 s lease duration from then, and notices on the retry after that.
      assert.ok(
        clock.now() - killedAt <= 15_000 + 2 * 2_000,
        'no takeover within the lease duration',
      );
    }
    await settle(cluster);
    assert.equal(exitA, 1, 'the replica that lost the lease exits 1');
    const pods = await activePods(cluster);
    const nodes = pods.map(
      (p) =>
        p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
          ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0],
    );
    assert.deepEqual(nodes.sort(), ['node-1', 'node-2', 'node-3', 'node-4']);
    await b.proc.shutdown();
    assert.equal(await b.proc.exited, 0);
  });
});

test('flags: durations, resource kinds, convergence', () => {
  assert.equal(parseDuration('--x', '15s'), 15_000);
  assert.equal(parseDuration('--x', '2m'), 120_000);
  assert.equal(parseDuration('--x', '250ms'), 250);
  assert.equal(parseDuration('--x', '3'), 3000);
  assert.equal(parseDuration('--x', '1m30s'), 90_000);
  assert.equal(parseDuration('--x', '1.5h'), 5_400_000);
  assert.throws(() => parseDuration('--x', 'soon'), /expected a duration/);
  assert.throws(() => parseDuration('--x', '1d'), /unknown unit "d"/);
  assert.throws(() => parseDuration('--x', '2h', { max: 3_600_000 }), /must be at most 1h00m/);
  assert.equal(dsKindFor('crd'), 'EverynodeDaemonSet');
  assert.equal(dsKindFor('native'), 'DaemonSet');
  assert.equal(allConverged([]), false);
});

test('--node-event-delay: a bad duration is a usage error before anything starts', async () => {
  const flags = {
    resource: 'crd',
    workers: '2',
    qps: '20',
    burst: '30',
    leaseDuration: '15s',
    metricsAddr: '0',
    logLevel: 'error',
    embeddedSpeed: '1',
  } satisfies RunFlags;
  for (const bad of ['soon', '-1s', '1d', ''])
    await assert.rejects(
      runCommand({ ...flags, nodeEventDelay: bad }),
      (err: unknown) =>
        err instanceof UsageError &&
        err.exitCode === 2 &&
        /^--node-event-delay: expected a duration/.test(err.message),
      bad,
    );
});

// ---- the command, spawned -------------------------------------------------------------------

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

interface Spawned {
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

function run(args: string[]): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POD_NAME: 'test-pod', POD_NAMESPACE: 'everynode-system' },
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { re: RegExp; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const obj = JSON.parse(line) as Record<string, unknown>;
      lines.push(obj);
      for (const w of [...waiters]) {
        if (w.re.test(String(obj.msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(obj);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  // Every wait is bounded: a run that never exits (a DaemonSet that never converges) is killed,
  // and its test fails instead of holding the whole suite.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve(code);
    });
  });
  return {
    lines,
    stderr: () => err,
    exit,
    waitFor(re, timeoutMs = 90_000) {
      const seen = lines.find((l) => re.test(String(l.msg)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          reject(new Error(`no log line ${String(re)}; stderr: ${err}`));
        }, timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    kill: (signal) => child.kill(signal),
  };
}

describe('everynode run (spawned)', { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-run-'));
  // Removed after the suite's last test, pass or fail.
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const dsFile = join(dir, 'ds.yaml');
  writeFileSync(dsFile, JSON.stringify({ ...dsFoo(), apiVersion: CRD }));

  test('--embedded converges a DaemonSet and exits 0 (--exit-after-converged)', async () => {
    const p = run([
      '--embedded',
      '--embedded-nodes',
      '3',
      '-f',
      dsFile,
      '--embedded-speed',
      '20',
      '--exit-after-converged',
      '--metrics-addr',
      '0',
      '--log-format',
      'json',
    ]);
    assert.equal(await p.exit, 0, p.stderr());
    const msgs = p.lines.map((l) => l.msg);
    assert.ok(msgs.includes('every DaemonSet converged'), msgs.join('\n'));
    const created = p.lines.filter((l) => l.reason === 'SuccessfulCreate');
    assert.equal(created.length, 3);
    // Logs carry the DaemonSet's key.
    for (const l of created) assert.equal(l.ds, 'default/foo');
  });

  test('SIGTERM finishes, releases the lease and exits 0; probes and metrics are served', async () => {
    const p = run([
      '--embedded',
      '--embedded-nodes',
      '2',
      '-f',
      dsFile,
      '--leader-elect',
      '--metrics-addr',
      '127.0.0.1:0',
      '--log-format',
      'json',
    ]);
    try {
      const serving = await p.waitFor(/^serving \/metrics/);
      await p.waitFor(/^daemonset controller started$/);
      const base = `http://127.0.0.1:${String(serving.port)}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /leader_election_master_status\{name="everynode-controller"\} 1/);
      assert.match(
        metrics,
        /rest_client_requests_total\{code="201",method="POST",host="[^"]*"\} [1-9]/,
      );
    } finally {
      // A failed check must not leave the child running (and the test file with it).
      p.kill('SIGTERM');
    }
    assert.equal(await p.exit, 0, p.stderr());
    const msgs = p.lines.map((l) => l.msg);
    assert.ok(msgs.includes('released the leader lease'), msgs.join('\n'));
    assert.ok(
      msgs.indexOf('daemonset controller stopped') < msgs.indexOf('released the leader lease'),
    );
    const became = p.lines.find((l) => l.msg === 'became leader');
    assert.match(String(became?.identity), /^test-pod_/);
  });

  test('--node-event-delay: accepted by --embedded, rejected when it is not a duration', async () => {
    const ok = run([
      '--embedded',
      '--embedded-nodes',
      '3',
      '-f',
      dsFile,
      '--node-event-delay',
      '200ms',
      '--exit-after-converged',
      '--metrics-addr',
      '0',
    ]);
    assert.equal(await ok.exit, 0, ok.stderr());
    const bad = run(['--embedded', '--node-event-delay', 'soon', '--metrics-addr', '0']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.stderr(), /--node-event-delay: expected a duration such as 30s, 5m or 1m30s/);
  });

  test('an unreachable API server: one clear line naming the URL, exit 1, no stack trace', async () => {
    const kc = join(dir, 'kubeconfig');
    writeFileSync(
      kc,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const p = run(['--kubeconfig', kc, '--metrics-addr', '0']);
    assert.equal(await p.exit, 1);
    assert.match(
      p.stderr(),
      /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    assert.doesNotMatch(p.stderr(), /\n\s+at /);
  });
});
