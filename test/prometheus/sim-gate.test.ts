/**
 * The Prometheus health gate driven end to end on the embedded cluster's virtual clock: the real
 * controller (metricrunner.ts) asks the scenario's simulated Prometheus (sim/prometheus.ts, read
 * by the real HTTP client) on its timer, the steps stage folds the answers, and a trip pauses or
 * aborts. The three examples under examples/rollout/ (canary-metric-*.yaml,
 * metric-inconclusive-pause.yaml) are also run by test/scenarios/rollout-examples.test.ts; here
 * each one's status, queries and Events are checked in detail, plus an apps/v1 DaemonSet with the
 * gate in its strategy annotation, and answers that are never a pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonSet } from '../../src/api/types.js';
import { controlledRolloutStatus } from '../../src/cli/rollout-conditions.js';
import { readScenario } from '../../src/cli/sim.js';
import { readRecord } from '../../src/engine/rolloutrecord.js';
import { Simulation } from '../../src/sim/runner.js';
import { simulatedPrometheus } from '../../src/sim/prometheus.js';
import { embeddedTarget } from '../../src/cli/run-target.js';
import { nullLogger } from '../../src/controller/logger.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs a scenario; `at`: virtual seconds at which `rollout status`'s answer is read. */
async function runFile(path: string, at: readonly number[] = []) {
  const scenario = await readScenario(path);
  const statuses = new Map<number, string>();
  const sim = new Simulation(scenario, {
    onInstant: (s) => {
      for (const t of at) {
        const ds = s.world.daemonSets.get('default/agent');
        if (!statuses.has(t) && s.offset >= t * 1000 && ds !== undefined)
          statuses.set(t, controlledRolloutStatus(ds).message);
      }
    },
  });
  const r = await sim.run();
  const ds = sim.world.daemonSets.get('default/agent') as DaemonSet;
  // Each Event once per distinct message (the recorder counts repeats in `count`).
  const events = [...sim.world.events.values()]
    .filter((e) => e.involvedObject?.name === 'agent')
    .flatMap((e) => Array<string>(e.count ?? 1).fill(`${e.reason ?? ''}: ${e.message ?? ''}`));
  return { r, sim, ds, events, statuses };
}

