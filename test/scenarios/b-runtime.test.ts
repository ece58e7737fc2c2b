/**
 * Runtime scenarios of section B (manage as the executor carries it out) and D 53, against the
 * memory cluster with real informers. Syncs are driven by hand (workers: 0) unless stated, and
 * the clock moves only when a test advances it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, DaemonSetStatus, Pod } from '../../src/api/types.js';
import {
  NotFoundError,
  TerminalError,
  UnavailableError,
  type Cluster,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type ResourceKind,
  type WatchEvent,
  type WatchOptions,
} from '../../src/cluster/port.js';
import { NAMESPACE_TERMINATING_REASON } from '../../src/controller/syncnodes.js';
import { dsFoo, harness, node, type Harness } from '../../src/controller/testing.js';

const KEY = 'default/foo';

/** A Cluster view that logs the start and end of every pod create, to see slow-start batches. */
function batchRecorder(onCreate?: () => void): {
  wrap: (c: Cluster) => Cluster;
  batches: () => number[];
} {
  const log: ('s' | 'e')[] = [];
  const wrap = (c: Cluster): Cluster => ({
    ...c,
    list: (k, o) => c.list(k, o),
    watch: (k, o, h) => c.watch(k, o, h),
    get: (k, ns, n) => c.get(k, ns, n),
    update: (k, o) => c.update(k, o),
    updateStatus: (k, o) => c.updateStatus(k, o),
    patch: (k, ns, n, p) => c.patch(k, ns, n, p),
    delete: (k, ns, n, o) => c.delete(k, ns, n, o),
    create: async (k, o) => {
      if (k !== 'Pod') return c.create(k, o);
      onCreate?.();
      log.push('s');
      try {
        return await c.create(k, o);
      } finally {
        log.push('e');
      }
    },
  });
  const batches = (): number[] => {
    const out: number[] = [];
    let run = 0;
    for (const x of log) {
      if (x === 's') run++;
      else if (run > 0) {
        out.push(run);
        run = 0;
      }
    }
    return out;
  };
  return { wrap, batches };
}

