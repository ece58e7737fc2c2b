import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
import { VirtualClock } from '../clock/virtual.js';
import { FailedPodBackoff } from './backoff.js';

test('expectations: no record is satisfied; set, observe, satisfied', () => {
  const e = new ControllerExpectations(new VirtualClock());
  assert.equal(e.satisfiedExpectations('default/foo'), true);
  e.setExpectations('default/foo', 2, 1);
  assert.equal(e.satisfiedExpectations('default/foo'), false);
  e.creationObserved('default/foo');
  e.creationObserved('default/foo');
  assert.equal(e.satisfiedExpectations('default/foo'), false);
  e.deletionObserved('default/foo');
  assert.equal(e.satisfiedExpectations('default/foo'), true);
  e.deletionObserved('default/foo'); // graceful delete observed twice: harmless
  assert.deepEqual(e.get('default/foo')?.dels, -1);
  assert.equal(e.satisfiedExpectations('default/foo'), true);
});

test('scenario 39c: expectations older than 5 minutes count as satisfied', () => {
  const clock = new VirtualClock();
  const e = new ControllerExpectations(clock);
  e.setExpectations('default/foo', 1, 0);
  clock.advance(EXPECTATIONS_TIMEOUT_MS);
  assert.equal(e.satisfiedExpectations('default/foo'), false);
  clock.advance(1);
  assert.equal(e.satisfiedExpectations('default/foo'), true);
  e.setExpectations('default/foo', 1, 0);
  assert.equal(e.satisfiedExpectations('default/foo'), false, 'set restarts the timeout');
});

test('expectations: lowering in bulk and deleting the record', () => {
  const e = new ControllerExpectations(new VirtualClock());
  e.setExpectations('k', 100, 0);
  e.lowerExpectations('k', 85, 0);
  assert.equal(e.get('k')?.adds, 15);
  e.deleteExpectations('k');
  assert.equal(e.get('k'), undefined);
  assert.equal(e.satisfiedExpectations('k'), true);
  e.creationObserved('k'); // observing without a record creates none
  assert.equal(e.size(), 0);
});

test('backoff: applies plan updates and garbage-collects after 2 × max every minute', () => {
  const clock = new VirtualClock();
  const b = new FailedPodBackoff(clock, { initialMs: 1000, maxMs: 10_000 });
  b.apply(new Map([['uid/1/node-0', { delayMs: 1000, lastUpdateMs: clock.now() }]]));
  assert.equal(b.snapshot().get('uid/1/node-0')?.delayMs, 1000);
  b.start();
  clock.advance(20_000);
  assert.equal(b.size(), 1, 'kept while within 2 × max');
  clock.advance(60_000);
  assert.equal(b.size(), 0);
  b.stop();
  assert.equal(clock.pending(), 0);
});
