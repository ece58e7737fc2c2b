/**
 * The Prometheus gate in `everynode plan` and `plan --rollout`: the Gates line names it (address,
 * bounds, interval, failureLimit, onInconclusive, onFailure) and, when the stored status holds an
 * answer, the last one; a bad gate is refused by the CLI with exit 2 and the field named.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the documents under test are parsed YAML. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadPlanInput } from '../../src/cli/plan.js';
import { planView, renderPlanTable } from '../../src/cli/plan-view.js';
import { renderRollout, rolloutView } from '../../src/cli/plan-rollout.js';
import { reconcile } from '../../src/engine/reconcile.js';

const root = new URL('../..', import.meta.url).pathname;
const ex = (f: string): string => join(root, 'examples', 'plan', f);
const tmp = mkdtempSync(join(tmpdir(), 'everynode-plan-gate-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const NOW = Date.parse('2026-12-01T00:00:00Z');
const PIPE = { isTTY: false } as const;
const GATE = {
  address: 'http://prometheus.monitoring:9090',
  query: 'sum(rate(errors_total{node=~"{{nodes}}"}[5m]))',
  max: 0.5,
  intervalSeconds: 30,
  failureLimit: 2,
};

/** The plan example's DaemonSet as everynode's CRD (revision 1 stable) with a canary and `prometheus`. */
function crd(prometheus: Record<string, unknown>, status?: (s: any) => void): string {
  const ds = parse(readFileSync(ex('daemonset-v1.8.2.yaml'), 'utf8'));
  ds.apiVersion = 'apps.everynode.dev/v1alpha1';
  delete ds.metadata.annotations['deprecated.daemonset.template.generation'];
  ds.status.stableRevision = 'node-exporter-75c94b6df8';
  ds.status.updateRevision = 'node-exporter-75c94b6df8';
  ds.spec.updateStrategy.rollingUpdate = {
    maxUnavailable: 1,
    canary: { count: 1, bakeSeconds: 600 },
    healthGates: { onFailure: 'Abort', prometheus },
  };
  status?.(ds.status);
  const file = join(tmp, `ds-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(ds));
  return file;
}

async function input(file: string) {
  return loadPlanInput(
    {
      filename: file,
      nodes: ex('nodes.yaml'),
      pods: ex('pods.yaml'),
      revisions: ex('revisions.yaml'),
    },
    NOW,
  );
}

test('plan names the Prometheus gate on its Gates line, also in --rollout and JSON', async () => {
  const i = await input(crd(GATE));
  const view = planView(i, reconcile(i.snapshot, { mode: 'harness' }));
  const text = renderPlanTable(view, PIPE);
  const want =
    /^Gates: +pods fail on CrashLoopBackOff\/.* · prometheus http:\/\/prometheus\.monitoring:9090: value <= 0\.5, every 30s, 2 failing in a row trip, inconclusive: Pause · on failure Abort$/m;
  assert.match(text, want);
  assert.match(JSON.parse(JSON.stringify(view)).rollout.gates, /prometheus http:/);
  const preview = renderRollout(rolloutView(await input(crd(GATE))), PIPE);
  assert.match(preview, want);
});

test("plan shows the gate's last answer kept in the status", async () => {
  const i = await input(
    crd({ ...GATE, min: 0.1, onInconclusive: 'Ignore' }, (s) => {
      // A rollout of revision 2 under way, its gate's counters in status.rollout.metric.
      s.updateRevision = 'node-exporter-56b495ccf6';
      s.rollout = {
        phase: 'Baking',
        canaryNodes: ['worker-1'],
        metric: {
          failures: 1,
          inconclusive: 0,
          lastQueryTime: '2026-11-30T23:59:40Z',
          lastResult: '0.7',
        },
      };
    }),
  );
  const text = renderPlanTable(planView(i, reconcile(i.snapshot, { mode: 'harness' })), PIPE);
  assert.match(
    text,
    /prometheus http:\/\/prometheus\.monitoring:9090: 0\.1 <= value <= 0\.5, every 30s, 2 failing in a row trip, inconclusive: Ignore; last answer 0\.7 at 2026-11-30T23:59:40Z \(1 failing in a row\)/,
  );
});

test('CLI: a bad Prometheus gate is refused with exit 2, naming the fields; nothing is planned', () => {
  const file = crd({ address: 'prometheus:9090', query: '', min: 2, max: 1 });
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin', 'everynode.js'), 'plan', '-f', file, '--nodes', ex('nodes.yaml')],
    {
      cwd: root,
      env: { ...process.env, EVERYNODE_FROM_SOURCE: '1', NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  const at = 'spec.updateStrategy.rollingUpdate.healthGates.prometheus';
  assert.match(
    r.stderr,
    new RegExp(`${at.replaceAll('.', '\\.')}\\.address: Invalid value: "prometheus:9090"`),
  );
  assert.match(r.stderr, /prometheus\.query: Required value/);
  assert.match(
    r.stderr,
    /prometheus\.min: Invalid value: 2: must be less than or equal to max \(1\)/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
