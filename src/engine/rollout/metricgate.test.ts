import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  INITIAL_METRIC_STATE,
  escapePromQLString,
  metricPasses,
  metricStep,
  nextQueryAt,
  renderQuery,
  type MetricGateState,
  type MetricOutcome,
  type PrometheusGateSpec,
} from './metricgate.js';

const vars = { namespace: 'monitoring', name: 'node-exporter', revision: '7c9f4', nodes: ['n-1'] };

test('renderQuery: the spec example', () => {
  assert.equal(
    renderQuery('sum(rate(errors_total{namespace="{{namespace}}",pod=~"{{name}}-.*"}[5m]))', vars),
    'sum(rate(errors_total{namespace="monitoring",pod=~"node-exporter-.*"}[5m]))',
  );
});

test('renderQuery: nodes as an anchored alternation, dots escaped for the regex and the string', () => {
  assert.equal(
    renderQuery('up{node=~"{{nodes}}"}', { ...vars, nodes: ['ip-10-0-1-5.ec2.internal', 'n-2'] }),
    'up{node=~"ip-10-0-1-5\\\\.ec2\\\\.internal|n-2"}',
  );
  assert.equal(
    renderQuery('x{r="{{ revision }}", y="{{unknown}}"}', vars),
    'x{r="7c9f4", y="{{unknown}}"}',
  );
});

test('escapePromQLString: quotes, backslashes and control characters cannot leave the string', () => {
  const cases: [string, string][] = [
    ['plain-name.1', 'plain-name.1'],
    ['a"b', 'a\\x22b'],
    ["a'b", 'a\\x27b'],
    ['a`b', 'a\\x60b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb\tc', 'a\\x0ab\\x09c'],
    ['"}) or vector(1) #', '\\x22}) or vector(1) #'],
    ['zöne', 'zöne'],
  ];
  for (const [input, want] of cases) assert.equal(escapePromQLString(input), want, input);
});

test('property: an escaped string holds no quote, backtick, newline or lone backslash', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      const e = escapePromQLString(s);
      assert.ok(!/["'`\n\r]/.test(e));
      // Every backslash starts an escape: \\ or \xHH.
      assert.ok(/^(?:[^\\]|\\\\|\\x[0-9a-f]{2})*$/su.test(e), e);
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('metricPasses: min <= value <= max, absent bounds do not limit', () => {
  assert.equal(metricPasses({ max: 0.5 }, 0.5), true);
  assert.equal(metricPasses({ max: 0.5 }, 0.51), false);
  assert.equal(metricPasses({ min: 1 }, 0.9), false);
  assert.equal(metricPasses({ min: 1, max: 2 }, Infinity), false);
  assert.equal(metricPasses({}, -Infinity), true);
});

const spec: PrometheusGateSpec = {
  address: 'http://p:9090',
  query: 'q',
  max: 0.5,
  failureLimit: 2,
};
const value = (v: number): MetricOutcome => ({ kind: 'value', value: v });
const noData: MetricOutcome = { kind: 'inconclusive', reason: 'NoData', message: 'p: no series' };

function run(
  s: PrometheusGateSpec,
  outcomes: MetricOutcome[],
  onFailure: 'Pause' | 'Abort' = 'Abort',
) {
  let state: MetricGateState = INITIAL_METRIC_STATE;
  const out: string[] = [];
  outcomes.forEach((o, i) => {
    const step = metricStep(s, state, o, 1000 * i, onFailure);
    state = step.state;
    out.push(step.trip ? `${step.verdict}:${step.trip.reason}:${step.trip.action}` : step.verdict);
  });
  return { out, state };
}

test('metricStep: failureLimit consecutive failures trip with onFailure; a pass resets', () => {
  assert.deepEqual(run(spec, [value(0.9), value(0.1), value(0.9), value(0.9)]).out, [
    'fail',
    'pass',
    'fail',
    'fail:MetricFailed:Abort',
  ]);
});

test('metricStep: inconclusive under Pause trips after failureLimit in a row, always with Pause', () => {
  assert.deepEqual(run(spec, [noData, value(0.1), noData, noData]).out, [
    'inconclusive',
    'pass',
    'inconclusive',
    'inconclusive:MetricInconclusive:Pause',
  ]);
});

test('metricStep: inconclusive leaves the failure count; under Ignore it changes nothing', () => {
  assert.deepEqual(run(spec, [value(0.9), noData, value(0.9)]).out, [
    'fail',
    'inconclusive',
    'fail:MetricFailed:Abort',
  ]);
  const ignore = run({ ...spec, onInconclusive: 'Ignore' }, [noData, noData, noData, noData]);
  assert.deepEqual(ignore.out, ['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive']);
  assert.equal(ignore.state.consecutiveInconclusive, 0);
  assert.equal(ignore.state.lastResult, 'NoData: p: no series');
});

test('metricStep: the trip messages', () => {
  const failed = metricStep(
    { ...spec, failureLimit: 1, min: 0 },
    INITIAL_METRIC_STATE,
    value(0.7),
    0,
    'Pause',
  );
  assert.equal(
    failed.trip?.message,
    'query returned 0.7, outside [0, 0.5], 1 time in a row (failureLimit 1)',
  );
  const inc = metricStep({ ...spec, failureLimit: 1 }, INITIAL_METRIC_STATE, noData, 0, 'Abort');
  assert.equal(
    inc.trip?.message,
    '1 inconclusive answer in a row (failureLimit 1); last: NoData: p: no series',
  );
});

test('nextQueryAt: now for the first query, then intervalSeconds after the last', () => {
  assert.equal(nextQueryAt(spec, INITIAL_METRIC_STATE, 5), 5);
  assert.equal(nextQueryAt(spec, { ...INITIAL_METRIC_STATE, lastQueryAt: 1000 }, 5), 61_000);
  assert.equal(
    nextQueryAt({ ...spec, intervalSeconds: 10 }, { ...INITIAL_METRIC_STATE, lastQueryAt: 0 }, 5),
    10_000,
  );
});

test('property: a trip happens exactly when the run of failures (or inconclusive answers) reaches the limit', () => {
  const outcome = fc.oneof(
    fc.constant(value(0)),
    fc.constant(value(1)),
    fc.constant<MetricOutcome>(noData),
  );
  fc.assert(
    fc.property(
      fc.array(outcome, { maxLength: 12 }),
      fc.integer({ min: 1, max: 4 }),
      (xs, limit) => {
        const s = { ...spec, failureLimit: limit };
        let state: MetricGateState = INITIAL_METRIC_STATE;
        let fails = 0;
        let incs = 0;
        for (const o of xs) {
          const step = metricStep(s, state, o, 0, 'Pause');
          state = step.state;
          if (o.kind === 'inconclusive') incs++;
          else if (o.value > 0.5) {
            fails++;
            incs = 0;
          } else {
            fails = 0;
            incs = 0;
          }
          const want =
            o.kind === 'inconclusive'
              ? incs >= limit
                ? 'MetricInconclusive'
                : undefined
              : fails >= limit && o.value > 0.5
                ? 'MetricFailed'
                : undefined;
          assert.equal(step.trip?.reason, want);
          assert.equal(state.consecutiveFailures, fails);
          assert.equal(state.consecutiveInconclusive, incs);
        }
      },
    ),
    { seed: 8, numRuns: 300 },
  );
});
