import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp, parseAddr } from './http.js';
import { ControllerMetrics } from './metrics.js';

test('/metrics exposes controller-runtime style names', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  m.observeReconcile(12, false);
  m.observeReconcile(3, true);
  m.queueHooks().add();
  m.apiRequests.inc({ verb: 'create', kind: 'Pod', code: '201' });
  m.observeSyncPath('incremental', '');
  m.observeSyncPath('full', 'historyWrite');
  const app = buildApp(m, { healthy: () => true, ready: () => true });
  const res = await app.request('/metrics');
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(
    text,
    /controller_runtime_reconcile_total\{controller="daemonset",result="success"\} 1/,
  );
  assert.match(text, /controller_runtime_reconcile_errors_total\{controller="daemonset"\} 1/);
  assert.match(text, /workqueue_adds_total\{name="daemonset",controller="daemonset"\} 1/);
  assert.match(text, /rest_client_requests_total\{code="201",method="POST",host=""\} 1/);
  assert.match(text, /everynode_sync_path_total\{path="incremental",reason=""\} 1/);
  assert.match(text, /everynode_sync_path_total\{path="full",reason="historyWrite"\} 1/);
});

test('/healthz and /readyz follow the health source', async () => {
  let ready = false;
  const app = buildApp(new ControllerMetrics({ defaultMetrics: false }), {
    healthy: () => true,
    ready: () => ready,
  });
  assert.equal((await app.request('/healthz')).status, 200);
  assert.equal((await app.request('/readyz')).status, 503);
  ready = true;
  assert.equal((await app.request('/readyz')).status, 200);
});

test('parseAddr accepts host:port and :port, rejects junk', () => {
  assert.deepEqual(parseAddr(':8080'), { hostname: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseAddr('127.0.0.1:9090'), { hostname: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseAddr('[::1]:0'), { hostname: '::1', port: 0 });
  assert.deepEqual(parseAddr('localhost:80'), { hostname: 'localhost', port: 80 });
  assert.throws(() => parseAddr('nope'), /--metrics-addr "nope": no valid port/);
  assert.throws(() => parseAddr('not-an-addr'), /--metrics-addr/);
  assert.throws(() => parseAddr('1.2.3.4:99999'), /no valid port/);
  assert.throws(() => parseAddr('999.1.1.1:0'), /999\.1\.1\.1 is not an IPv4 address/);
  assert.throws(() => parseAddr('::1:80'), /write IPv6 addresses as \[addr\]:port/);
});
