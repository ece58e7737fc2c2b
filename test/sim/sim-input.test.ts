// Issue 17, the input side of `everynode sim`. Before these commits: a patch with `operator:
// Near` deleted every pod and the rollout was reported finished; `count: 1000000000` and
// `workers` of the same size aborted with an out-of-memory trace (exit 134); `timeLimit:
// 999999999999999h` spun a core; an alias bomb exited 1 without naming the file; a Node object
// with `taints: null` stopped every DaemonSet, and an invalid inline DaemonSet or Node was only
// refused later, by the API server, or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScenario } from '../../src/cli/sim.js';
import { UsageError } from '../../src/cli/errors.js';
import type { Pod } from '../../src/api/types.js';
import { Simulation } from '../../src/sim/runner.js';
import { parseScenario } from '../../src/sim/scenario/parse.js';
import { ScenarioError } from '../../src/sim/scenario/source.js';
import type { Scenario } from '../../src/sim/scenario/types.js';

const opts = {
  loadObjects: () => Promise.reject(new Error('no files in this test')),
  resolvePath: (p: string) => p,
};
const parse = (text: string): Promise<Scenario> => parseScenario('s.yaml', text, opts);
const scenarioError = (re: RegExp) => (err: unknown) =>
  err instanceof ScenarioError && re.test(err.message);

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

test('counts: a billion nodes, a billion workers and a near-endless time limit are refused at once', async () => {
  const started = Date.now();
  await assert.rejects(
    parse('nodes:\n  - { prefix: n-, count: 1000000000 }\n'),
    scenarioError(
      /^s\.yaml:2:26: nodes\[0\]\.count: 1000000000 nodes would pass the simulator's limit of 100000 nodes in all$/,
    ),
  );
  await assert.rejects(
    parse(
      'nodes:\n  - { prefix: a-, count: 60000 }\ntimeline:\n  - { at: 1m, action: addNodes, nodes: [{ prefix: b-, count: 60000 }] }\n',
    ),
    scenarioError(/timeline\[0\]\.nodes\[0\]\.count: 60000 nodes would pass the simulator's limit/),
  );
  await assert.rejects(
    parse('controller: { workers: 1000000000 }\n'),
    scenarioError(/controller\.workers: at most 64 workers/),
  );
  await assert.rejects(
    parse('stop: { timeLimit: 100000h }\n'),
    scenarioError(/stop\.timeLimit: at most 720h \(30 days\) of virtual time/),
  );
  // Past what a Go duration holds: refused by the duration parser itself.
  await assert.rejects(
    parse('stop: { timeLimit: 999999999999999h }\n'),
    scenarioError(/stop\.timeLimit: expected a duration/),
  );
  assert.ok(Date.now() - started < 5000, 'refused without building the nodes');
  const ok = await parse('nodes:\n  - { prefix: n-, count: 3 }\nstop: { timeLimit: 720h }\n');
  assert.equal(ok.nodes.length, 3);
});

test('an alias bomb or deep nesting in a scenario is a ScenarioError naming the file', async () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) {
    const p = String.fromCharCode(96 + i);
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}]`,
    );
  }
  await assert.rejects(
    parse(lines.join('\n')),
    scenarioError(/^s\.yaml:1:1: invalid YAML: Excessive alias count/),
  );
});

test('inline objects are validated as the API server would: DaemonSet, Node and Pod', async () => {
  await assert.rejects(
    parse(
      `objects:${DS.replace('spec: { containers', 'spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: zone, operator: Near, values: [a] }] }] } } }, containers')}`,
    ),
    scenarioError(
      /^s\.yaml:9:\d+: .*DaemonSet "agent" is invalid: spec\.template\.spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.operator: Invalid value: "Near": not a valid selector operator/,
    ),
  );
  await assert.rejects(
    parse(
      'objects:\n  - { apiVersion: v1, kind: Node, metadata: { name: n1 }, spec: { taints: [{ key: k, effect: Bogus }] } }\n',
    ),
    scenarioError(/Node "n1" is invalid: spec\.taints\[0\]\.effect: Unsupported value: "Bogus"/),
  );
  await assert.rejects(
    parse(
      'objects:\n  - { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [], tolerations: [{ key: k, operator: Bogus }] } }\n',
    ),
    scenarioError(
      /Pod "p" is invalid: spec\.tolerations\[0\]\.operator: Unsupported value: "Bogus"/,
    ),
  );
  const s = await parse(
    'objects:\n  - { apiVersion: v1, kind: Node, metadata: { name: n1 }, spec: { taints: null } }\n',
  );
  assert.equal(s.objects.length, 1);
});

test('a scenario file that is /dev/zero, or an objects file that is, stops at the first chunk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-sim-input-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  await assert.rejects(
    readScenario('/dev/zero'),
    (err: unknown) =>
      err instanceof UsageError &&
      /^\/dev\/zero: cannot read the scenario file: not a text file/.test(err.message),
  );
  const file = join(dir, 's.yaml');
  writeFileSync(file, 'objects:\n  - file: /dev/zero\n');
  await assert.rejects(
    readScenario(file),
    (err: unknown) => err instanceof UsageError && /\/dev\/zero: not a text file/.test(err.message),
  );
});

test('a patch with operator Near is refused by the embedded API server; no pod is deleted', async () => {
  const s = await parse(`
