import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../clock/virtual.js';
import type { MetricQuery } from '../engine/rollout/metricfold.js';
import type { MetricOutcome } from '../engine/rollout/metricgate.js';
import { MetricGateRunner, type MetricQueryFn } from './metricrunner.js';

const T0 = Date.UTC(2026, 11, 8);

function want(over: Partial<MetricQuery> = {}): MetricQuery {
  return {
    revision: 'agent-2',
    address: 'http://prom:9090',
    query: 'sum(up)',
    dueAt: T0,
    timeoutMs: 4000,
    ...over,
  };
}

/** A query function whose answers the test releases by hand. */
function manual() {
  const calls: {
    query: string;
    timeoutMs: number;
    signal: AbortSignal;
    resolve: (o: MetricOutcome) => void;
  }[] = [];
  const fn: MetricQueryFn = (_address, query, opts) =>
    new Promise((resolve) => {
      calls.push({ query, timeoutMs: opts.timeoutMs, signal: opts.signal, resolve });
    });
  return { calls, fn };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup() {
  const clock = new VirtualClock(T0);
  const enqueued: string[] = [];
  const q = manual();
  const runner = new MetricGateRunner({
    clock,
    enqueue: (k) => enqueued.push(k),
    query: q.fn,
  });
  return { clock, enqueued, q, runner };
}

test('a due query runs on the timer; its answer is kept and the DaemonSet enqueued', async () => {
  const { clock, enqueued, q, runner } = setup();
  runner.afterSync('default/agent', { state: undefined, query: want({ dueAt: T0 + 5000 }) });
  clock.advance(4999);
  assert.equal(q.calls.length, 0);
  clock.advance(1);
  assert.equal(q.calls.length, 1);
  assert.equal(q.calls[0]!.timeoutMs, 4000);
  assert.equal(runner.busy(), true);
  q.calls[0]!.resolve({ kind: 'value', value: 0.3 });
  await flush();
  assert.deepEqual(enqueued, ['default/agent']);
  assert.equal(runner.busy(), false);
  assert.deepEqual(runner.memory('default/agent'), {
    revision: 'agent-2',
    answer: { at: T0 + 5000, outcome: { kind: 'value', value: 0.3 } },
  });
});

test('one query in flight per DaemonSet: syncs meanwhile start no second one', async () => {
  const { clock, q, runner } = setup();
  runner.afterSync('default/agent', { state: undefined, query: want() });
  clock.advance(0);
  assert.equal(q.calls.length, 1);
  runner.afterSync('default/agent', { state: undefined, query: want() });
  runner.afterSync('default/agent', { state: undefined, query: want({ dueAt: T0 + 1 }) });
  clock.advance(10_000);
  assert.equal(q.calls.length, 1);
  q.calls[0]!.resolve({ kind: 'value', value: 1 });
  await flush();
  // The sync that folds it names the next due time.
  const state = { consecutiveFailures: 0, consecutiveInconclusive: 0, lastQueryAt: T0 };
  runner.afterSync('default/agent', { state, query: want({ dueAt: T0 + 20_000 }) });
  assert.equal(runner.memory('default/agent')?.state, state);
  clock.advance(10_000);
  assert.equal(q.calls.length, 2);
});

test('a plan that wants no query, another revision, forget and stop drop the timer and abort the query', async () => {
  const { clock, enqueued, q, runner } = setup();
  runner.afterSync('a', { state: undefined, query: want({ dueAt: T0 + 1000 }) });
  runner.afterSync('a', { state: undefined, query: undefined });
  clock.advance(5000);
  assert.equal(q.calls.length, 0);
  assert.equal(runner.memory('a'), undefined);

  runner.afterSync('b', { state: undefined, query: want() });
  clock.advance(0);
  runner.afterSync('b', { state: undefined, query: want({ revision: 'agent-3' }) });
  assert.equal(q.calls[0]!.signal.aborted, true, 'a new revision aborts the old query');
  q.calls[0]!.resolve({ kind: 'value', value: 9 });
  await flush();
  assert.deepEqual(enqueued, [], "the old revision's answer is dropped");
  clock.advance(0);
  assert.equal(q.calls.length, 2);

  runner.forget('b');
  assert.equal(q.calls[1]!.signal.aborted, true);
  runner.afterSync('c', { state: undefined, query: want({ dueAt: T0 + 60_000 }) });
  runner.stop();
  runner.afterSync('c', { state: undefined, query: want() });
  clock.advance(120_000);
  assert.equal(q.calls.length, 2, 'nothing runs after stop');
  assert.equal(runner.size(), 0);
});

test('a query function that throws or rejects is an inconclusive answer, never a crash', async () => {
  const clock = new VirtualClock(T0);
  const enqueued: string[] = [];
  let n = 0;
  const runner = new MetricGateRunner({
    clock,
    enqueue: (k) => enqueued.push(k),
    query: () => {
      n++;
      if (n === 1) throw new Error('boom');
      return Promise.reject(new Error('bang'));
    },
  });
  runner.afterSync('x', { state: undefined, query: want() });
  clock.advance(0);
  await flush();
  const a = runner.memory('x')?.answer?.outcome;
  assert.equal(a?.kind, 'inconclusive');
  assert.match(a?.kind === 'inconclusive' ? a.message : '', /http:\/\/prom:9090: Error: boom/);
  runner.afterSync('x', { state: undefined, query: want({ dueAt: T0 + 1 }) });
  clock.advance(1);
  await flush();
  const b = runner.memory('x')?.answer?.outcome;
  assert.match(b?.kind === 'inconclusive' ? b.message : '', /bang/);
  assert.deepEqual(enqueued, ['x', 'x']);
});

test('a query not rendered yet (planned before it was due) enqueues a sync at its due time instead', async () => {
  const { clock, enqueued, q, runner } = setup();
  const { query: _rendered, ...notYet } = want({ dueAt: T0 + 30_000 });
  runner.afterSync('default/agent', { state: undefined, query: notYet });
  clock.advance(30_000);
  assert.equal(q.calls.length, 0);
  assert.deepEqual(enqueued, ['default/agent']);
  // That sync renders it: sent at once.
  runner.afterSync('default/agent', { state: undefined, query: want({ dueAt: T0 + 30_000 }) });
  clock.advance(0);
  assert.equal(q.calls.length, 1);
  assert.equal(q.calls[0]!.query, 'sum(up)');
  await flush();
});

test('onAnswer hears each answer with its time on the clock, not a query aborted by forget', async () => {
  const clock = new VirtualClock(T0);
  const q = manual();
  const heard: { outcome: MetricOutcome; ms: number }[] = [];
  const runner = new MetricGateRunner({
    clock,
    enqueue: () => {},
    query: q.fn,
    onAnswer: (outcome, ms) => heard.push({ outcome, ms }),
  });
  runner.afterSync('default/a', { state: undefined, query: want() });
  runner.afterSync('default/b', { state: undefined, query: want() });
  clock.advance(0);
  assert.equal(q.calls.length, 2);
  clock.advance(250);
  q.calls[0]!.resolve({ kind: 'inconclusive', reason: 'NoData', message: 'no series' });
  runner.forget('default/b');
  q.calls[1]!.resolve({ kind: 'value', value: 1 });
  await flush();
  assert.deepEqual(heard, [
    { outcome: { kind: 'inconclusive', reason: 'NoData', message: 'no series' }, ms: 250 },
  ]);
});
