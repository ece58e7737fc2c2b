import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, DaemonSetStatus } from '../api/types.js';
import { VirtualClock } from '../clock/virtual.js';
import { isSettled, StatusPacer } from './statuspacing.js';

const status = (over: Partial<DaemonSetStatus> = {}): DaemonSetStatus => ({
  currentNumberScheduled: 10,
  numberMisscheduled: 0,
  desiredNumberScheduled: 10,
  numberReady: 4,
  updatedNumberScheduled: 10,
  numberAvailable: 4,
  numberUnavailable: 6,
  observedGeneration: 1,
  ...over,
});

const ds = (generation: number, held: DaemonSetStatus): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'a', namespace: 'default', generation },
  spec: { selector: {}, template: {} },
  status: held,
});

/** A pacer on a virtual clock, and a way to set the time. */
function pacer(intervalMs: number): { p: StatusPacer; at: (t: number) => void } {
  const clock = new VirtualClock(0);
  return {
    p: new StatusPacer(intervalMs, clock),
    at: (t) => {
      clock.advance(t - clock.now());
    },
  };
}

test('interval 0 never defers (upstream timing)', () => {
  const { p, at } = pacer(0);
  p.wrote('k');
  at(1);
  assert.equal(p.delay('k', ds(1, status()), status({ numberReady: 5 }), true), 0);
});

test('the first write goes at once; one within the interval waits for its end', () => {
  const { p, at } = pacer(500);
  const cached = ds(1, status());
  at(1000);
  assert.equal(p.delay('k', cached, status({ numberReady: 5 }), true), 0);
  p.wrote('k');
  at(1100);
  assert.equal(p.delay('k', cached, status({ numberReady: 6 }), true), 400);
  assert.equal(p.delay('other', cached, status({ numberReady: 6 }), true), 0);
  at(1500);
  assert.equal(p.delay('k', cached, status({ numberReady: 6 }), true), 0);
});

test('a settled status, a new observedGeneration and a condition change go at once', () => {
  const { p, at } = pacer(500);
  at(1000);
  p.wrote('k');
  at(1100);
  const settled = status({ numberReady: 10, numberAvailable: 10, numberUnavailable: 0 });
  assert.ok(isSettled(settled));
  assert.equal(p.delay('k', ds(1, status()), settled, true), 0);
  // The DaemonSet's generation moved past what the object holds: this write reports it.
  assert.equal(p.delay('k', ds(2, status()), status({ observedGeneration: 2 }), true), 0);
  // ...but not while expectations hold it back (observedGeneration is not written then).
  assert.equal(p.delay('k', ds(2, status()), status(), false), 400);
  const progressing = status({
    conditions: [{ type: 'Progressing', status: 'True', reason: 'RolloutComplete' }],
  });
  assert.equal(p.delay('k', ds(1, status()), progressing, true), 0);
});

test('isSettled needs every counter at desired', () => {
  assert.equal(isSettled(status()), false);
  assert.equal(
    isSettled(status({ numberReady: 10, numberAvailable: 10, numberUnavailable: 0 })),
    true,
  );
  assert.equal(
    isSettled(
      status({ numberReady: 10, numberAvailable: 10, numberUnavailable: 0, numberMisscheduled: 1 }),
    ),
    false,
  );
  assert.equal(
    isSettled(
      status({
        numberReady: 10,
        numberAvailable: 10,
        numberUnavailable: 0,
        updatedNumberScheduled: 9,
      }),
    ),
    false,
  );
});

test('forget drops the key; bad intervals are refused', () => {
  const { p } = pacer(500);
  p.wrote('k');
  assert.equal(p.size(), 1);
  p.forget('k');
  assert.equal(p.size(), 0);
  const clock = new VirtualClock(0);
  assert.throws(() => new StatusPacer(-1, clock), RangeError);
  assert.throws(() => new StatusPacer(Number.NaN, clock), RangeError);
});