nodes:
  - { prefix: n-, count: 4, zone: a }
objects:${DS}
timeline:
  - at: 1m
    action: patch
    daemonSet: agent
    patch:
      spec:
        template:
          spec:
            affinity:
              nodeAffinity:
                requiredDuringSchedulingIgnoredDuringExecution:
                  nodeSelectorTerms:
                    - matchExpressions: [{ key: topology.kubernetes.io/zone, operator: Near, values: [a] }]
  - { at: 2m, action: label, nodes: [n-01], labels: { x: y } }
stop: { converged: false, timeLimit: 3m }
`);
  const sim = new Simulation(s);
  const deleted: string[] = [];
  sim.memory
    .client('watcher')
    .watch<Pod>('Pod', { resourceVersion: '0' }, (e) => {
      if (e.type === 'DELETED' || (e.type === 'MODIFIED' && e.object.metadata?.deletionTimestamp)) {
        deleted.push(e.object.metadata?.name ?? '');
      }
    })
    .catch(() => undefined);
  await sim.run();
  const refusal = sim.journal.entries.find((e) => e.kind === 'warning');
  assert.match(
    refusal?.message ?? '',
    /^patch refused by the API server, nothing changed: DaemonSet\.apps "agent" is invalid: .*operator: Invalid value: "Near": not a valid selector operator$/,
  );
  assert.deepEqual(deleted, []);
  assert.equal(
    [...sim.world.pods.values()].filter((p) => !p.metadata?.deletionTimestamp).length,
    4,
  );
});

test('found by the fuzzer: a node taint key, taint value or label the API server refuses is a ScenarioError at parse (it crashed the run, exit 1)', async () => {
  await assert.rejects(
    parse('nodes:\n  - { name: cp, taints: [{ key: "8zVxM_>", effect: NoSchedule }] }\n'),
    scenarioError(/nodes\[0\]\.taints\[0\]\.key: "8zVxM_>" is not a valid taint key/),
  );
  await assert.rejects(
    parse('nodes:\n  - { name: cp, taints: [{ key: k, value: "a b", effect: NoSchedule }] }\n'),
    scenarioError(/taints\[0\]\.value: "a b" is not a valid taint value/),
  );
  await assert.rejects(
    parse(
      'nodes:\n  - { name: cp, taints: [{ key: k, effect: NoSchedule }, { key: k, effect: NoSchedule }] }\n',
    ),
    scenarioError(/taint k:NoSchedule is given twice/),
  );
  await assert.rejects(
    parse('nodes:\n  - { name: cp, labels: { "bad key!": x } }\n'),
    scenarioError(/label key "bad key!" is invalid/),
  );
  await assert.rejects(
    parse('nodes:\n  - { name: cp, zone: "a b" }\n'),
    scenarioError(/label value "a b" is invalid/),
  );
  await assert.rejects(
    parse(
      'nodes:\n  - { name: n1 }\ntimeline:\n  - { at: 1m, action: label, nodes: [n1], labels: { x: "-bad-" } }\n',
    ),
    scenarioError(/label value "-bad-" is invalid/),
  );
  await assert.rejects(
    parse(`nodes:\n  - { name: ${'n'.repeat(64)} }\n`),
    scenarioError(/at most 63/),
  );
});
