import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../api/types.js';
import { ConflictError, TerminalError, UnavailableError } from '../port.js';
import { MemoryCluster } from './cluster.js';
import { VirtualClock } from '../../clock/virtual.js';

function pod(name: string): Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'i' }] },
  };
}

test('failNext fails the next N calls of a verb and kind, then lets them through', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  c.failNext('create', 'Pod', () => new UnavailableError('etcd is sad'), 2);
  await assert.rejects(c.create('Pod', pod('a')), UnavailableError);
  await c.create('Lease', { metadata: { name: 'l', namespace: 'default' } });
  await assert.rejects(c.create('Pod', pod('a')), UnavailableError);
  await c.create('Pod', pod('a'));
  assert.equal(c.count('Pod'), 1);
});

test('a quota-like rule: only 10 pod creates succeed (scenario 35 style)', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  let accepted = 0;
  c.injectFault((ctx) => {
    if (ctx.verb !== 'create' || ctx.kind !== 'Pod') return undefined;
    if (accepted >= 10) return new TerminalError('exceeded quota', 403, 'Forbidden');
    accepted++;
    return undefined;
  });
  const results = await Promise.allSettled(
    Array.from({ length: 15 }, (_, i) => c.create('Pod', pod(`p${i}`))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
  assert.equal(c.count('Pod'), 10);
  const s = c.stats();
  assert.equal(s.byKind.Pod?.create, 15);
  assert.equal(s.failed, 5);
});

test("a fault 'after' the call: the write happens, the client sees an error", async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  c.failNext('create', 'Pod', new UnavailableError('timeout'), 1, { when: 'after' });
  await assert.rejects(c.create('Pod', pod('a')), UnavailableError);
  assert.equal(c.count('Pod'), 1);
});

test('client views count calls per client; stats split by verb and kind; resetStats and clearFaults', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  const controller = c.client('controller');
  const kubelet = c.client('kubelet');
  const created = await controller.create<Pod>('Pod', pod('a'));
  await kubelet.updateStatus('Pod', { ...created, status: { phase: 'Running' } });
  await kubelet.get('Pod', 'default', 'a');
  await controller.list('Pod');
  const remove = c.injectFault((ctx) =>
    ctx.client === 'controller' ? new ConflictError('no') : undefined,
  );
  await assert.rejects(controller.delete('Pod', 'default', 'a'), ConflictError);
  await kubelet.get('Pod', 'default', 'a');
  remove();
  await controller.delete('Pod', 'default', 'a');
  assert.deepEqual(c.stats('controller'), {
    total: 4,
    writes: 3,
    failed: 1,
    byVerb: { create: 1, list: 1, delete: 2 },
    byKind: { Pod: { create: 1, list: 1, delete: 2 } },
  });
  assert.equal(c.stats('kubelet').writes, 1);
  assert.equal(c.stats().total, 7);
  c.resetStats();
  assert.equal(c.stats().total, 0);
  c.failNext('get', 'Pod', new UnavailableError('x'), 5);
  c.clearFaults();
  await assert.rejects(
    c.get('Pod', 'default', 'a'),
    (err: unknown) => !(err instanceof UnavailableError),
  );
});
