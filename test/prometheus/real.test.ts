/**
 * The Prometheus health gate's client and judgement against a real Prometheus 3.16 built from Go
 * modules (scripts/cluster/build-tools.sh). Prometheus scrapes a small exporter this test
 * serves (per-pod error counters on nodes whose names carry regex metacharacters, and a label
 * value with a quote and a backslash) and evaluates recording rules over vector(); the gate's
 * rendered queries must select exactly the right series. About 10 s, most of it Prometheus's
 * 5-second discovery delay before the first scrape.
 *
 * Runs in `npm run test:cluster` (which builds the binary and sets EVERYNODE_CLUSTER_TEST=1), or
 * alone: EVERYNODE_PROMETHEUS_TEST=1 npx tsx --test test/prometheus/real.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { queryPrometheus } from '../../src/controller/prometheus.js';
import {
  INITIAL_METRIC_STATE,
  metricStep,
  renderQuery,
  type MetricGateState,
  type PrometheusGateSpec,
} from '../../src/engine/rollout/metricgate.js';
import { prometheusBinary, startPrometheus, type RunningPrometheus } from './server.js';

const enabled =
  process.env.EVERYNODE_CLUSTER_TEST === '1' || process.env.EVERYNODE_PROMETHEUS_TEST === '1';
const skip = enabled
  ? false
  : 'needs the prometheus binary: runs in npm run test:cluster, or with EVERYNODE_PROMETHEUS_TEST=1';

// The exporter's series: errors of the DaemonSet's pods on three nodes, a decoy node whose name
// matches the first one's only if the dots are not escaped, another DaemonSet, and a weird value.
const EXPOSITION = [
  '# TYPE gate_errors_total counter',
  'gate_errors_total{namespace="monitoring",pod="node-exporter-a1",node="ip-10-0-1-5.ec2.internal"} 3',
  'gate_errors_total{namespace="monitoring",pod="node-exporter-b2",node="n-2"} 4',
  'gate_errors_total{namespace="monitoring",pod="node-exporter-c3",node="n-3"} 100',
  'gate_errors_total{namespace="monitoring",pod="node-exporter-d4",node="ip-10-0-1-5Xec2Xinternal"} 1000',
  'gate_errors_total{namespace="monitoring",pod="other-e5",node="n-2"} 10000',
  '# TYPE gate_weird gauge',
  'gate_weird{name="a\\"b\\\\c"} 7',
  '',
].join('\n');

const RULES = `
groups:
  - name: gate
    interval: 1s
    rules:
      - record: gate:error_ratio
        expr: vector(0.2)
      - record: gate:broken_ratio
        expr: vector(0) / 0
`;

let exporter: Server;
let prom: RunningPrometheus;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 25_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${prom.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the Prometheus gate against a real Prometheus', { skip }, () => {
  before(async () => {
    const bin = prometheusBinary();
    if (!bin) throw new Error('no prometheus binary: scripts/cluster/build-tools.sh builds it');
    exporter = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(EXPOSITION);
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const addr = exporter.address();
    const target = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      '  - job_name: exporter',
      `    static_configs: [{ targets: ["${target}"] }]`,
      // Keep the exporter's own labels (namespace, pod, node) rather than exported_*.
      '    honor_labels: true',
    ].join('\n');
    prom = await startPrometheus(bin, config, { rules: RULES });
    await until('the first scrape', async () => {
      const o = await queryPrometheus(prom.url, 'count(gate_errors_total)');
      return o.kind === 'value' ? o : undefined;
    });
    await until('the recording rules', async () => {
      const o = await queryPrometheus(prom.url, 'gate:error_ratio');
      return o.kind === 'value' ? o : undefined;
    });
  });
  after(async () => {
    // before() may have failed part-way: stop what was started.
    const started = prom as RunningPrometheus | undefined;
    await started?.stop();
    const server = exporter as Server | undefined;
    if (server)
      await new Promise<void>((r) => {
        server.close(() => {
          r();
        });
      });
  });

  const vars = {
    namespace: 'monitoring',
    name: 'node-exporter',
    revision: '7c9f4',
    nodes: ['ip-10-0-1-5.ec2.internal', 'n-2'],
  };

  test('the rendered query selects exactly the release set nodes of this DaemonSet (dots escaped)', async () => {
    const query = renderQuery(
      'sum(gate_errors_total{namespace="{{namespace}}",pod=~"{{name}}-.*",node=~"{{nodes}}"})',
      vars,
    );
    for (const method of ['GET', 'POST'] as const)
      assert.deepEqual(await queryPrometheus(prom.url, query, { method }), {
        kind: 'value',
        value: 7,
      });
  });

  test('a value with a quote and a backslash survives the escaping', async () => {
    const query = renderQuery('sum(gate_weird{name="{{name}}"})', { ...vars, name: 'a"b\\c' });
    assert.deepEqual(await queryPrometheus(prom.url, query), { kind: 'value', value: 7 });
    const single = renderQuery("sum(gate_weird{name='{{name}}'})", { ...vars, name: 'a"b\\c' });
    assert.deepEqual(await queryPrometheus(prom.url, single), { kind: 'value', value: 7 });
  });

  test('a recording rule passes the gate; failures over max trip it after failureLimit', async () => {
    const spec: PrometheusGateSpec = {
      address: prom.url,
      query: 'gate:error_ratio',
      max: 0.5,
      failureLimit: 2,
    };
    let state: MetricGateState = INITIAL_METRIC_STATE;
    let step = metricStep(spec, state, await queryPrometheus(prom.url, spec.query), 0, 'Abort');
    assert.equal(step.verdict, 'pass');
    const strict = { ...spec, max: 0.1 };
    for (let i = 0; i < 2; i++) {
      step = metricStep(strict, state, await queryPrometheus(prom.url, strict.query), i, 'Abort');
      state = step.state;
    }
    assert.deepEqual(step.trip, {
      reason: 'MetricFailed',
      message: 'query returned 0.2, outside <= 0.1, 2 times in a row (failureLimit 2)',
      action: 'Abort',
    });
  });

  test('every inconclusive answer of the real server has its reason', async () => {
    const at = `prometheus ${prom.url}/api/v1/query`;
    const cases: [string, string, string][] = [
      ['sum(gate_errors_total{namespace="nope"})', 'NoData', `${at}: the query returned no series`],
      ['gate:broken_ratio', 'NaN', `${at}: the query returned NaN`],
      [
        'gate_errors_total[5s]',
        'UnsupportedResultType',
        `${at}: the query returned a matrix; the gate needs an instant vector with one series or a scalar`,
      ],
      [
        'sum(gate_errors_total',
        'QueryError',
        `${at}: HTTP 400, bad_data: invalid parameter "query": 1:22: parse error: unclosed left parenthesis`,
      ],
    ];
    for (const [query, reason, message] of cases)
      assert.deepEqual(
        await queryPrometheus(prom.url, query),
        { kind: 'inconclusive', reason, message },
        query,
      );
    const several = await queryPrometheus(prom.url, 'gate_errors_total{node="n-2"}');
    assert.ok(
      several.kind === 'inconclusive' && several.reason === 'SeveralSeries',
      JSON.stringify(several),
    );
    assert.match(several.message, /the query returned 2 series/);
  });

  test('a scalar result is a value', async () => {
    assert.deepEqual(await queryPrometheus(prom.url, 'scalar(gate:error_ratio) * 2'), {
      kind: 'value',
      value: 0.4,
    });
  });

  test('once the server is gone: Unreachable', async () => {
    await prom.stop();
    const got = await queryPrometheus(prom.url, 'gate:error_ratio', { timeoutMs: 2000 });
    assert.ok(got.kind === 'inconclusive', JSON.stringify(got));
    assert.equal(got.reason, 'Unreachable');
    assert.match(got.message, /no answer: connect ECONNREFUSED/);
  });
});
