import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMetric, readMetric } from '../rolloutrecord.js';
import {
  foldMetricGate,
  judgedNodes,
  queryTimeoutMs,
  type MetricFoldInput,
  type MetricMemory,
} from './metricfold.js';
import type { MetricOutcome, PrometheusGateSpec } from './metricgate.js';

const T0 = Date.UTC(2026, 11, 8, 1, 0, 0);
const SPEC: PrometheusGateSpec = {
  address: 'http://prom:9090',
  query: 'sum(errors{ns="{{namespace}}",ds="{{name}}",rev="{{revision}}",node=~"{{nodes}}"})',
  max: 0.5,
  intervalSeconds: 30,
  failureLimit: 2,
};
const value = (v: number): MetricOutcome => ({ kind: 'value', value: v });
const noData: MetricOutcome = {
  kind: 'inconclusive',
  reason: 'Unreachable',
  message: 'prometheus http://prom:9090/api/v1/query: no answer: connect ECONNREFUSED',
};

function input(over: Partial<MetricFoldInput> = {}): MetricFoldInput {
  return {
    spec: SPEC,
    stored: undefined,
    memory: undefined,
    revision: 'agent-7c9f4',
    vars: { namespace: 'ops', name: 'agent', revision: '7c9f4', nodes: ['n-1', 'n-2'] },
    active: true,
    onFailure: 'Abort',
    now: T0,
    ...over,
  };
}

test('no Prometheus gate: nothing kept, nothing asked', () => {
  const f = foldMetricGate(input({ spec: undefined }));
  assert.equal(f.state, undefined);
  assert.equal(f.query, undefined);
  assert.equal(f.failure, undefined);
});

test('the first query is due at once, rendered with the judged nodes and a deadline below the interval', () => {
  const f = foldMetricGate(input());
  assert.deepEqual(f.query, {
    revision: 'agent-7c9f4',
    address: 'http://prom:9090',
    query: 'sum(errors{ns="ops",ds="agent",rev="7c9f4",node=~"n-1|n-2"})',
    dueAt: T0,
    timeoutMs: 10_000,
  });
  assert.equal(queryTimeoutMs(5), 4000);
  assert.equal(queryTimeoutMs(60), 10_000);
});

test('an answer is folded once, and the next query is due an interval after it was asked', () => {
  const memory: MetricMemory = {
    revision: 'agent-7c9f4',
    answer: { at: T0 + 1000, outcome: value(0.9) },
  };
  const one = foldMetricGate(input({ memory, now: T0 + 1500 }));
  assert.equal(one.state?.consecutiveFailures, 1);
  assert.equal(one.state?.lastResult, '0.9');
  assert.equal(one.failure, undefined);
  assert.equal(one.query?.dueAt, T0 + 1000 + 30_000);
  assert.equal(one.query?.query, undefined, 'rendered only once due');
  // Due: rendered, {{nodes}} read only now.
  let asked = 0;
  const due = foldMetricGate(
    input({
      memory: { ...memory, state: one.state },
      now: T0 + 31_000,
      vars: {
        ...input().vars,
        nodes: () => {
          asked++;
          return ['n-9'];
        },
      },
    }),
  );
  assert.equal(asked, 1);
  assert.match(due.query?.query ?? '', /node=~"n-9"/);
  // The next sync sees the same answer again (its own state remembered, the store not yet).
  const again = foldMetricGate(input({ memory: { ...memory, state: one.state }, now: T0 + 2000 }));
  assert.deepEqual(again.state, one.state);
  // ...or the stored state, written by the last sync and read back at second precision.
  const stored = readMetric(encodeMetric(one.state));
  const fromStore = foldMetricGate(input({ stored, memory: { ...memory, state: one.state } }));
  assert.equal(fromStore.state?.consecutiveFailures, 1);
});

