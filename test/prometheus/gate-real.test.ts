/**
 * The Prometheus health gate end to end against a real Prometheus 3.16 (built from Go modules by
 * scripts/cluster/build-tools.sh): the real controller on the embedded cluster runs a canary whose
 * gate queries the real server over HTTP (controller/prometheus.ts through metricrunner.ts).
 * Recording rules over vector() give fixed values from the first evaluation: agent:error_ratio:ok
 * = 0.02, agent:error_ratio:bad = 0.9. The gate's query wraps them in label_replace with the
 * rendered {{nodes}}, so the server must parse the rendered template. One canary passes (0.02 <=
 * 0.5) and rolls out; one trips (0.9, twice) and aborts back to the stable revision; one whose
 * address answers nothing pauses (inconclusive), naming the address. A few seconds.
 *
 * Runs in `npm run test:cluster` (listed in scripts/cluster/test-cluster.ts; it sets
 * EVERYNODE_CLUSTER_TEST=1), or alone:
 *   EVERYNODE_PROMETHEUS_TEST=1 npx node --import tsx --test test/prometheus/gate-real.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonSet } from '../../src/api/types.js';
import { readScenario } from '../../src/cli/sim.js';
import { realQuery, type MetricQueryFn } from '../../src/controller/metricrunner.js';
import { queryPrometheus } from '../../src/controller/prometheus.js';
import { Simulation } from '../../src/sim/runner.js';
import {
  freePort,
  GATE_RULES,
  gateQuery,
  prometheusBinary,
  startPrometheus,
  type RunningPrometheus,
} from './server.js';

const enabled =
  process.env.EVERYNODE_CLUSTER_TEST === '1' || process.env.EVERYNODE_PROMETHEUS_TEST === '1';
const skip = enabled
  ? false
  : 'needs the prometheus binary: runs in npm run test:cluster, or with EVERYNODE_PROMETHEUS_TEST=1';

const root = join(import.meta.dirname, '..', '..');
let prom: RunningPrometheus;
let dir: string;

/**
 * Runs examples/rollout/canary-metric-pass.yaml with its gate's address, query and expectations
 * replaced, the controller asking the real server; resolves with the result and the DaemonSet.
 */
async function run(address: string, rule: string, expect: string) {
  const text = readFileSync(join(root, 'examples/rollout/canary-metric-pass.yaml'), 'utf8')
    .replace(/^prometheus:\n(?: {2}.*\n)+/m, '')
    .replaceAll('http://prometheus.monitoring:9090', address)
    .replace(/query: '.*'/, `query: '${gateQuery(rule)}'`)
    .replace(/expect:[\s\S]*$/, `expect:\n${expect}`);
  const file = join(dir, `${rule.replaceAll(':', '-')}.yaml`);
  writeFileSync(file, text);
  const seen: string[] = [];
  const ask: MetricQueryFn = async (a, q, opts) => {
    const out = await realQuery(a, q, opts);
    seen.push(`${q} -> ${out.kind === 'value' ? out.value : `${out.reason}: ${out.message}`}`);
    return out;
  };
  const sim = new Simulation(await readScenario(file), { metricQuery: ask });
  const r = await sim.run();
  const ds = sim.world.daemonSets.get('default/agent') as DaemonSet;
  const failed = r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`);
  return { r, ds, seen, failed };
}

describe('the controller drives a canary gated by a real Prometheus', { skip }, () => {
  before(async () => {
    const bin = prometheusBinary();
    if (!bin) throw new Error('no prometheus binary: scripts/cluster/build-tools.sh builds it');
    dir = mkdtempSync(join(tmpdir(), 'everynode-gate-real-'));
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules.yml]',
    ].join('\n');
    prom = await startPrometheus(bin, config, { rules: GATE_RULES });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const o = await queryPrometheus(prom.url, 'agent:error_ratio:bad');
      if (o.kind === 'value') break;
      if (Date.now() > deadline) throw new Error(`no recording rule values:\n${prom.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    const started = prom as RunningPrometheus | undefined;
    await started?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a metric under max: the canary bakes, the gate passes every answer, the rollout completes', async () => {
    const { ds, seen, failed } = await run(
      prom.url,
      'agent:error_ratio:ok',
      [
        '  - phase: { daemonSet: agent, is: Complete }',
        '  - pods: { daemonSet: agent, revision: update, ready: true, count: 6 }',
        '  - events: { daemonSet: agent, reason: HealthGateFailed, count: 0 }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(failed, []);
    assert.ok(seen.length >= 5, seen.join('\n'));
    // {{nodes}}: the canary node while it bakes, then every node with an update pod.
    assert.equal(
      seen[0],
      'max(label_replace(agent:error_ratio:ok, "judged", "node-01", "", "")) -> 0.02',
    );
    for (const s of seen) assert.match(s, /"judged", "node-01(\|node-0\d)*", "", ""\)\) -> 0\.02$/);
    assert.equal(ds.status?.rollout?.failure, undefined);
  });

  test('a metric over max: two failing answers trip MetricFailed and the canary goes back', async () => {
    const { ds, seen, failed } = await run(
      prom.url,
      'agent:error_ratio:bad',
      [
        '  - phase: { daemonSet: agent, is: Aborted }',
        '  - pods: { daemonSet: agent, revision: stable, ready: true, count: 6 }',
        '  - events: { daemonSet: agent, reason: RolloutAborted, count: 1 }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(failed, []);
    assert.equal(seen.length, 2, seen.join('\n'));
    const f = ds.status?.rollout?.failure;
    assert.equal(f?.reason, 'MetricFailed');
    assert.match(f?.message ?? '', /query returned 0\.9, outside <= 0\.5, 2 times in a row/);
    assert.equal(ds.status?.rollout?.metric?.lastResult, '0.9');
  });

  test('an address where nothing answers: inconclusive answers naming it, then a pause (never a pass)', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { ds, seen, failed } = await run(
      closed,
      'agent:error_ratio:ok',
      [
        '  - condition: { daemonSet: agent, type: Progressing, status: "False", reason: HealthGateFailed }',
        '  - pods: { daemonSet: agent, revision: stable, ready: true, count: 5 }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(failed, []);
    assert.equal(seen.length, 2, seen.join('\n'));
    const f = ds.status?.rollout?.failure;
    assert.equal(f?.reason, 'MetricInconclusive');
    assert.ok(
      f?.message.includes(`Unreachable: prometheus ${closed}/api/v1/query: no answer`),
      f?.message,
    );
  });
});
