/**
 * Two LeaderElectors on one memory cluster and a manual clock: one leads; a leader that dies
 * (every call fails, as for a crashed or partitioned pod) is replaced within the lease duration,
 * and never while it may still act; a leader that stops releases the Lease for an immediate
 * takeover.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import { UnavailableError, type Cluster } from '../cluster/port.js';
import { LeaderElector } from './leaderelection.js';
import { ManualClock } from './manualclock.js';

const LEASE_MS = 15_000;
const RENEW_MS = 10_000;
const RETRY_MS = 2_000;

/** A view of the cluster that can be cut off, as a crashed or partitioned replica is. */
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

interface Candidate {
  readonly elector: LeaderElector;
  readonly kill: () => void;
  readonly log: string[];
}

function setup(): {
  clock: ManualClock;
  cluster: MemoryCluster;
  a: Candidate;
  b: Candidate;
  settle: () => Promise<void>;
  step: (ms: number) => Promise<void>;
} {
  const clock = new ManualClock();
  const cluster = new MemoryCluster({ clock });
  const candidate = (identity: string): Candidate => {
    const { view, kill } = killable(cluster.client(identity));
    const log: string[] = [];
    const elector = new LeaderElector({
      cluster: view,
      clock,
      namespace: 'everynode-system',
      name: 'everynode-controller',
      identity,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_MS,
      retryPeriodMs: RETRY_MS,
      onStartedLeading: () => log.push('started'),
      onStoppedLeading: () => log.push('stopped'),
    });
    return { elector, kill, log };
  };
  const a = candidate('replica-a');
  const b = candidate('replica-b');
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const step = async (ms: number) => {
    clock.advance(ms);
    await settle();
    // At no instant may two replicas believe they lead.
    assert.ok(!(a.elector.isLeader() && b.elector.isLeader()), 'two leaders at once');
  };
  return { clock, cluster, a, b, settle, step };
}

test('one of two candidates leads, and keeps the Lease while it renews', async () => {
  const { a, b, step, cluster } = setup();
  a.elector.start();
  b.elector.start();
  await step(0);
  assert.equal([a, b].filter((c) => c.elector.isLeader()).length, 1);
  for (let i = 0; i < 20; i++) await step(RETRY_MS);
  assert.ok(a.elector.isLeader());
  assert.deepEqual(a.log, ['started']);
  assert.deepEqual(b.log, []);
  const lease = await cluster.get<Lease>('Lease', 'everynode-system', 'everynode-controller');
  assert.equal(lease.spec?.holderIdentity, 'replica-a');
  assert.equal(lease.spec?.leaseDurationSeconds, 15);
  await a.elector.stop();
  await b.elector.stop();
});

test('a dead leader is replaced within the lease duration, after it stopped acting', async () => {
  const { a, b, step, clock } = setup();
  a.elector.start();
  await step(0);
  b.elector.start();
  await step(RETRY_MS);
  assert.ok(a.elector.isLeader());
  const lastRenew = clock.now();
  a.kill();
  let takeover: number | undefined;
  let stepDown: number | undefined;
  for (let t = 0; t < 2 * LEASE_MS && takeover === undefined; t += 500) {
    await step(500);
    if (stepDown === undefined && !a.elector.isLeader()) stepDown = clock.now();
    if (b.elector.isLeader()) takeover = clock.now();
  }
  assert.ok(takeover !== undefined, 'the standby never took over');
  assert.ok(stepDown !== undefined && stepDown < takeover, 'the old leader still acted');
  // The Lease expires LEASE_MS after the last renewal; the standby notices on its next retry.
  assert.ok(takeover - lastRenew <= LEASE_MS + RETRY_MS, `took ${takeover - lastRenew} ms`);
  assert.deepEqual(a.log, ['started', 'stopped']);
  assert.deepEqual(b.log, ['started']);
  await b.elector.stop();
});

test('a leader that stops releases the Lease; the standby takes over on its next retry', async () => {
  const { a, b, step, clock, cluster } = setup();
  a.elector.start();
  await step(0);
  b.elector.start();
  await step(RETRY_MS);
  await a.elector.stop();
  assert.deepEqual(a.log, ['started', 'stopped']);
  const released = await cluster.get<Lease>('Lease', 'everynode-system', 'everynode-controller');
  assert.equal(released.spec?.holderIdentity, '');
  const stoppedAt = clock.now();
  while (!b.elector.isLeader()) {
    await step(500);
    assert.ok(clock.now() - stoppedAt <= RETRY_MS, 'the standby waited for expiry');
  }
  const lease = await cluster.get<Lease>('Lease', 'everynode-system', 'everynode-controller');
  assert.equal(lease.spec?.holderIdentity, 'replica-b');
  assert.equal(lease.spec?.leaseTransitions, 1);
  await b.elector.stop();
});
