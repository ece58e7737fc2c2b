/**
 * Two LeaderElectors on one memory cluster and a manual clock: one leads; a leader that dies
 * (every call fails, as for a crashed or partitioned pod) is replaced within the lease duration,
 * and never while it may still act; a leader that stops releases the Lease for an immediate
 * takeover; and skew between the replicas' clocks changes none of that.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import { UnavailableError, type Cluster } from '../cluster/port.js';
import type { Clock } from '../clock/clock.js';
import { LeaderElector } from './leaderelection.js';
import { VirtualClock } from '../clock/virtual.js';

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

/** The shared virtual time read through a clock that is `offsetMs` ahead (timers unchanged). */
function skewed(clock: VirtualClock, offsetMs: number): Clock {
  return {
    now: () => clock.now() + offsetMs,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
  };
}

/** Two candidates on one cluster; skewMs sets how far each one's clock is ahead of true time. */
function setup(skewMs: { a?: number; b?: number } = {}): {
  clock: VirtualClock;
  cluster: MemoryCluster;
  a: Candidate;
  b: Candidate;
  settle: () => Promise<void>;
  step: (ms: number) => Promise<void>;
} {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const candidate = (identity: string, offsetMs = 0): Candidate => {
    const { view, kill } = killable(cluster.client(identity));
    const log: string[] = [];
    const elector = new LeaderElector({
      cluster: view,
      clock: skewed(clock, offsetMs),
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
  const a = candidate('replica-a', skewMs.a);
  const b = candidate('replica-b', skewMs.b);
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
  // The standby sees the last renewal on its next retry (up to RETRY_MS late), counts LEASE_MS
  // from then on its own clock, and notices expiry on the retry after that: never before
  // LEASE_MS, at most two retry periods later.
  assert.ok(takeover - lastRenew >= LEASE_MS, `took over early: ${takeover - lastRenew} ms`);
  assert.ok(takeover - lastRenew <= LEASE_MS + 2 * RETRY_MS, `took ${takeover - lastRenew} ms`);
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

test('a follower whose clock is ahead by more than the lease duration does not take a renewed Lease', async () => {
  // renewTime is written with the leader's clock; b's clock reads 4 lease durations later, so
  // comparing renewTime with it would call every renewal long expired.
  const { a, b, step, cluster } = setup({ b: 4 * LEASE_MS });
  a.elector.start();
  await step(0);
  b.elector.start();
  // Many lease durations of renewals; step() also checks there is never a second leader.
  for (let t = 0; t < 5 * LEASE_MS; t += 500) await step(500);
  assert.ok(a.elector.isLeader());
  assert.ok(!b.elector.isLeader());
  assert.deepEqual(a.log, ['started']);
  assert.deepEqual(b.log, []);
  const lease = await cluster.get<Lease>('Lease', 'everynode-system', 'everynode-controller');
  assert.equal(lease.spec?.holderIdentity, 'replica-a');
  assert.equal(lease.spec?.leaseTransitions, 0);
  // It still takes over once the leader really stops renewing, a lease duration (on its own
  // clock) after the last renewal, which came at most one retry period before the kill.
  a.kill();
  let waited = 0;
  while (!b.elector.isLeader()) {
    await step(500);
    waited += 500;
    assert.ok(waited <= LEASE_MS + 2 * RETRY_MS, 'the standby never took over');
  }
  assert.ok(waited >= LEASE_MS - RETRY_MS, `took over after ${waited} ms`);
  assert.deepEqual(a.log, ['started', 'stopped']);
  await b.elector.stop();
});

test("a follower whose clock is behind the leader's takes over a dead leader's Lease in time", async () => {
  // The leader's renewTime lies a minute in b's future: a deadline computed from it would keep b
  // waiting a minute longer than the lease duration.
  const { a, b, step, clock } = setup({ a: 4 * LEASE_MS });
  a.elector.start();
  await step(0);
  b.elector.start();
  await step(RETRY_MS);
  assert.ok(a.elector.isLeader());
  const lastRenew = clock.now();
  a.kill();
  while (!b.elector.isLeader()) {
    await step(500);
    assert.ok(clock.now() - lastRenew <= LEASE_MS + 2 * RETRY_MS, 'the standby waited too long');
  }
  assert.ok(clock.now() - lastRenew >= LEASE_MS, 'the standby took over early');
  await b.elector.stop();
});