const failed = (r: Awaited<ReturnType<typeof runFile>>['r']) =>
  r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`);

test('a canary whose metric stays under max passes; the gate asks every interval while it bakes', async () => {
  const { r, sim, ds, statuses } = await runFile(
    join(root, 'examples/rollout/canary-metric-pass.yaml'),
    [90],
  );
  assert.deepEqual(failed(r), []);
  const q = sim.prometheusQueries;
  // The canary is updated at ~36s and bakes 2 minutes: a query every 20s meanwhile, none after.
  assert.ok(q.length >= 6 && q.length <= 9, `queries: ${q.map((x) => x.atMs).join(', ')}`);
  for (let i = 1; i < q.length; i++) assert.equal(q[i]!.atMs - q[i - 1]!.atMs, 20_000);
  assert.equal(q[0]!.address, 'http://prometheus.monitoring:9090');
  // {{namespace}} and {{nodes}}: the canary node only (the one update pod the gate judges).
  assert.equal(
    q[0]!.query,
    'sum(rate(agent_errors_total{namespace="default",node=~"node-01"}[1m]))',
  );
  assert.equal(ds.status?.rollout?.failure, undefined);
  assert.equal(ds.status?.rollout?.phase, 'Complete');
  // `everynode rollout status` while the canary bakes names the gate's last answer.
  assert.match(
    statuses.get(90) ?? '',
    /the canary \(1 node\) is updated and bakes until .*; prometheus gate: last answer 0\.02 at 2026-01-01T00:01:\d\dZ\)$/,
  );
});

test('a canary whose metric goes over max trips MetricFailed and aborts; the status keeps the counters', async () => {
  const { r, ds, events } = await runFile(join(root, 'examples/rollout/canary-metric-abort.yaml'));
  assert.deepEqual(failed(r), []);
  const f = ds.status?.rollout?.failure;
  assert.equal(f?.reason, 'MetricFailed');
  assert.match(f?.message ?? '', /query returned 0\.9, outside <= 0\.5, 2 times in a row/);
  assert.equal(f?.node, undefined);
  const m = ds.status?.rollout?.metric;
  assert.equal(m?.failures, 2);
  assert.equal(m?.lastResult, '0.9');
  const progressing = ds.status?.conditions?.find((c) => c.type === 'Progressing');
  assert.match(
    progressing?.message ?? '',
    /aborted by a health gate \(MetricFailed: prometheus gate: query returned 0\.9/,
  );
  assert.ok(
    events.some((e) => e.startsWith('RolloutAborted: ') && e.includes('MetricFailed')),
    events.join('\n'),
  );
});

test('garbage answers are inconclusive: an Event naming the server each, then a pause, never a pass or an abort', async () => {
  const { r, ds, events } = await runFile(
    join(root, 'examples/rollout/metric-inconclusive-pause.yaml'),
  );
  assert.deepEqual(failed(r), []);
  assert.equal(ds.status?.rollout?.failure?.reason, 'MetricInconclusive');
  const inconclusive = events.filter((e) => e.startsWith('MetricInconclusive: '));
  assert.equal(inconclusive.length, 2);
  assert.match(
    inconclusive[0]!,
    /prometheus http:\/\/prometheus\.monitoring:9090\/api\/v1\/query: HTTP 200: not a JSON object: <html>/,
  );
  assert.equal(ds.status?.rollout?.metric?.inconclusive, 2);
  assert.notEqual(ds.status?.rollout?.phase, 'Aborted');
});

/** A scenario file written to a temp dir from an example (the abort one) with `edit` applied. */
async function variant(edit: (text: string) => string, example = 'canary-metric-abort.yaml') {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-metric-'));
  try {
    const text = edit(readFileSync(join(root, 'examples/rollout', example), 'utf8'));
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, text);
    return await runFile(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('apps/v1: the gate in the strategy annotation trips the same way; the counters are in the revision record', async () => {
  const strategy = JSON.stringify({
    rollingUpdate: {
      canary: { count: 1, bakeSeconds: 300 },
      healthGates: {
        onFailure: 'Abort',
        prometheus: {
          address: 'http://prometheus.monitoring:9090',
          query: 'sum(agent_errors{node=~"{{nodes}}"})',
          max: 0.5,
          intervalSeconds: 20,
          failureLimit: 2,
        },
      },
    },
  });
  const { r, sim, ds } = await variant((t) => {
    const start = t.indexOf('  - apiVersion: apps.everynode.dev/v1alpha1');
    const end = t.indexOf('timeline:');
    const object = [
      '  - apiVersion: apps/v1',
      '    kind: DaemonSet',
      '    metadata:',
      '      name: agent',
      `      annotations: { rollout.everynode.dev/strategy: '${strategy}' }`,
      '    spec:',
      '      selector: { matchLabels: { app: agent } }',
      '      updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 2 } }',
      '      template:',
      '        metadata: { labels: { app: agent } }',
      "        spec: { containers: [{ name: agent, image: 'example/agent:1' }] }",
      '',
    ].join('\n');
    return (t.slice(0, start) + object + t.slice(end)).replace(/\n {2}- phase:.*\n/, '\n');
  });
  assert.deepEqual(failed(r), []);
  const revisions = [...sim.world.revisions.values()].filter(
    (v) => v.metadata?.namespace === 'default',
  );
  const update = revisions.find((v) => v.revision === 2)!;
  const rec = readRecord(ds, revisions, {
    name: update.metadata?.name ?? '',
    revision: 2,
    hash: '',
  });
  assert.equal(rec.failure?.reason, 'MetricFailed');
  assert.equal(rec.metric?.consecutiveFailures, 2);
});

test('a Timeout, several series and a PromQL error are inconclusive; Ignore lets the canary pass on', async () => {
  const { r, ds, events } = await variant((t) =>
    t
      .replace(
        '- { from: 50s, value: 0.9 }',
        '- { from: 40s, answer: severalSeries }\n    - { from: 80s, answer: timeout }\n    - { from: 120s, answer: error }',
      )
      .replace('failureLimit: 2', 'failureLimit: 2\n              onInconclusive: Ignore')
      .replace('bakeSeconds: 300', 'bakeSeconds: 150')
      .replace('timeLimit: 5m', 'timeLimit: 8m')
      .replace(
        /expect:[\s\S]*$/,
        'expect:\n  - pods: { daemonSet: agent, revision: update, ready: true, count: 6 }\n',
      ),
  );
  assert.deepEqual(failed(r), []);
  assert.equal(ds.status?.rollout?.failure, undefined);
  const text = events.filter((e) => e.startsWith('MetricInconclusive')).join('\n');
  assert.match(text, /SeveralSeries: .*returned 2 series, the gate needs one/);
  assert.match(text, /Timeout: .*no answer within 10000 ms/);
  assert.match(text, /QueryError: .*HTTP 400, bad_data: invalid parameter "query"/);
});

test('without a prometheus block the sim never reaches a network: every query has no answer', async () => {
  const ask = simulatedPrometheus(undefined, () => 0);
  const out = await ask('http://prometheus.monitoring:9090', 'up', {
    timeoutMs: 1000,
    signal: new AbortController().signal,
    time: 0,
  });
  assert.equal(out.kind, 'inconclusive');
  assert.match(
    out.kind === 'inconclusive' ? out.message : '',
    /no answer: the scenario has no prometheus block/,
  );
  const other = simulatedPrometheus({ address: 'http://a:9090', answers: [] }, () => 0);
  const o = await other('http://b:9090', 'up', {
    timeoutMs: 1000,
    signal: new AbortController().signal,
    time: 0,
  });
  assert.match(
    o.kind === 'inconclusive' ? o.message : '',
    /simulated Prometheus is http:\/\/a:9090/,
  );
});

test("run --embedded with a scenario: its prometheus block answers the gate's queries, as under sim", async () => {
  const t = await embeddedTarget(
    {
      qps: '0',
      embeddedSpeed: '1',
      embeddedScenario: join(root, 'examples/rollout/canary-metric-abort.yaml'),
    } as Parameters<typeof embeddedTarget>[0],
    'EverynodeDaemonSet',
    nullLogger,
  );
  try {
    assert.ok(t.metricQuery !== undefined);
    const out = await t.metricQuery('http://prometheus.monitoring:9090', 'up', {
      timeoutMs: 1000,
      signal: new AbortController().signal,
      time: t.clock.now(),
    });
    assert.deepEqual(out, { kind: 'value', value: 0.02 });
  } finally {
    t.close();
  }
  const plain = await embeddedTarget(
    { qps: '0', embeddedSpeed: '1' } as Parameters<typeof embeddedTarget>[0],
    'DaemonSet',
    nullLogger,
  );
  assert.equal(plain.metricQuery, undefined, 'without a scenario the gate asks a real server');
  plain.close();
});

test('after `rollout retry` the paused gate counts afresh: good answers let the canary finish its bake and roll out', async () => {
  const { r, ds, sim } = await variant(
    (t) =>
      t
        .replace(
          '- { from: 0s, answer: garbage }',
          '- { from: 0s, answer: garbage }\n    - { from: 90s, value: 0.02 }',
        )
        .replace(
          /(- \{ at: 30s, action: setImage.*\n)/,
          '$1  - { at: 2m, action: annotate, daemonSet: agent, annotations: { rollout.everynode.dev/retry: 77d8b4566c/1 } }\n',
        )
        .replace('timeLimit: 4m, converged: false', 'timeLimit: 12m')
        .replace(
          /expect:[\s\S]*$/,
          'expect:\n  - pods: { daemonSet: agent, revision: update, ready: true, count: 6 }\n',
        ),
    'metric-inconclusive-pause.yaml',
  );
  assert.deepEqual(failed(r), []);
  assert.equal(ds.status?.rollout?.phase, 'Complete');
  // Paused from the trip (0m52s) to the retry (2m): no query meanwhile.
  const times = sim.prometheusQueries.map((q) => q.atMs);
  assert.ok(!times.some((t) => t > 53_000 && t < 120_000), times.join(', '));
  assert.ok(times.some((t) => t >= 120_000));
});
