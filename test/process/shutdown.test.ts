/**
 * `everynode run` ends on SIGTERM in every state it can be in (issue 17 item 2): starting,
 * connecting to a server that never answers, syncing caches against a server that fails or
 * hangs after the first list, leading, standing by, and stuck while stopping (a second signal
 * or the shutdown timeout forces the exit). With --leader-elect the Lease is released. Each test
 * runs the real CLI against a loopback API server and measures the time from signal to exit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  emptyCluster,
  json,
  silent,
  startFakeApi,
  status,
  type FakeApi,
  type Handler,
} from './fakeapi.js';
import { everynode, PROMPTLY_MS, type Child } from './spawn.js';

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/everynode-system/leases';

/**
 * A server that answers the start-up check (the first DaemonSet list) and then `then` for every
 * other request except the Lease, which it stores so that acquire and release work.
 */
function afterFirstList(then: Handler, lease: { held?: Record<string, unknown> } = {}): Handler {
  let listed = false;
  return (req, res) => {
    if (req.path.startsWith(LEASE_PATH)) {
      if (req.method === 'GET') {
        if (lease.held === undefined) status(res, 404, 'NotFound');
        else json(res, 200, lease.held);
        return;
      }
      const obj = JSON.parse(req.body) as { metadata?: Record<string, unknown> };
      lease.held = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(Date.now()) } };
      json(res, req.method === 'POST' ? 201 : 200, lease.held);
      return;
    }
    if (
      !listed &&
      req.method === 'GET' &&
      /daemonsets$/.test(req.path) &&
      !req.query.has('watch')
    ) {
      listed = true;
      emptyCluster(req, res);
      return;
    }
    then(req, res);
  };
}

const failing: Handler = (_req, res) => {
  status(res, 500, 'InternalError', 'etcd is on fire');
};

/** Sends SIGTERM and resolves with the exit and how long it took after the signal. */
async function term(p: Child): Promise<{ code: number | null; afterSignalMs: number }> {
  const sent = performance.now();
  p.kill('SIGTERM');
  const e = await p.exit;
  return { code: e.code, afterSignalMs: Math.round(e.ms - (sent - p.startedAt)) };
}

