/**
 * Scenarios 51, 52, 54, 55 and 58 (shared/spec/scenarios.md, section D: status). 53 (retries
 * when storing status) is the controller's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DaemonSet, Mutable } from '../../src/api/types.js';
import { rolloutStatus, RolloutStatusUnsupportedError } from '../../src/engine/rolloutstatus.js';
import { statusChanged } from '../../src/engine/status.js';
import { Harness } from '../harness/harness.js';
import {
  BOTH_STRATEGIES,
  NL1,
  dsWith,
  newDaemonSet,
  newNodes,
  sec,
  statusTuple,
  strategyName,
} from '../harness/fixtures.js';

for (const strategy of BOTH_STRATEGIES) {
  describe(`section D with ${strategyName(strategy)}`, () => {
    test('scenario 51: numberReady', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(2, { labels: NL1 }) });
      h.addOwnedPod('node-0');
      h.addOwnedPod('node-1');
      h.sync();
      assert.equal(h.ds.status?.numberReady, 0);
      h.markAllReady();
      const r = h.sync();
      assert.equal(r.creates + r.deletes, 0);
      assert.equal(h.ds.status?.numberReady, 2);
      assert.equal(h.ds.status?.numberAvailable, 2);
    });

    test('scenario 52: observedGeneration', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(1) });
      h.addOwnedPod('node-0');
      h.sync();
      assert.equal(h.ds.metadata?.generation, 1);
      assert.equal(h.ds.status?.observedGeneration, 1);
    });

    test('scenario 54: no write when nothing changed', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(2) });
      assert.equal(h.sync().plan.statusChanged, true);
      const again = h.sync().plan;
      assert.equal(again.statusChanged, false, 'counters equal and observedGeneration current');
      // Only observedGeneration behind: a write still happens.
      h.updateSpec((s) => void (s.minReadySeconds = 5));
      const behind = h.plan();
      assert.deepEqual(statusTuple(behind.status), statusTuple(h.ds.status));
      assert.equal(behind.statusChanged, true);
      assert.equal(behind.status.observedGeneration, 2);
      // While expectations are unsatisfied observedGeneration stays where it was.
      const waiting = h.plan({ expectationsSatisfied: false });
      assert.equal(waiting.status.observedGeneration, 1);
      assert.deepEqual(
        [waiting.creates.length, waiting.deletes.length, waiting.rollingUpdateRan],
        [0, 0, false],
      );
    });

    test('scenario 55: minReadySeconds and availability', () => {
      const ds = dsWith(strategy, (d) => void (d.spec!.minReadySeconds = 30));
      const h = new Harness({ ds, nodes: newNodes(1), now: sec(10) });
      h.addOwnedPod('node-0', { readySince: sec(0) });
      const at10 = h.sync().plan;
      assert.deepEqual(
        [at10.status.numberReady, at10.status.numberAvailable, at10.status.numberUnavailable],
        [1, 0, 1],
      );
      // §9.3 asks for minReadySeconds; the rolling update may ask for the exact moment sooner.
      if (strategy.type === 'OnDelete') assert.equal(at10.requeueAfterMs, 30_000);
      else
        assert.ok(
          at10.requeueAfterMs !== null &&
            at10.requeueAfterMs > 20_000 &&
            at10.requeueAfterMs <= 30_000,
        );
      h.setNow(sec(30));
      assert.equal(
        h.sync().plan.status.numberAvailable,
        0,
        'strictly later than ready + minReadySeconds',
      );
      h.setNow(sec(31));
      const at31 = h.sync().plan;
      assert.deepEqual([at31.status.numberAvailable, at31.status.numberUnavailable], [1, 0]);
      assert.equal(at31.requeueAfterMs, null);

      const noTime = new Harness({ ds, nodes: newNodes(1), now: sec(1000) });
      noTime.addOwnedPod('node-0', { readySince: true });
      const p = noTime.sync().plan;
      assert.deepEqual([p.status.numberReady, p.status.numberAvailable], [1, 0]);
    });
  });
}

describe('scenario 58: kubectl rollout status daemonset/foo', () => {
  const withStatus = (
    generation: number,
    s: Partial<NonNullable<DaemonSet['status']>>,
  ): DaemonSet => {
    const ds: Mutable<DaemonSet> = newDaemonSet({ strategy: { type: 'RollingUpdate' } });
    ds.metadata!.generation = generation;
    ds.status = { ...ds.status!, ...(s as Mutable<typeof s>) };
    return ds;
  };
  test('scenario 58a: OnDelete is an error', () => {
    assert.throws(
      () => rolloutStatus(newDaemonSet({ strategy: { type: 'OnDelete' } })),
      (e: unknown) => {
        assert.ok(e instanceof RolloutStatusUnsupportedError);
        assert.equal(e.message, 'rollout status is only available for RollingUpdate strategy type');
        return true;
      },
    );
  });
  test('scenario 58b: spec update not yet observed', () => {
    assert.deepEqual(rolloutStatus(withStatus(3, { observedGeneration: 2 })), {
      done: false,
      message: 'Waiting for daemon set spec update to be observed...',
    });
  });
  test('scenario 58c: pods not yet updated', () => {
    const s = {
      observedGeneration: 3,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 2,
      numberAvailable: 3,
    };
    assert.deepEqual(rolloutStatus(withStatus(3, s)), {
      done: false,
      message:
        'Waiting for daemon set "foo" rollout to finish: 2 out of 3 new pods have been updated...',
    });
  });
  test('scenario 58d: updated pods not yet available', () => {
    const s = {
      observedGeneration: 3,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 2,
    };
    assert.deepEqual(rolloutStatus(withStatus(3, s)), {
      done: false,
      message:
        'Waiting for daemon set "foo" rollout to finish: 2 of 3 updated pods are available...',
    });
  });
  test('scenario 58e: rolled out', () => {
    const s = {
      observedGeneration: 3,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    };
    assert.deepEqual(rolloutStatus(withStatus(3, s)), {
      done: true,
      message: 'daemon set "foo" successfully rolled out',
    });
  });
});

test('scenario 54: statusChanged compares the seven counters and observedGeneration', () => {
  const ds: Mutable<DaemonSet> = newDaemonSet();
  ds.status = {
    desiredNumberScheduled: 1,
    currentNumberScheduled: 1,
    numberMisscheduled: 0,
    numberReady: 1,
    observedGeneration: 1,
  };
  const same = {
    ...ds.status,
    numberAvailable: 0,
    numberUnavailable: 0,
    updatedNumberScheduled: 0,
  };
  assert.equal(statusChanged(ds, same), false, 'absent counters read as 0');
  assert.equal(statusChanged(ds, { ...same, numberReady: 0 }), true);
  ds.metadata!.generation = 2;
  assert.equal(statusChanged(ds, same), true);
});
