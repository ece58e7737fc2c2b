import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCondition, removeCondition, setCondition } from './conditions.js';
import type { DaemonSetStatus } from './types.js';

const base: DaemonSetStatus = {
  currentNumberScheduled: 1,
  numberMisscheduled: 0,
  desiredNumberScheduled: 1,
  numberReady: 1,
};
const T0 = Date.parse('2026-11-28T21:00:00Z');
const change = { type: 'Invalid', status: 'True', reason: 'R', message: 'm' } as const;

test('setCondition adds, keeps lastTransitionTime while the status holds, returns the same object when unchanged', () => {
  const a = setCondition(base, change, T0);
  assert.deepEqual(getCondition(a, 'Invalid'), {
    ...change,
    lastTransitionTime: '2026-11-28T21:00:00Z',
  });
  assert.equal(a.numberReady, 1, 'counters kept');
  assert.equal(setCondition(a, change, T0 + 5000), a);
  const b = setCondition(a, { ...change, message: 'other' }, T0 + 5000);
  assert.equal(getCondition(b, 'Invalid')?.lastTransitionTime, '2026-11-28T21:00:00Z');
  const c = setCondition(b, { ...change, status: 'False' }, T0 + 9000);
  assert.equal(getCondition(c, 'Invalid')?.lastTransitionTime, '2026-11-28T21:00:09Z');
  assert.equal(c.conditions?.length, 1);
  const d = setCondition(c, { ...change, type: 'Available' }, T0);
  assert.deepEqual(
    d.conditions?.map((x) => x.type),
    ['Invalid', 'Available'],
  );
});

test('removeCondition drops one type; an empty list is dropped; absent is the same object', () => {
  const a = setCondition(base, change, T0);
  assert.equal(removeCondition(base, 'Invalid'), base);
  assert.deepEqual(removeCondition(a, 'Invalid'), base);
  const two = setCondition(a, { ...change, type: 'Available' }, T0);
  assert.deepEqual(
    removeCondition(two, 'Invalid').conditions?.map((x) => x.type),
    ['Available'],
  );
  assert.deepEqual(getCondition(setCondition(undefined, change, T0), 'Invalid')?.status, 'True');
});
