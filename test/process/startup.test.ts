/**
 * `everynode run` and `rollout status` as a user starts them, on the paths that used to hang or
 * mislead (issue 17 items 3, 5 and 8; issue 16's newcomer items): a server that never answers,
 * a metrics listener that cannot bind, --run-for in every state and beyond Node's timer limit,
 * bad flags (exit 2, one line), kubeconfig problems (one line naming the file or where we
 * looked), `--help | head` (no EPIPE trace), --embedded needing no fixed port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  emptyCluster,
  silent,
  startFakeApi,
  status,
  type FakeApi,
  type Handler,
} from './fakeapi.js';
import { everynode, PROMPTLY_MS, type Child } from './spawn.js';

const ONE_LINE = /^error: [^\n]+\n$/;

function noTrace(p: Child): void {
  assert.doesNotMatch(p.stderr(), /\n\s+at |Warning|\^$/m, p.stderr());
}

describe('everynode run: start-up, bounds and bad input', { concurrency: 4 }, () => {
  let dir = '';
  const servers: FakeApi[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-startup-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = async (h: Handler): Promise<FakeApi> => {
    const s = await startFakeApi(h);
    servers.push(s);
    return s;
  };

  test('a server that never answers: exit 1 after --request-timeout, one line', async (t) => {
    const api = await server(silent);
    const p = everynode([
      'run',
      '--kubeconfig',
      api.kubeconfig(dir),
      '--request-timeout',
      '1s',
      '--metrics-addr',
      '0',
    ]);
    const e = await p.exit;
    t.diagnostic(`exit ${String(e.code)} after ${Math.round(e.ms)} ms (process start included)`);
    assert.equal(e.code, 1, p.stderr());
    assert.equal(
      p.stderr(),
      `error: cannot reach the Kubernetes API server at ${api.url}: no answer within 1s (--request-timeout)\n`,
    );
  });

  test('--run-for is honoured while connecting to a silent server', async () => {
    const api = await server(silent);
    const p = everynode([
      'run',
      '--kubeconfig',
      api.kubeconfig(dir),
      '--run-for',
      '1s',
      '--metrics-addr',
      '0',
    ]);
    const e = await p.exit;
    assert.equal(e.code, 0, p.stderr());
  });

  test('--run-for is honoured while the caches cannot sync', async () => {
    let first = true;
    const api = await server((req, res) => {
      if (first) {
        first = false;
        emptyCluster(req, res);
      } else status(res, 500, 'InternalError');
    });
    const p = everynode([
      'run',
      '--kubeconfig',
      api.kubeconfig(dir),
      '--run-for',
      '2s',
      '--metrics-addr',
      '0',
      '--log-format',
      'json',
    ]);
    const e = await p.exit;
    assert.equal(e.code, 0, p.stderr());
    assert.ok(p.lines.some((l) => /^list\/watch failed/.test(String(l.msg))));
  });

  test('--run-for beyond 24.8 days waits (no TimeoutOverflowWarning, no exit at once)', async () => {
    const p = everynode([
      'run',
      '--embedded',
      '--embedded-nodes',
      '1',
      '--run-for',
      '800h',
      '--metrics-addr',
      '0',
      '--log-format',
      'json',
    ]);
    await p.waitFor(/^daemonset controller started$/);
    await new Promise((r) => setTimeout(r, 500));
    p.kill('SIGTERM');
    const e = await p.exit;
    assert.equal(e.code, 0, p.stderr());
    assert.ok(
      p.lines.some((l) => l.msg === 'signal received'),
      'it had exited on its own',
    );
    noTrace(p);
  });

  test('a metrics port in use: exit 1 with one line, before connecting anywhere', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const p = everynode([
        'run',
        '--embedded',
        '--metrics-addr',
        `127.0.0.1:${port}`,
        '--run-for',
        '60s',
      ]);
      const e = await p.exit;
      assert.equal(e.code, 1, p.stderr());
      assert.match(p.stderr(), ONE_LINE);
      assert.match(
        p.stderr(),
        new RegExp(
          `^error: cannot listen on 127\\.0\\.0\\.1:${port} \\(--metrics-addr\\): .*EADDRINUSE`,
        ),
      );
    } finally {
      busy.close();
    }
  });

  test('bad flags and a refused -f object: exit 2 with one line each', async () => {
    const badDs = join(dir, 'bad-ds.yaml');
    writeFileSync(
      badDs,
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: bad, namespace: default}\n' +
        'spec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: c}}\n' +
        '    spec: {containers: [{name: c, image: x}]}\n',
    );
    const cases: [string[], RegExp][] = [
      [['--metrics-addr', 'not-an-addr'], /^error: --metrics-addr "not-an-addr": no valid port/],
      [
        ['--metrics-addr', '999.1.1.1:0'],
        /^error: --metrics-addr "999\.1\.1\.1:0": 999\.1\.1\.1 is not an IPv4 address/,
      ],
      [['--log-level', 'loud'], /^error: option '--log-level <level>' argument 'loud' is invalid/],
      [['--run-for', '1d'], /^error: --run-for: expected a duration .*unknown unit "d"/],
      [['--lease-duration', '100h'], /^error: --lease-duration: must be at most 24h00m/],
      [
        ['--embedded-nodes', '1000000000'],
        /^error: --embedded-nodes: at most 100000, got 1000000000\n$/,
      ],
      [
        ['-f', badDs],
        /^error: .*bad-ds\.yaml:1: DaemonSet\.apps\.everynode\.dev "bad" is invalid: spec\.template\.metadata\.labels/,
      ],
    ];
    const runs = cases.map(([args]) =>
      everynode(['run', '--embedded', '--metrics-addr', '0', ...args]),
    );
    for (const [i, p] of runs.entries()) {
      const e = await p.exit;
      assert.equal(e.code, 2, `${cases[i]![0].join(' ')}: ${p.stderr()}`);
      assert.match(p.stderr(), ONE_LINE);
      assert.match(p.stderr(), cases[i]![1]);
    }
  });

  test('kubeconfig problems: one line naming the file, or where we looked', async () => {
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, 'clusters: [\n  - {name: "x"\n  oops: ][\n');
    const home = mkdtempSync(join(dir, 'home-'));
    const bare = { HOME: home, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined };
    const missingFlag = everynode(['run', '--kubeconfig', '/missing', '--metrics-addr', '0']);
    const missingEnv = everynode(['run', '--metrics-addr', '0'], {
      ...bare,
      KUBECONFIG: '/missing',
    });
    const bad = everynode(['run', '--kubeconfig', garbage, '--metrics-addr', '0']);
    const none = everynode(['run', '--metrics-addr', '0'], bare);
    for (const p of [missingFlag, missingEnv, bad, none]) {
      assert.equal((await p.exit).code, 1, p.stderr());
      assert.match(p.stderr(), ONE_LINE);
    }
    assert.equal(missingFlag.stderr(), 'error: kubeconfig /missing: no such file or directory\n');
    assert.equal(missingEnv.stderr(), missingFlag.stderr());
    assert.match(bad.stderr(), new RegExp(`^error: kubeconfig ${garbage}: cannot parse: `));
    assert.match(
      none.stderr(),
      new RegExp(
        `^error: no kubeconfig found: --kubeconfig not given, \\$KUBECONFIG not set, ${home}/\\.kube/config does not exist, and not in a pod`,
      ),
    );
  });

  test('--embedded binds no fixed port: 127.0.0.1 on a free one unless --metrics-addr says', async () => {
    const p = everynode(['run', '--embedded', '--embedded-nodes', '1', '--log-format', 'json']);
    const serving = await p.waitFor(/^serving \/metrics/, 110_000);
    assert.equal(serving.addr, '127.0.0.1:0');
    assert.notEqual(serving.port, 8080);
    const r = await fetch(`http://127.0.0.1:${String(serving.port)}/healthz`);
    assert.equal(r.status, 200);
    p.kill('SIGTERM');
    assert.equal((await p.exit).code, 0, p.stderr());
  });

  test('`--help | head`: a closed pipe ends the command quietly', async () => {
    for (const cmd of ['run', 'plan', 'rollout']) {
      const p = everynode([cmd, '--help']);
      // The reader goes away before the help is written, as `head` does after its lines.
      p.closeStdout();
      const e = await p.exit;
      assert.equal(e.code, 0, `${cmd}: ${p.stderr()}`);
      assert.doesNotMatch(p.stderr(), /EPIPE|\n\s+at /, `${cmd}: ${p.stderr()}`);
    }
  });
});

describe('everynode rollout status against a silent server', () => {
  let dir = '';
  let api: FakeApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-rollout-'));
    api = await startFakeApi(silent);
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("--timeout 3s returns at 3 s with exit 1 and kubectl's words; 1m30s is a duration", async (t) => {
    const p = everynode([
      'rollout',
      'status',
      'ds/agent',
      '--kubeconfig',
      api.kubeconfig(dir),
      '--timeout',
      '3s',
    ]);
    // Timed from its first request (process start-up varies with the machine's load).
    const before = api.seen.length;
    while (api.seen.length === before) await new Promise((r) => setTimeout(r, 10));
    const asked = performance.now();
    const e = await p.exit;
    const afterMs = Math.round(performance.now() - asked);
    t.diagnostic(`exit ${String(e.code)} ${afterMs} ms after its first request`);
    assert.equal(e.code, 1, p.stderr());
    assert.equal(p.stderr(), 'error: timed out waiting for the condition\n');
    assert.ok(afterMs >= 2900 && afterMs < 3000 + PROMPTLY_MS, `${afterMs} ms`);
    const q = everynode([
      'rollout',
      'status',
      'ds/agent',
      '--kubeconfig',
      api.kubeconfig(dir),
      '--timeout',
      '1m30s',
      '--request-timeout',
      '1s',
    ]);
    const f = await q.exit;
    assert.equal(f.code, 1, q.stderr());
    assert.match(
      q.stderr(),
      // kubectl's wording: "Unable to connect to the server: <why>" (test/cli/rollout-unreachable.test.ts).
      /^Unable to connect to the server: no answer within 1s \(--request-timeout\)\n$/,
    );
  });
});
