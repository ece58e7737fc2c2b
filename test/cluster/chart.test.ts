/**
 * The Helm chart with the real tools (built from Go modules by scripts/cluster/build-tools.sh):
 * `helm lint`, `helm template` against values.schema.json (a bad values file is refused), the
 * chart against the kustomization in deploy/ (the same CRD, the same RBAC rules, equivalent
 * container args and settings), and the alerts with `promtool check rules` / `test rules`.
 * No cluster is needed; it runs in test:cluster, where the tools are on PATH.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { root } from './helpers.js';
import { kubectl, skipReason } from './kubectl.js';
import { objects, tool, type Obj } from './tools.js';

const chart = join(root, 'charts', 'everynode');

const one = (objs: readonly Obj[], kind: string): Obj => {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};

/** `run`'s flags as a map, with the defaults `everynode run` applies filled in. */
function runFlags(args: readonly string[]): Map<string, string> {
  assert.equal(args[0], 'run');
  const m = new Map<string, string>([
    ['--resource', 'crd'],
    ['--workers', '2'],
    ['--qps', '20'],
    ['--burst', '30'],
    ['--log-level', 'info'],
    // Not a terminal in a pod: JSON.
    ['--log-format', 'json'],
    ['--lease-duration', '15s'],
    ['--shutdown-timeout', '25s'],
  ]);
  for (const a of args.slice(1)) {
    const i = a.indexOf('=');
    m.set(i < 0 ? a : a.slice(0, i), i < 0 ? 'true' : a.slice(i + 1));
  }
  return m;
}

describe('the Helm chart with helm and promtool', { skip: skipReason }, () => {
  test('helm lint --strict passes', () => {
    assert.match(
      tool('helm', ['lint', '--strict', chart]),
      /1 chart\(s\) linted, 0 chart\(s\) failed/,
    );
  });

  test('helm template: every switch renders; values.schema.json refuses bad values files', () => {
    const all = objects(
      tool('helm', [
        'template',
        'en',
        chart,
        '-n',
        'ops',
        '--set',
        'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.grafanaDashboard.enabled=true',
      ]),
    );
    const kinds = [...new Set(all.map((o) => o.kind))].sort();
    assert.deepEqual(kinds, [
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'CustomResourceDefinition',
      'Deployment',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    // The PrometheusRule carries files/alerts.yaml as it is (the file promtool tests below).
    const rule = one(all, 'PrometheusRule');
    const alerts = parse(readFileSync(join(chart, 'files', 'alerts.yaml'), 'utf8')) as unknown;
    assert.deepEqual(rule.spec, alerts);
    // Kept on uninstall by default; not with crds.keep=false; absent with crds.install=false.
    const crdOf = (set: string): Obj | undefined =>
      objects(tool('helm', ['template', 'en', chart, '--set', set])).find(
        (o) => o.kind === 'CustomResourceDefinition',
      );
    assert.equal(
      crdOf('crds.keep=true')?.metadata.annotations?.['helm.sh/resource-policy'],
      'keep',
    );
    assert.equal(
      crdOf('crds.keep=false')?.metadata.annotations?.['helm.sh/resource-policy'],
      undefined,
    );
    assert.equal(crdOf('crds.install=false'), undefined);
    // One replica: no budget; the args follow resourceMode.
    const single = objects(
      tool('helm', ['template', 'en', chart, '--set', 'replicas=1,resourceMode=native']),
    );
    assert.equal(single.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
    assert.ok(JSON.stringify(one(single, 'Deployment')).includes('--resource=native'));

    const dir = mkdtempSync(join(tmpdir(), 'everynode-chart-'));
    const bad = (name: string, text: string, message: RegExp): void => {
      const file = join(dir, name);
      writeFileSync(file, text);
      assert.throws(() => tool('helm', ['template', 'en', chart, '-f', file]), message, name);
    };
    bad('typo.yaml', 'replicaz: 3\n', /additional properties 'replicaz' not allowed/);
    bad('mode.yaml', 'resourceMode: everything\n', /resourceMode.*'crd', 'native'/);
    bad(
      'two-leaders.yaml',
      'replicas: 2\nleaderElection: { enabled: false }\n',
      /leaderElection\/enabled.*must be true/,
    );
    bad('port.yaml', 'metrics: { port: 70000 }\n', /metrics\/port/);
  });

  test('the chart agrees with deploy/ (kubectl kustomize): CRD, RBAC rules, the container', () => {
    const kust = objects(kubectl(['kustomize', join(root, 'deploy')]));
    const helm = objects(tool('helm', ['template', 'everynode', chart, '-n', 'everynode-system']));
    // The CRD: identical but for Helm's labels and the keep annotation.
    const bare = (o: Obj): Obj => ({ ...o, metadata: { name: o.metadata.name } });
    assert.deepEqual(
      bare(one(helm, 'CustomResourceDefinition')),
      bare(one(kust, 'CustomResourceDefinition')),
    );
    // The same roles under the same names (release `everynode`), the same rules, the same
    // bindings (crd mode: the common role and the crd one).
    const roles = (objs: readonly Obj[]) =>
      Object.fromEntries(
        objs
          .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
          .map((o) => [`${o.kind}/${o.metadata.name}`, o.rules]),
      );
    assert.deepEqual(roles(helm), roles(kust));
    const bindings = (objs: readonly Obj[]) =>
      objs
        .filter((o) => o.kind.endsWith('Binding'))
        .map((o) => `${o.kind}/${o.metadata.name} -> ${JSON.stringify(o.roleRef)}`)
        .sort();
    assert.deepEqual(bindings(helm), bindings(kust));
    type Pod = {
      spec: {
        template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
      };
    };
    const podOf = (o: Obj) => (o as unknown as Pod).spec.template.spec;
    const hp = podOf(one(helm, 'Deployment'));
    const kp = podOf(one(kust, 'Deployment'));
    assert.deepEqual(hp.securityContext, kp.securityContext, 'pod securityContext');
    assert.equal(hp.serviceAccountName, kp.serviceAccountName);
    assert.equal(hp.terminationGracePeriodSeconds, kp.terminationGracePeriodSeconds);
    const [hc, kc] = [hp.containers[0]!, kp.containers[0]!];
    assert.deepEqual(
      Object.fromEntries(runFlags(hc.args as string[])),
      Object.fromEntries(runFlags(kc.args as string[])),
      'container args',
    );
    for (const field of [
      'env',
      'ports',
      'readinessProbe',
      'livenessProbe',
      'resources',
      'securityContext',
    ]) {
      assert.deepEqual(hc[field], kc[field], `container ${field}`);
    }
  });

  test('promtool: the alerts check and pass their tests (test/alerts/alerts.test.yaml)', () => {
    assert.match(
      tool('promtool', ['check', 'rules', join(chart, 'files', 'alerts.yaml')]),
      /SUCCESS: 7 rules found/,
    );
    assert.match(
      tool('promtool', ['test', 'rules', join(root, 'test', 'alerts', 'alerts.test.yaml')]),
      /SUCCESS/,
    );
  });
});
