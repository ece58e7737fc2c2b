import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/sim/scenario/parse.js';
import { ScenarioError } from '../../src/sim/scenario/source.js';
import type { Scenario } from '../../src/sim/scenario/types.js';

const opts = {
  loadObjects: () => Promise.reject(new Error('no files in this test')),
  resolvePath: (p: string) => p,
};
const parse = (text: string): Promise<Scenario> => parseScenario('s.yaml', text, opts);

async function fails(text: string, pattern: RegExp): Promise<void> {
  await assert.rejects(parse(text), (err: unknown) => {
    assert.ok(err instanceof ScenarioError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

const DS = `
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: "a:1" }] }
`;

test('node groups expand with zero-padded names, zones round robin and labels', async () => {
  const s = await parse(`
nodes:
  - name: cp
    taints: [{ key: role, effect: NoSchedule }]
  - { prefix: w-, count: 3, zones: [a, b], labels: { pool: general } }
`);
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.labels['topology.kubernetes.io/zone'], n.labels.pool]),
    [
      ['cp', undefined, undefined],
      ['w-01', 'a', 'general'],
      ['w-02', 'b', 'general'],
      ['w-03', 'a', 'general'],
    ],
  );
  assert.equal(s.nodes[0]!.taints[0]!.effect, 'NoSchedule');
  assert.equal(s.stop.converged, true);
  assert.equal(s.seed, 1);
});

test('timeline is ordered by time and objects get the default namespace', async () => {
  const s = await parse(`
objects:${DS}
timeline:
  - { at: 2m, action: setImage, daemonSet: agent, image: "a:2" }
  - { at: 30s, action: notReady, nodes: [n1] }
`);
  assert.deepEqual(
    s.timeline.map((a) => [a.atMs, a.action]),
    [
      [30_000, 'notReady'],
      [120_000, 'setImage'],
    ],
  );
  assert.equal(s.objects[0]!.metadata!.namespace, 'default');
  assert.equal(s.timeline[1]!.loc.line, 13);
});

test('an unknown action names file, line, column, field and the choices', async () => {
  await fails(
    `
timeline:
  - at: 1m
    action: addNodes
    nodes: [{ name: n1 }]
  - at: 2m
    action: tiant
`,
    /^s\.yaml:7:13: timeline\[1\]\.action: unknown action "tiant" \(did you mean "taint"\?\); expected one of addNodes, .*taint/,
  );
});

test('unknown fields, bad durations, bad effects and duplicate names are located', async () => {
  await fails(
    'nodez: []\n',
    /^s\.yaml:1:1: nodez: unknown field "nodez" \(did you mean "nodes"\?\); expected one of name, /,
  );
  await fails(
    'stop: { timeLimit: 5 minutes }\n',
    /^s\.yaml:1:20: stop\.timeLimit: expected a duration/,
  );
  await fails(
    'nodes:\n  - name: a\n    taints: [{ key: k, effect: NoRun }]\n',
    /^s\.yaml:3:32: nodes\[0\]\.taints\[0\]\.effect: unknown effect "NoRun"/,
  );
  await fails('nodes:\n  - name: a\n  - name: a\n', /node "a" is defined twice/);
  await fails('nodes: [{ count: 2, prefix: "Bad_" }]\n', /not a valid node name/);
  await fails('timeline:\n  - { action: ready, nodes: a }\n', /timeline\[0\]: an entry needs at:/);
  await fails(
    'timeline:\n  - { at: 1m, action: ready }\n',
    /timeline\[0\]: this action needs nodes/,
  );
});

test('controller settings: workers, burstReplicas and the node-event delay, with defaults', async () => {
  const d = await parse('name: x\n');
  assert.deepEqual(d.controller, { workers: 2, burstReplicas: 250, nodeEventDelayMs: 0 });
  const s = await parse('controller: { workers: 4, burstReplicas: 10, nodeEventDelay: 1500ms }\n');
  assert.deepEqual(s.controller, { workers: 4, burstReplicas: 10, nodeEventDelayMs: 1500 });
  await fails(
    'controller: { nodeEventDelay: soon }\n',
    /^s\.yaml:1:31: controller\.nodeEventDelay: expected a duration/,
  );
});

test('invalid DaemonSets are rejected with the API server message and the field line', async () => {
  await fails(
    `objects:
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: other } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: "a:1" }] }
`,
    /^s\.yaml:\d+:\d+: objects\[0\].*DaemonSet.*"agent" is invalid/,
  );
  await fails(
    'objects:\n  - { kind: ConfigMap, metadata: { name: x } }\n',
    /objects\[0\]\.kind: unsupported kind "ConfigMap"/,
  );
});

test('checks: names are generated and comparisons parsed', async () => {
  const s = await parse(`
expect:
  - converged: all
  - maxUnavailable: { daemonSet: kube-system/agent, atMost: 3 }
  - status: { daemonSet: agent, at: 5m, updated: 2, available: ">= 8" }
  - name: custom
    pods: { daemonSet: agent, revision: old, ready: true, count: "< 3" }
`);
  assert.equal(s.expect.length, 4);
  assert.match(s.expect[1]!.name, /kube-system\/agent: never more than 3 pods unavailable/);
  const st = s.expect[2]!;
  assert.equal(st.check, 'status');
  if (st.check === 'status') {
    assert.equal(st.atMs, 300_000);
    assert.deepEqual(st.fields.available, { op: '>=', value: 8 });
  }
  assert.equal(s.expect[3]!.name, 'custom');
  await fails(
    'expect:\n  - { converged: all, maxPodsPerNode: 1 }\n',
    /a check needs exactly one of/,
  );
  await fails(
    'expect:\n  - status: { daemonSet: a, updated: "about 3" }\n',
    /expected a number or a comparison/,
  );
});

test('YAML syntax errors carry their line', async () => {
  await fails('nodes:\n  - name: a\n   bad: [\n', /^s\.yaml:\d+:\d+: invalid YAML/);
});
