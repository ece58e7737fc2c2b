/**
 * A leader frozen past its Lease must not act when it resumes (issue 17, "the leader frozen
 * (SIGSTOP) past its lease and resumed after the standby took over"): its clock has moved on
 * while none of its timers ran, so it still believes it leads until its elector's next tick.
 * Every controller write is refused in that window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { Clock } from '../../src/clock/clock.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { nullLogger } from '../../src/controller/logger.js';
import { dsFoo, node } from '../../src/controller/testing.js';
import { ControllerProcess } from '../../src/cli/run-process.js';

const settle = async (cluster: MemoryCluster): Promise<void> => {
  for (let i = 0; i < 30; i++) {
    await cluster.idle();
    await new Promise((r) => setImmediate(r));
  }
};

test('a leader whose Lease lapsed while frozen writes nothing when it resumes', async () => {
  const clock = new VirtualClock(0);
  // The process's view of time: `frozen` ms ahead of the timers, as after SIGSTOP and SIGCONT
  // (the wall clock moved, no timer has fired yet).
  let frozen = 0;
  const view: Clock = {
    now: () => clock.now() + frozen,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
  };
  const cluster = new MemoryCluster({ clock });
  await cluster.create('Node', node('node-1'));
  await cluster.create('EverynodeDaemonSet', {
    ...dsFoo(),
    apiVersion: 'apps.everynode.dev/v1alpha1',
  } as never);
  const proc = new ControllerProcess({
    cluster: cluster.client('controller'),
    clock: view,
    logger: nullLogger,
    dsKind: 'EverynodeDaemonSet',
    workers: 1,
    leaderElection: { namespace: 'kube-system', identity: 'a' },
  });
  await proc.start();
  clock.advance(0);
  await settle(cluster);
  assert.equal(proc.isLeader(), true);
  const pods = async (): Promise<number> => (await cluster.list<Pod>('Pod')).items.length;
  assert.equal(await pods(), 1);
  // Frozen for 20 s (past the 10 s renew deadline and the 15 s lease); a new node arrives.
  frozen = 20_000;
  await cluster.create('Node', node('node-2'));
  await settle(cluster);
  assert.equal(
    await pods(),
    1,
    'the resumed leader created a pod before noticing it lost the Lease',
  );
  assert.equal(proc.isLeader(), true, 'the elector has not ticked yet: the fence did the work');
  await proc.shutdown();
});
