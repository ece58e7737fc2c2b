/**
 * Issue 11, the simulator's input side: scenarios take everynode's CRD as well as apps/v1 (one
 * kind per scenario, as one controller runs one), the `annotate` action, and the `condition`,
 * `phase` and `pods revision: update|stable` checks; a manifest with a rollout field or the
 * strategy annotation that does not validate is refused at parse with file, line and field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/sim/scenario/parse.js';
import { ScenarioError } from '../../src/sim/scenario/source.js';
import type { Scenario } from '../../src/sim/scenario/types.js';
import { Simulation } from '../../src/sim/runner.js';

const opts = {
  loadObjects: () => Promise.reject(new Error('no files in this test')),
  resolvePath: (p: string) => p,
};
const parse = (text: string): Promise<Scenario> => parseScenario('s.yaml', text, opts);
const refused = (re: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ScenarioError, String(err));
  assert.match(err.message, re);
  assert.equal(err.message.split('\n').length, 1, 'one line');
  return true;
};

const ds = (name: string, apiVersion: string, extra = '') => `
  - apiVersion: ${apiVersion}
    kind: DaemonSet
    metadata: { name: ${name}${extra} }
    spec:
      selector: { matchLabels: { app: ${name} } }
      template:
        metadata: { labels: { app: ${name} } }
        spec: { containers: [{ name: a, image: "a:1" }] }`;

const CRD = 'apps.everynode.dev/v1alpha1';

test('a scenario of CRD DaemonSets runs the controller for the CRD', async () => {
  const s = await parse(`nodes: [{ prefix: n-, count: 3 }]
objects:${ds('agent', CRD)}
timeline:
  - { at: 30s, action: setImage, daemonSet: agent, image: "a:2" }
expect:
  - converged: agent
  - pods: { daemonSet: agent, revision: update, count: 3 }
`);
  assert.equal(s.dsKind, 'EverynodeDaemonSet');
  const r = await new Simulation(s).run();
  assert.deepEqual(
    r.checks.filter((c) => !c.passed).map((c) => c.message),
    [],
  );
  assert.equal((await parse(`objects:${ds('agent', 'apps/v1')}`)).dsKind, 'DaemonSet');
  assert.equal((await parse('nodes: []')).dsKind, 'DaemonSet');
});

test('apps/v1 and CRD DaemonSets in one scenario, or another apiVersion, are refused', async () => {
  await assert.rejects(
    parse(`objects:${ds('a', 'apps/v1')}${ds('b', CRD)}`),
    refused(
      /^s\.yaml:10:17: objects\[1\]\.apiVersion: this DaemonSet is apps\.everynode\.dev\/v1alpha1 but the one at s\.yaml:2 is apps\/v1: a scenario runs one kind/,
    ),
  );
  await assert.rejects(
    parse(`objects:${ds('a', 'apps/v2')}`),
    refused(/objects\[0\]\.apiVersion: DaemonSet apiVersion apps\/v2 is not supported/),
  );
  // An apply in the timeline counts too.
  await assert.rejects(
    parse(`objects:${ds('a', 'apps/v1')}
timeline:
  - at: 1m
    action: apply
    objects:${ds('b', CRD).replace(/\n/g, '\n    ')}
`),
    refused(/timeline\[0\]\.objects\[0\]\.apiVersion: this DaemonSet is apps\.everynode\.dev/),
  );
});

test('annotate: sets and removes annotations; keys are checked at parse', async () => {
  const s = await parse(`objects:${ds('agent', 'apps/v1')}
timeline:
  - at: 1m
    action: annotate
    daemonSet: agent
    annotations: { rollout.everynode.dev/paused: true, note: 3, gone: null }
`);
  const a = s.timeline[0]!;
  assert.equal(a.action, 'annotate');
  assert.deepEqual(a.action === 'annotate' && a.annotations, {
    'rollout.everynode.dev/paused': 'true',
    note: '3',
    gone: null,
  });
  await assert.rejects(
    parse(`timeline:
  - { at: 1m, action: annotate, daemonSet: agent, annotations: { "bad key!": x } }`),
    refused(/annotation key "bad key!" is invalid/),
  );
  await assert.rejects(
    parse(`timeline:
  - { at: 1m, action: annotate, daemonSet: agent, annotations: {} }`),
    refused(/s\.yaml:2:\d+: timeline\[0\]\.annotations: name at least one annotation/),
  );
  await assert.rejects(
    parse(`timeline:
  - { at: 1m, action: annotate, annotations: { a: b } }`),
    refused(/this action needs daemonSet/),
  );
});

test('annotate runs as kubectl annotate: the journal says so, the object carries it', async () => {
  const s = await parse(`nodes: [{ prefix: n-, count: 2 }]
objects:${ds('agent', CRD, ', annotations: { keep: "1", gone: "x" }')}
timeline:
  - { at: 10s, action: annotate, daemonSet: agent, annotations: { team: infra, gone: null } }
stop: { converged: false, timeLimit: 20s }
expect:
  - converged: agent
`);
  const r = await new Simulation(s).run();
  const line = r.sim.journal.entries.find((e) => e.message.startsWith('annotated'));
  assert.equal(line?.message, 'annotated DaemonSet default/agent team=infra gone-');
  const obj = r.sim.world.daemonSets.get('default/agent');
  assert.equal(obj?.metadata?.annotations?.team, 'infra');
  assert.equal(obj?.metadata?.annotations?.keep, '1');
  assert.equal(obj?.metadata?.annotations?.gone, undefined);
});

test('condition, phase and pods revision checks: parsed, named, and their mistakes refused', async () => {
  const s = await parse(`objects:${ds('agent', CRD)}
expect:
  - condition: { daemonSet: agent, at: 2m, type: Progressing, status: "False", reason: ProgressDeadlineExceeded }
  - condition: { daemonSet: agent, type: Suspended, status: true }
  - phase: { daemonSet: agent, at: 1m, is: Paused }
  - pods: { daemonSet: agent, at: 1m, revision: stable, nodes: [n-09], count: 1 }
`);
  assert.deepEqual(
    s.expect.map((c) => c.name),
    [
      'agent at 2m00s: condition Progressing False (ProgressDeadlineExceeded)',
      'agent at the end: condition Suspended True',
      'agent at 1m00s: phase Paused',
      'agent at 1m00s: 1 stable-revision pods',
    ],
  );
  await assert.rejects(
    parse('expect:\n  - condition: { daemonSet: agent, status: "True" }'),
    refused(/this check needs type/),
  );
  await assert.rejects(
    parse('expect:\n  - condition: { daemonSet: agent, type: Progressing }'),
    refused(/name a status or a reason/),
  );
  await assert.rejects(
    parse('expect:\n  - condition: { daemonSet: agent, type: Progressing, status: Maybe }'),
    refused(/status/),
  );
  const absent = await parse(
    'expect:\n  - condition: { daemonSet: agent, type: InvalidStrategy, present: false }',
  );
  assert.equal(absent.expect[0]!.name, 'agent at the end: no condition InvalidStrategy');
  await assert.rejects(
    parse(
      'expect:\n  - condition: { daemonSet: agent, type: Progressing, status: "True", present: false }',
    ),
    refused(/present: false takes no status or reason/),
  );
  await assert.rejects(
    parse('expect:\n  - phase: { daemonSet: agent }'),
    refused(/this check needs is: the phase/),
  );
  await assert.rejects(
    parse('expect:\n  - pods: { daemonSet: agent, revision: canary, count: 1 }'),
    refused(/revision/),
  );
});

test('checks report what they saw: no such condition, no phase on apps/v1, no stable revision', async () => {
  const s = await parse(`nodes: [{ prefix: n-, count: 2 }]
objects:${ds('agent', 'apps/v1')}
expect:
  - condition: { daemonSet: agent, type: Progressing, status: "True" }
  - phase: { daemonSet: agent, is: Complete }
  - pods: { daemonSet: agent, revision: update, count: 2 }
`);
  const r = await new Simulation(s).run();
  const [cond, phase, pods] = r.checks;
  assert.equal(cond!.passed, false);
  assert.match(cond!.message, /no Progressing condition, expected True/);
  assert.equal(phase!.passed, false);
  assert.match(phase!.message, /default\/agent reports no rollout phase/);
  assert.equal(pods!.passed, true, pods!.message);
  const s2 = await parse(`nodes: [{ prefix: n-, count: 1 }]
objects:${ds('agent', 'apps/v1')}
expect:
  - condition: { daemonSet: agent, type: InvalidStrategy, present: false }
`);
  const [none] = (await new Simulation(s2).run()).checks;
  assert.equal(none!.passed, true, none!.message);
  assert.equal(none!.message, 'no InvalidStrategy condition');
});

test('bad rollout fields in a scenario manifest: one line naming file, line and field (exit 2 from the CLI)', async () => {
  // The CRD's fields, as kube-apiserver's CEL rules refuse them.
  await assert.rejects(
    parse(`objects:
  - apiVersion: ${CRD}
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: agent } }
      updateStrategy:
        type: RollingUpdate
        rollingUpdate: { maxUnavailable: 1, partition: 150% }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: "a:1" }] }
`),
    refused(
      /^s\.yaml:9:56: objects\[0\]\.spec\.updateStrategy\.rollingUpdate\.partition: .*must not be greater than 100%/,
    ),
  );
  await assert.rejects(
    parse(`objects:
  - apiVersion: ${CRD}
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      minReadySeconds: 30
      progressDeadlineSeconds: 30
      suspend: Sleep
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: "a:1" }] }
`),
    refused(
      // Both are named; the line is the first one's.
      /^s\.yaml:8:16: objects\[0\]\.spec\.suspend: DaemonSet "agent" is invalid: \[spec\.suspend: Unsupported value: "Sleep": .*, spec\.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds \(30\)\]/,
    ),
  );
  // The native strategy annotation: an API server takes any annotation, plan and sim refuse it.
  await assert.rejects(
    parse(
      `objects:${ds('agent', 'apps/v1', `, annotations: { rollout.everynode.dev/strategy: '{"rollingUpdate": {"partition": "150%"}}' }`)}`,
    ),
    refused(
      /^s\.yaml:4:\d+: .*metadata\.annotations\[rollout\.everynode\.dev\/strategy\]\.rollingUpdate\.partition: .*must not be greater than 100%/,
    ),
  );
  await assert.rejects(
    parse(
      `objects:${ds('agent', 'apps/v1', `, annotations: { rollout.everynode.dev/strategy: '{"paused": tru' }`)}`,
    ),
    refused(
      /metadata\.annotations\[rollout\.everynode\.dev\/strategy\]: Invalid value: .*not valid JSON/,
    ),
  );
  await assert.rejects(
    parse(
      `objects:${ds('agent', 'apps/v1', `, annotations: { rollout.everynode.dev/suspend: Sleep }`)}`,
    ),
    refused(
      /metadata\.annotations\[rollout\.everynode\.dev\/suspend\]: Unsupported value: "Sleep"/,
    ),
  );
});