describe('SIGTERM ends `everynode run` in every state', { concurrency: 4 }, () => {
  let dir = '';
  const servers: FakeApi[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-shutdown-'));
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
  const base = ['run', '--log-format', 'json', '--request-timeout', '20s'];

  for (const metrics of ['127.0.0.1:0', '0']) {
    test(`caches syncing against a server answering 500 (--metrics-addr ${metrics}): exit 0`, async (t) => {
      const api = await server(afterFirstList(failing));
      const p = everynode([
        ...base,
        '--kubeconfig',
        api.kubeconfig(dir),
        '--metrics-addr',
        metrics,
      ]);
      await p.waitFor(/^list\/watch failed/);
      const r = await term(p);
      t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
      assert.equal(r.code, 0, p.stderr());
      assert.ok(r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
    });
  }

  test('caches syncing against a server that stops answering after the first list: exit 0 at once', async (t) => {
    const api = await server(afterFirstList(silent));
    const p = everynode([...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0']);
    await p.waitFor(/^connected to the API server/);
    // Let the informers' lists reach the silent server.
    while (api.seen.length < 4) await new Promise((r) => setTimeout(r, 50));
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 0, p.stderr());
    assert.ok(r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
  });

  test('leading while the caches cannot sync: the Lease is released, exit 0', async (t) => {
    const lease: { held?: Record<string, unknown> } = {};
    const api = await server(afterFirstList(failing, lease));
    const p = everynode(
      [...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0', '--leader-elect'],
      { POD_NAME: 'pod-a', POD_NAMESPACE: 'everynode-system' },
    );
    await p.waitFor(/^became leader/);
    await p.waitFor(/^list\/watch failed/);
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 0, p.stderr());
    const spec = lease.held?.spec as { holderIdentity?: string } | undefined;
    assert.equal(spec?.holderIdentity, '', 'the Lease was not released');
    assert.ok(r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
  });

  test('standing by (another replica holds the Lease): exit 0, the Lease untouched', async (t) => {
    const now = new Date().toISOString().replace('Z', '000Z');
    const held = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'everynode-controller',
        namespace: 'everynode-system',
        resourceVersion: '9',
      },
      spec: { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: now, acquireTime: now },
    };
    const lease: { held?: Record<string, unknown> } = { held };
    const api = await server(afterFirstList(emptyCluster, lease));
    const p = everynode(
      [...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0', '--leader-elect'],
      { POD_NAME: 'pod-b', POD_NAMESPACE: 'everynode-system' },
    );
    await p.waitFor(/^attempting to acquire the leader lease/);
    while (!api.seen.some((s) => s.path.startsWith(LEASE_PATH)))
      await new Promise((r) => setTimeout(r, 50));
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 0, p.stderr());
    assert.equal(lease.held, held, 'a standby wrote the Lease');
  });

  test('connecting to a server that never answers: exit 0 at once on SIGTERM', async (t) => {
    const api = await server(silent);
    const p = everynode([...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0']);
    while (api.seen.length === 0) await new Promise((r) => setTimeout(r, 50));
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 0, p.stderr());
    assert.ok(r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
  });

  test('SIGTERM while the process is still loading: exit 0, not 143', async (t) => {
    const api = await server(emptyCluster);
    // A signal that lands before node has run bin/everynode.js kills it whatever we do; one
    // that lands while the modules load must be a request to stop. Node's own start-up time
    // varies with load, so start early and back off until the signal is caught.
    for (let delay = 100; ; delay *= 2) {
      const p = everynode([...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0']);
      await new Promise((r) => setTimeout(r, delay));
      assert.equal(p.lines.length, 0, `${delay} ms: the process was already running`);
      const r = await term(p);
      if (r.code === null && delay < 12_800) continue;
      t.diagnostic(`SIGTERM ${delay} ms after spawn: exit ${String(r.code)}`);
      assert.equal(r.code, 0, `exit ${String(r.code)}; ${p.stderr()}`);
      return;
    }
  });

  test('stuck while stopping (the Lease release hangs): a second SIGTERM forces exit 143', async (t) => {
    const lease: { held?: Record<string, unknown> } = {};
    const handler = afterFirstList(emptyCluster, lease);
    const api = await server(handler);
    const p = everynode(
      [...base, '--kubeconfig', api.kubeconfig(dir), '--metrics-addr', '0', '--leader-elect'],
      { POD_NAME: 'pod-c', POD_NAMESPACE: 'everynode-system' },
    );
    await p.waitFor(/^daemonset controller started/);
    api.handler = silent;
    p.kill('SIGTERM');
    await p.waitFor(/^daemonset controller stopped/);
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 143, p.stderr());
    assert.ok(r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
  });

  test('stuck while stopping: --shutdown-timeout ends the process with exit 1', async (t) => {
    const lease: { held?: Record<string, unknown> } = {};
    const api = await server(afterFirstList(emptyCluster, lease));
    const p = everynode(
      [
        ...base,
        '--kubeconfig',
        api.kubeconfig(dir),
        '--metrics-addr',
        '0',
        '--leader-elect',
        '--shutdown-timeout',
        '1s',
      ],
      { POD_NAME: 'pod-d', POD_NAMESPACE: 'everynode-system' },
    );
    await p.waitFor(/^daemonset controller started/);
    api.handler = silent;
    const r = await term(p);
    t.diagnostic(`exit ${String(r.code)} ${r.afterSignalMs} ms after SIGTERM`);
    assert.equal(r.code, 1, p.stderr());
    assert.ok(r.afterSignalMs >= 900 && r.afterSignalMs < PROMPTLY_MS, `${r.afterSignalMs} ms`);
    assert.ok(p.lines.some((l) => /^shutdown did not finish within 1s/.test(String(l.msg))));
  });
});
