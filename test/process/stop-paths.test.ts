/**
 * The stop paths of the pieces `run` is built from, against a cluster whose calls can be held
 * (a server that stopped answering): an informer stops at once with a list or a watch open in
 * flight; a leader elector stopped while its acquire is in flight releases the Lease it then
 * wins; a ControllerProcess shut down while its caches cannot sync exits 0 (issue 17 item 2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from '../../src/api/types.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { Cluster } from '../../src/cluster/port.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { Informer } from '../../src/controller/informer.js';
import { LeaderElector } from '../../src/controller/leaderelection.js';
import { nullLogger } from '../../src/controller/logger.js';
import { ControllerProcess } from '../../src/cli/run-process.js';
import { DaemonSetController } from '../../src/controller/controller.js';

/** A view of the cluster whose calls of the named methods wait until release() (never, if not called). */
function holding(
  cluster: Cluster,
  held: readonly (keyof Cluster)[],
): { view: Cluster; release: () => void; waiting: () => number } {
  const gates: (() => void)[] = [];
  let open = false;
  const wrap =
    <A extends unknown[], R>(name: keyof Cluster, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (held.includes(name) && !open) await new Promise<void>((r) => gates.push(r));
      return fn(...a);
    };
  return {
    release: () => {
      open = true;
      for (const g of gates.splice(0)) g();
    },
    waiting: () => gates.length,
    view: {
      list: wrap('list', (k, o) => cluster.list(k, o)),
      watch: wrap('watch', (k, o, h) => cluster.watch(k, o, h)),
      get: wrap('get', (k, ns, n) => cluster.get(k, ns, n)),
      create: wrap('create', (k, o) => cluster.create(k, o)),
      update: wrap('update', (k, o) => cluster.update(k, o)),
      updateStatus: wrap('updateStatus', (k, o) => cluster.updateStatus(k, o)),
      patch: wrap('patch', (k, ns, n, p) => cluster.patch(k, ns, n, p)),
      delete: wrap('delete', (k, ns, n, o) => cluster.delete(k, ns, n, o)),
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an informer stops at once while its list is in flight', async () => {
  const clock = new VirtualClock(0);
  const h = holding(new MemoryCluster({ clock }), ['list']);
  const inf = new Informer({ cluster: h.view, kind: 'Node', clock });
  inf.start();
  while (h.waiting() === 0) await tick();
  let stopped = false;
  const stopping = inf.stop().then(() => (stopped = true));
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(stopped, true, 'stop() waited for the list');
  await stopping;
  h.release();
});

test('an informer stops at once while its watch is opening; a late watch is stopped', async () => {
  const clock = new VirtualClock(0);
  const h = holding(new MemoryCluster({ clock }), ['watch']);
  const inf = new Informer({ cluster: h.view, kind: 'Node', clock });
  inf.start();
  await inf.waitForSync();
  while (h.waiting() === 0) await tick();
  let stopped = false;
  const stopping = inf.stop().then(() => (stopped = true));
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(stopped, true, 'stop() waited for the watch to open');
  await stopping;
  h.release();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(inf.stats.watches, 0);
});

test('a candidate stopped while its acquire is in flight releases the Lease it wins', async () => {
  const clock = new VirtualClock(0);
  const memory = new MemoryCluster({ clock });
  const h = holding(memory, ['create']);
  let led = 0;
  const e = new LeaderElector({
    cluster: h.view,
    clock,
    namespace: 'kube-system',
    name: 'l',
    identity: 'me',
    onStartedLeading: () => led++,
    onStoppedLeading: () => undefined,
  });
  e.start();
  clock.advance(0);
  while (h.waiting() === 0) await tick();
  const stopping = e.stop();
  h.release();
  await stopping;
  const lease = await memory.get<Lease>('Lease', 'kube-system', 'l');
  assert.equal(lease.spec?.holderIdentity, '', 'the Lease won during stop() is still held');
  assert.equal(led, 0, 'a stopped candidate started leading');
});

test('a controller process shut down while its caches cannot sync exits 0', async () => {
  const clock = new VirtualClock(0);
  const h = holding(new MemoryCluster({ clock }), ['list']);
  const proc = new ControllerProcess({
    cluster: h.view,
    clock,
    logger: nullLogger,
    dsKind: 'EverynodeDaemonSet',
    workers: 2,
  });
  const started = proc.start();
  while (h.waiting() === 0) await tick();
  assert.equal(proc.ready(), false);
  await proc.shutdown();
  await started;
  assert.equal(await proc.exited, 0);
  h.release();
});

test('a controller stopped while its caches sync: start() resolves and starts no worker', async () => {
  const clock = new VirtualClock(0);
  const h = holding(new MemoryCluster({ clock }), ['list']);
  const c = new DaemonSetController({ cluster: h.view, clock, dsKind: 'EverynodeDaemonSet' });
  let started = false;
  const starting = c.start().then(() => (started = true));
  while (h.waiting() === 0) await tick();
  await c.stop();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(started, true, 'start() still waits for caches that will never sync');
  await starting;
  h.release();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(c.hasSynced(), false);
  assert.equal(c.stats().syncs, 0);
});