async function setup(h: Harness, nodes: number, ds: DaemonSet = dsFoo()): Promise<void> {
  for (let i = 0; i < nodes; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', ds);
  await h.controller.start();
  await h.settle();
}

async function sync(h: Harness): Promise<Error | undefined> {
  try {
    await h.controller.syncDaemonSet(KEY);
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await h.settle();
  }
}

async function status(h: Harness): Promise<DaemonSetStatus | undefined> {
  return (await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo')).status;
}

test('scenario 34: burst cap of 250 creates per sync, slow-start batches 1..64 then 123', async () => {
  let expectedAtFirstCreate: number | undefined;
  const ref: { h?: Harness } = {};
  const rec = batchRecorder(() => {
    expectedAtFirstCreate ??= ref.h!.controller.expectations.get(KEY)?.adds;
  });
  const h = (ref.h = harness({ workers: 0, wrap: rec.wrap }));
  await setup(h, 300);
  assert.equal(await sync(h), undefined);
  assert.equal(expectedAtFirstCreate, 250, 'expectations (250, 0) set before the first create');
  assert.deepEqual(rec.batches(), [1, 2, 4, 8, 16, 32, 64, 123]);
  assert.equal((await h.pods()).length, 250);
  assert.equal(h.controller.expectations.satisfiedExpectations(KEY), true, 'all 250 observed');
  assert.equal(await sync(h), undefined);
  assert.equal((await h.pods()).length, 300);
  assert.deepEqual(rec.batches().slice(8), [1, 2, 4, 8, 16, 19]);
  await h.controller.stop();
});

test('scenario 34: the burst cap applies to deletes too (burstReplicas configured to 3)', async () => {
  const h = harness({ workers: 0, burstReplicas: 3 });
  for (let i = 0; i < 5; i++) await h.cluster.create('Node', node(`node-${i}`, { color: 'blue' }));
  await h.cluster.create('DaemonSet', dsFoo('foo', { nodeSelector: { color: 'blue' } }));
  await h.controller.start();
  await h.settle();
  await sync(h);
  await sync(h);
  assert.equal((await h.pods()).length, 5);
  for (let i = 0; i < 5; i++) {
    await h.cluster.patch('Node', '', `node-${i}`, {
      type: 'merge',
      body: { metadata: { labels: { color: 'red' } } },
    });
  }
  await h.settle();
  h.cluster.resetStats();
  await sync(h);
  assert.equal(h.cluster.stats('controller').byKind.Pod?.delete, 3);
  await sync(h);
  assert.equal(h.cluster.stats('controller').byKind.Pod?.delete, 5);
  await h.controller.stop();
});

function quota(h: Harness, allowed: number): void {
  let n = 0;
  h.cluster.injectFault((ctx) => {
    if (ctx.verb !== 'create' || ctx.kind !== 'Pod' || ctx.client !== 'controller')
      return undefined;
    return ++n > allowed ? new TerminalError('exceeded quota: pods', 403, 'Forbidden') : undefined;
  });
}

test('scenario 35: slow start against a quota of 10 creates: 15 calls, then stop', async () => {
  const h = harness({ workers: 0 });
  await setup(h, 100);
  quota(h, 10);
  const err = await sync(h);
  assert.ok(err, 'the sync returns an aggregate error');
  assert.equal(h.cluster.stats('controller').byKind.Pod?.create, 15);
  assert.equal((await h.pods()).length, 10);
  await h.controller.recorder.flush();
  assert.equal(h.controller.recorder.counts().get('FailedCreate'), 5);
  assert.equal(h.controller.recorder.counts().get('SuccessfulCreate'), 10);
  // Live mode computes status from the cache as the sync began; the next sync (one more failed
  // batch of 1) writes the counts the harness model shows after the first.
  const err2 = await sync(h);
  assert.ok(err2);
  assert.equal(h.cluster.stats('controller').byKind.Pod?.create, 16);
  const st = await status(h);
  assert.equal(st?.desiredNumberScheduled, 100);
  assert.equal(st?.currentNumberScheduled, 10);
  assert.equal(st?.updatedNumberScheduled, 10);
  await h.controller.stop();
});

test('scenario 35: a failed sync is retried with rate limiting by the workers', async () => {
  const h = harness({ workers: 2 });
  quota(h, 10);
  await setup(h, 20);
  assert.ok(h.controller.stats().syncErrors >= 1);
  assert.equal(h.controller.queue.numRequeues(KEY) >= 1, true);
  assert.ok(h.controller.stats().delayed >= 1, 'a rate-limited retry is pending on the clock');
  await h.controller.stop();
});

test('scenario 36: expectations are satisfied after a partial slow start (100 − 10 − 5 − 85)', async () => {
  const h = harness({ workers: 0 });
  await setup(h, 100);
  quota(h, 10);
  await sync(h);
  const rec = h.controller.expectations.get(KEY);
  assert.equal(rec?.adds, 0);
  assert.equal(rec?.dels, 0);
  assert.equal(h.controller.expectations.satisfiedExpectations(KEY), true);
  await h.controller.stop();
});

test('scenario 38: expectations on DaemonSet recreate', async () => {
  const ref: { h?: Harness } = {};
  const seen: (number | undefined)[] = [];
  const rec = batchRecorder(() =>
    seen.push(ref.h!.controller.expectations.get('default/test')?.adds),
  );
  const h = (ref.h = harness({ wrap: rec.wrap }));
  await h.cluster.create('Node', node('master-0'));
  await h.controller.start();
  await h.cluster.create('DaemonSet', {
    ...dsFoo('test'),
    metadata: { name: 'test', namespace: 'default' },
  });
  await h.settle();
  assert.deepEqual(seen, [1], 'one create, issued under an unfulfilled expectation of 1');
  assert.equal((await h.pods()).length, 1);
  assert.equal(h.controller.queue.len(), 0, 'the queue stays empty');
  const writes = h.controller.stats().statusWrites;
  await h.controller.syncDaemonSet('default/test');
  assert.equal(h.controller.stats().statusWrites, writes, 'a settled DaemonSet writes nothing');
  await h.cluster.delete('DaemonSet', 'default', 'test');
  await h.settle();
  assert.equal(h.controller.expectations.get('default/test'), undefined, 'the entry is removed');
  await h.cluster.create('DaemonSet', {
    ...dsFoo('test'),
    metadata: { name: 'test', namespace: 'default' },
  });
  await h.settle();
  assert.deepEqual(seen, [1, 1], 'the recreated DaemonSet starts clean and creates its pod');
  assert.ok(h.controller.expectations.get('default/test'));
  await h.controller.stop();
});

test('scenario 39a: namespace-terminating create errors are ignored and not observed', async () => {
  const h = harness({ workers: 0 });
  await setup(h, 2);
  const stop = h.cluster.injectFault((ctx) =>
    ctx.verb === 'create' && ctx.kind === 'Pod'
      ? new TerminalError(
          'namespace default is being terminated',
          403,
          NAMESPACE_TERMINATING_REASON,
        )
      : undefined,
  );
  assert.equal(await sync(h), undefined, 'not an error');
  await h.controller.recorder.flush();
  assert.equal(h.controller.recorder.counts().get('FailedCreate'), undefined);
  assert.equal(h.controller.expectations.get(KEY)?.adds, 2, 'not decremented');
  assert.equal(h.controller.expectations.satisfiedExpectations(KEY), false);
  stop();
  h.cluster.resetStats();
  await sync(h);
  assert.equal(
    h.cluster.stats('controller').byKind.Pod?.create,
    undefined,
    'status-only while unsatisfied',
  );
  // Scenario 39c: after the 5-minute timeout the next sync runs manage normally.
  h.clock.advance(5 * 60 * 1000 + 1);
  await sync(h);
  assert.equal(h.cluster.stats('controller').byKind.Pod?.create, 2);
  await h.controller.stop();
});

test('scenario 39b: a delete answered NotFound is observed, not an error, and records no event', async () => {
  const h = harness({ workers: 0 });
  await setup(h, 1);
  await sync(h);
  const [p] = await h.pods();
  // A second owned pod on the same node: manage deletes the newer one.
  const dup = structuredClone(p!) as { metadata: Record<string, unknown> };
  dup.metadata = {
    ...dup.metadata,
    name: 'foo-dup',
    uid: undefined,
    resourceVersion: undefined,
    creationTimestamp: undefined,
  };
  h.clock.advance(1000);
  await h.cluster.create('Pod', dup);
  await h.settle();
  h.cluster.failNext('delete', 'Pod', () => new NotFoundError('pods "foo-dup" not found'));
  assert.equal(await sync(h), undefined);
  await h.controller.recorder.flush();
  assert.equal(h.controller.recorder.counts().get('FailedDelete'), undefined);
  assert.equal(h.controller.expectations.get(KEY)?.dels, 0);
  await h.controller.stop();
});

test('scenario 40: a sync error takes precedence over a status error', async (t) => {
  const cases = [
    { name: 'a', createFails: true, statusFails: false, want: 'sync error' },
    { name: 'b', createFails: false, statusFails: true, want: 'status error' },
    { name: 'c', createFails: true, statusFails: true, want: 'sync error' },
  ];
  for (const c of cases) {
    await t.test(`scenario 40${c.name}`, async () => {
      const h = harness({ workers: 0 });
      await setup(h, 1);
      if (c.createFails) h.cluster.failNext('create', 'Pod', new UnavailableError('sync error'));
      if (c.statusFails)
        h.cluster.failNext(
          'updateStatus',
          'DaemonSet',
          () => new UnavailableError('status error'),
          2,
        );
      h.cluster.resetStats();
      const err = await sync(h);
      assert.equal(err?.message, c.want);
      assert.equal(h.cluster.stats('controller').byKind.Pod?.create, 1, '1 create attempt');
      await h.controller.stop();
    });
  }
});

test('scenario 53: status store retries once after a fresh GET', async (t) => {
  const rows = [
    { updateFails: 0, getFails: 0, updates: 1, gets: 0, result: undefined },
    { updateFails: 1, getFails: 0, updates: 2, gets: 1, result: undefined },
    { updateFails: 2, getFails: 0, updates: 2, gets: 1, result: 'update error' },
    { updateFails: 1, getFails: 1, updates: 1, gets: 1, result: 'get error' },
  ];
  for (const r of rows) {
    await t.test(`scenario 53: ${r.updateFails} update / ${r.getFails} get failures`, async () => {
      const h = harness({ workers: 0 });
      await setup(h, 1);
      h.cluster.failNext(
        'updateStatus',
        'DaemonSet',
        () => new UnavailableError('update error'),
        r.updateFails,
      );
      h.cluster.failNext('get', 'DaemonSet', () => new UnavailableError('get error'), r.getFails);
      h.cluster.resetStats();
      const err = await sync(h);
      const ds = h.cluster.stats('controller').byKind.DaemonSet ?? {};
      assert.equal(ds.updateStatus ?? 0, r.updates);
      assert.equal(ds.get ?? 0, r.gets);
      assert.equal(err?.message, r.result);
      if (r.result === undefined) assert.equal((await status(h))?.desiredNumberScheduled, 1);
      await h.controller.stop();
    });
  }
});

/** Rewrites DaemonSet `bad` as read through list and watch, as if it had bypassed validation. */
function corrupt(ds: DaemonSet): DaemonSet {
  if (ds.metadata?.name !== 'bad') return ds;
  return {
    ...ds,
    spec: {
      ...ds.spec!,
      selector: { matchExpressions: [{ key: 'name', operator: 'Bogus', values: ['x'] }] },
    },
  };
}

/** A Cluster view that shows DaemonSet `bad` corrupted on list and watch. */
function corruptingView(c: Cluster): Cluster {
  return {
    ...c,
    async list<T extends KubeObject>(k: ResourceKind, o?: ListOptions): Promise<ObjectList<T>> {
      const l = await c.list<T>(k, o);
      if (k !== 'DaemonSet') return l;
      return {
        ...l,
        items: l.items.map((x) => corrupt(x as unknown as DaemonSet) as unknown as T),
      };
    },
    watch<T extends KubeObject>(
      k: ResourceKind,
      o: WatchOptions,
      handler: (e: WatchEvent<T>) => void,
    ) {
      return c.watch<T>(k, o, (ev) => {
        if (k !== 'DaemonSet' || ev.type === 'BOOKMARK') handler(ev);
        else handler({ ...ev, object: corrupt(ev.object as unknown as DaemonSet) as unknown as T });
      });
    },
  };
}

// The controller's admission check (admission.ts, issue 17) refuses it before the engine runs.
test('a DaemonSet that bypassed validation gets a Warning event, is not hot-retried, and others are served', async () => {
  const h = harness({ wrap: corruptingView });
  await h.cluster.create('Node', node('node-0'));
  await h.controller.start();
  await h.cluster.create('DaemonSet', dsFoo('bad'));
  await h.cluster.create('DaemonSet', dsFoo('good'));
  await h.settle();
  await h.controller.recorder.flush();
  assert.equal(h.controller.recorder.counts().get('FailedValidation'), 1);
  const events = await h.cluster.list<
    { reason?: string; message?: string; involvedObject?: { name?: string } } & Pod
  >('Event');
  assert.ok(
    events.items.some(
      (e) =>
        e.reason === 'FailedValidation' &&
        e.involvedObject?.name === 'bad' &&
        /spec\.selector\.matchExpressions\[0\]\.operator: Invalid value: "Bogus"/.test(
          e.message ?? '',
        ),
    ),
  );
  assert.equal(h.controller.queue.numRequeues('default/bad'), 0, 'forgotten, not rate-limited');
  const pods = await h.pods();
  assert.equal(pods.length, 1);
  assert.equal(pods[0]?.metadata?.generateName, 'good-');
  await h.controller.stop();
});