test('failureLimit failing answers in a row trip MetricFailed with onFailure; a pass resets', () => {
  let state = foldMetricGate(
    input({ memory: { revision: 'agent-7c9f4', answer: { at: T0, outcome: value(2) } } }),
  ).state;
  const trip = foldMetricGate(
    input({
      stored: state,
      memory: { revision: 'agent-7c9f4', answer: { at: T0 + 30_000, outcome: value(3) } },
      now: T0 + 30_500,
    }),
  );
  assert.equal(trip.failure?.reason, 'MetricFailed');
  assert.match(
    trip.failure?.message ?? '',
    /prometheus gate: query returned 3, outside <= 0.5, 2 times/,
  );
  assert.equal(trip.failure?.node, undefined);
  assert.equal(trip.abort, true);
  assert.equal(trip.query, undefined, 'a tripped gate asks nothing more');
  state = foldMetricGate(
    input({
      stored: state,
      memory: { revision: 'agent-7c9f4', answer: { at: T0 + 30_000, outcome: value(0.1) } },
    }),
  ).state;
  assert.equal(state?.consecutiveFailures, 0);
});

test('inconclusive answers: reported each time; with Pause they trip MetricInconclusive and never abort', () => {
  const first = foldMetricGate(
    input({ memory: { revision: 'agent-7c9f4', answer: { at: T0, outcome: noData } } }),
  );
  assert.match(first.inconclusive ?? '', /^Unreachable: prometheus http:\/\/prom:9090/);
  assert.equal(first.failure, undefined);
  const second = foldMetricGate(
    input({
      stored: first.state,
      memory: { revision: 'agent-7c9f4', answer: { at: T0 + 30_000, outcome: noData } },
    }),
  );
  assert.equal(second.failure?.reason, 'MetricInconclusive');
  assert.match(second.failure?.message ?? '', /ECONNREFUSED/);
  assert.equal(second.abort, false);
  const ignored = foldMetricGate(
    input({
      spec: { ...SPEC, onInconclusive: 'Ignore' },
      stored: first.state,
      memory: { revision: 'agent-7c9f4', answer: { at: T0 + 30_000, outcome: noData } },
    }),
  );
  assert.equal(ignored.failure, undefined);
  assert.ok(ignored.inconclusive !== undefined);
});

test('no judged node, an inactive gate or another revision: no query, no fold, the state kept', () => {
  const stored = { consecutiveFailures: 1, consecutiveInconclusive: 0, lastQueryAt: T0 };
  const answer = { at: T0 + 30_000, outcome: value(9) };
  const none = foldMetricGate(input({ vars: { ...input().vars, nodes: [] } }));
  assert.equal(none.query, undefined);
  const inactive = foldMetricGate(
    input({ stored, active: false, memory: { revision: 'agent-7c9f4', answer } }),
  );
  assert.deepEqual(inactive.state, stored);
  assert.equal(inactive.query, undefined);
  const other = foldMetricGate(input({ stored, memory: { revision: 'agent-1111', answer } }));
  assert.deepEqual(other.state, stored);
  assert.equal(other.failure, undefined);
});

test('judgedNodes: candidates with an update pod on unimpaired nodes, sorted, once each', () => {
  assert.deepEqual(
    judgedNodes(['c', 'a', 'b', 'a', 'd'], new Set(['b']), (n) => n !== 'd'),
    ['a', 'c'],
  );
});

test('the stored counters read back; malformed ones read as zero', () => {
  const s = {
    consecutiveFailures: 2,
    consecutiveInconclusive: 1,
    lastQueryAt: T0,
    lastResult: '0.7',
  };
  assert.deepEqual(encodeMetric(s), {
    failures: 2,
    inconclusive: 1,
    lastQueryTime: '2026-12-08T01:00:00Z',
    lastResult: '0.7',
  });
  assert.deepEqual(readMetric(encodeMetric(s)), s);
  assert.deepEqual(readMetric({ failures: -1, inconclusive: 'x' }), {
    consecutiveFailures: 0,
    consecutiveInconclusive: 0,
  });
  assert.equal(readMetric('nope'), undefined);
});

test('after a retry (the gate judges again with counts at the limit) counting starts afresh', () => {
  const tripped = { consecutiveFailures: 2, consecutiveInconclusive: 0, lastQueryAt: T0 };
  const f = foldMetricGate(
    input({
      stored: tripped,
      memory: { revision: 'agent-7c9f4', answer: { at: T0 + 30_000, outcome: value(9) } },
    }),
  );
  assert.equal(f.failure, undefined, 'one failing answer after a retry does not trip again');
  assert.equal(f.state?.consecutiveFailures, 1);
});
