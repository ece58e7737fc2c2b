/**
 * The executor's status write (§9.2) when the cache has not yet shown our previous write: it
 * starts from what that write returned instead of meeting a Conflict, leaves out a write that
 * would change nothing on the server, and otherwise keeps upstream's retry after a fresh GET.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, DaemonSetStatus } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/cluster.js';
import type { Plan } from '../engine/types.js';
import { FailedPodBackoff } from './backoff.js';
import { Executor, type ExecutionResult } from './executor.js';
import { ControllerExpectations } from './expectations.js';
import { VirtualClock } from '../clock/virtual.js';
import { dsFoo } from './testing.js';

const KEY = 'default/foo';

function counters(n: number, observedGeneration?: number): DaemonSetStatus {
  return {
    desiredNumberScheduled: 10,
    currentNumberScheduled: n,
    numberMisscheduled: 0,
    numberReady: n,
    numberAvailable: n,
    numberUnavailable: 10 - n,
    updatedNumberScheduled: n,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
}

function statusPlan(status: DaemonSetStatus): Plan {
  return {
    dsKey: KEY,
    skip: null,
    nodes: [],
    claims: [],
    history: null,
    creates: [],
    deletes: [],
    status,
    statusChanged: true,
    events: [],
    requeueAfterMs: null,
    backoffUpdates: new Map(),
    rollingUpdateRan: false,
  };
}

async function setup(): Promise<{
  cluster: MemoryCluster;
  executor: Executor;
  cached: DaemonSet;
  calls: () => { updateStatus: number; get: number };
  /** One sync that only writes status, from the DaemonSet the cache shows. */
  write: (ds: DaemonSet, status: DaemonSetStatus, satisfied?: boolean) => Promise<ExecutionResult>;
}> {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const cached = await cluster.create<DaemonSet>('DaemonSet', dsFoo());
  const executor = new Executor({
    cluster: cluster.client('controller'),
    recorder: { event: () => undefined },
    expectations: new ControllerExpectations(clock),
    backoff: new FailedPodBackoff(clock),
    lookup: () => undefined,
  });
  cluster.resetStats();
  const calls = () => {
    const ds = cluster.stats('controller').byKind.DaemonSet ?? {};
    return { updateStatus: ds.updateStatus ?? 0, get: ds.get ?? 0 };
  };
  const write = (ds: DaemonSet, status: DaemonSetStatus, satisfied = true) =>
    executor.execute({ key: KEY, ds, plan: statusPlan(status), expectationsSatisfied: satisfied });
  return { cluster, executor, cached, calls, write };
}

async function stored(cluster: MemoryCluster): Promise<DaemonSet> {
  return cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
}

test('a second status write from a cache that has not seen the first starts from its result: no Conflict, no GET', async () => {
  const { cluster, cached, calls, write } = await setup();
  const a = await write(cached, counters(3, 1));
  assert.equal(a.statusWritten, true);
  // The same cached object again: its watch event has not arrived.
  const b = await write(cached, counters(5, 1));
  assert.equal(b.error, undefined);
  assert.equal(b.statusWritten, true);
  assert.deepEqual(calls(), { updateStatus: 2, get: 0 });
  assert.equal((await stored(cluster)).status?.numberReady, 5);
});

test('a cache that has caught up with only the first of two writes is still behind: no Conflict', async () => {
  const { cluster, cached, calls, write } = await setup();
  await write(cached, counters(3, 1));
  const first = await stored(cluster);
  await write(cached, counters(5, 1));
  // The watch event of the first write arrives; the second's has not.
  const c = await write(first, counters(7, 1));
  assert.equal(c.error, undefined);
  assert.deepEqual(calls(), { updateStatus: 3, get: 0 });
  assert.equal((await stored(cluster)).status?.numberReady, 7);
});

test('a status write that would not change what our last write left on the server is not sent', async () => {
  const { cluster, cached, calls, write } = await setup();
  await write(cached, counters(3, 1));
  const rv = (await stored(cluster)).metadata?.resourceVersion;
  const b = await write(cached, counters(3, 1));
  assert.equal(b.error, undefined);
  assert.equal(b.statusWritten, false);
  assert.deepEqual(calls(), { updateStatus: 1, get: 0 });
  assert.equal((await stored(cluster)).metadata?.resourceVersion, rv);
});

test('once the cache has caught up, the write starts from the cached object again', async () => {
  const { cluster, cached, calls, write } = await setup();
  await write(cached, counters(3, 1));
  const caughtUp = await stored(cluster);
  const b = await write(caughtUp, counters(3, 1));
  // The plan is trusted as computed from the cache (upstream's rule): it is written.
  assert.equal(b.statusWritten, true);
  assert.deepEqual(calls(), { updateStatus: 2, get: 0 });
});

test('a write by someone else after ours still takes the Conflict, one fresh GET and a second try', async () => {
  const { cluster, cached, calls, write } = await setup();
  await write(cached, counters(3, 1));
  const now = await stored(cluster);
  await cluster.updateStatus<DaemonSet>('DaemonSet', {
    ...now,
    status: { ...counters(3, 1), ...now.status, collisionCount: 1 },
  });
  const b = await write(cached, counters(4, 1));
  assert.equal(b.error, undefined);
  assert.deepEqual(calls(), { updateStatus: 3, get: 1 });
  const s = (await stored(cluster)).status;
  assert.equal(s?.numberReady, 4);
  assert.equal(s?.collisionCount, 1, 'the other writer’s field survives');
});

test('with expectations unsatisfied, a write over a newer object keeps its observedGeneration', async () => {
  const { cluster, cached, calls, write } = await setup();
  const generation = cached.metadata?.generation ?? 1;
  await write(cached, counters(3, generation));
  // The stale cache had no observedGeneration; an unsatisfied sync carries that over.
  const b = await write(cached, counters(6), false);
  assert.equal(b.statusWritten, true);
  assert.deepEqual(calls(), { updateStatus: 2, get: 0 });
  const s = (await stored(cluster)).status;
  assert.equal(s?.numberReady, 6);
  assert.equal(s?.observedGeneration, generation, 'not lowered by the stale cache');
});

test('forget drops what was kept: the next write from a stale cache meets the Conflict path', async () => {
  const { executor, cached, calls, write } = await setup();
  await write(cached, counters(3, 1));
  executor.forget(KEY);
  await write(cached, counters(4, 1));
  assert.deepEqual(calls(), { updateStatus: 3, get: 1 });
});
