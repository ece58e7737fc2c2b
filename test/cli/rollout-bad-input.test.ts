/**
 * Issue 11, bad input on the CLI: a partition above 100%, a deadline not above minReadySeconds,
 * an unknown suspend mode and an unparseable strategy annotation, in `plan` and `sim` files, are
 * one line naming the file, the line of the bad field and the field; exit code 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/errors.js';
import { fieldLineIn } from '../../src/cli/fieldline.js';
import { loadPlanInput } from '../../src/cli/planfiles.js';
import { readScenario } from '../../src/cli/sim.js';

const NODES = `apiVersion: v1
kind: Node
metadata: { name: n1 }
status: { conditions: [{ type: Ready, status: "True" }] }
`;

/** A DaemonSet manifest; `crd` fields go under spec (and rollingUpdate), `annotation` is JSON. */
function manifest(o: { crd?: string; rollingUpdate?: string; annotation?: string }): string {
  const crd = o.crd !== undefined || o.rollingUpdate !== undefined;
  return `# a DaemonSet with everynode's rollout fields
apiVersion: ${crd ? 'apps.everynode.dev/v1alpha1' : 'apps/v1'}
kind: DaemonSet
metadata:
  name: agent
${o.annotation === undefined ? '' : `  annotations:\n    rollout.everynode.dev/strategy: '${o.annotation}'\n`}spec:
  minReadySeconds: 30
${o.crd ?? ''}  selector:
    matchLabels: { app: agent }
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
${o.rollingUpdate ?? ''}  template:
    metadata: { labels: { app: agent } }
    spec:
      containers: [{ name: a, image: "a:1" }]
`;
}

const CASES = [
  {
    what: 'a partition above 100%',
    text: manifest({ rollingUpdate: '      partition: 150%\n' }),
    line: 14,
    message:
      'The DaemonSet "agent" is invalid: spec.updateStrategy.rollingUpdate.partition: Invalid value: "150%": must not be greater than 100%',
  },
  {
    what: 'a deadline not above minReadySeconds',
    text: manifest({ crd: '  progressDeadlineSeconds: 30\n' }),
    line: 8,
    message:
      'The DaemonSet "agent" is invalid: spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds (30)',
  },
  {
    what: 'an unknown suspend mode',
    text: manifest({ crd: '  suspend: Sleep\n' }),
    line: 8,
    message:
      'The DaemonSet "agent" is invalid: spec.suspend: Unsupported value: "Sleep": supported values: "", "Freeze", "ScaleToZero"',
  },
  {
    what: 'an unparseable strategy annotation',
    text: manifest({ annotation: '{"rollingUpdate": {"partition": 3' }),
    line: 7,
    message:
      /^The DaemonSet "agent" is invalid: metadata\.annotations\[rollout\.everynode\.dev\/strategy\]: Invalid value: .*: not valid JSON: /,
  },
  {
    what: "a strategy annotation's partition above 100%",
    text: manifest({ annotation: '{"rollingUpdate": {"partition": "101%"}}' }),
    line: 7,
    message:
      'The DaemonSet "agent" is invalid: metadata.annotations[rollout.everynode.dev/strategy].rollingUpdate.partition: Invalid value: "101%": must not be greater than 100%',
  },
];

const dir = mkdtempSync(join(tmpdir(), 'rollout-bad-input-'));
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

for (const [i, c] of CASES.entries()) {
  test(`plan -f: ${c.what} is one line naming file, line and field, exit 2`, async () => {
    const ds = join(dir, `ds-${i}.yaml`);
    const nodes = join(dir, 'nodes.yaml');
    writeFileSync(ds, c.text);
    writeFileSync(nodes, NODES);
    await assert.rejects(loadPlanInput({ filename: ds, nodes }, Date.UTC(2026, 11, 1)), (err) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.exitCode, 2);
      assert.equal(err.message.split('\n').length, 1, err.message);
      const prefix = `${ds}:${c.line}: `;
      assert.ok(err.message.startsWith(prefix), `${err.message} should start with ${prefix}`);
      const rest = err.message.slice(prefix.length);
      if (typeof c.message === 'string') assert.equal(rest, c.message);
      else assert.match(rest, c.message);
      return true;
    });
  });

  test(`sim: ${c.what} in an objects file is one line naming both files, the line and the field`, async () => {
    const ds = join(dir, `sim-ds-${i}.yaml`);
    const scenario = join(dir, `scenario-${i}.yaml`);
    writeFileSync(ds, c.text);
    writeFileSync(
      scenario,
      `name: bad\nnodes: [{ prefix: n-, count: 1 }]\nobjects:\n  - file: sim-ds-${i}.yaml\n`,
    );
    await assert.rejects(readScenario(scenario), (err) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.exitCode, 2);
      assert.equal(err.message.split('\n').length, 1, err.message);
      assert.ok(err.message.startsWith(`${scenario}:4:11: objects[0].file: `), err.message);
      assert.match(err.message, new RegExp(`\\(at .*sim-ds-${i}\\.yaml:${c.line}\\)$`));
      return true;
    });
  });
}

test('fieldLineIn: a field of a document, of a List item, inside a JSON string; the object line when absent', () => {
  const text = `apiVersion: v1
kind: List
items:
  - kind: DaemonSet
    metadata:
      name: a
      annotations:
        x/y: '{"a": 1}'
    spec:
      containers:
        - name: c
          image: i
`;
  assert.equal(fieldLineIn(text, 4, 'spec.containers[0].image'), 12);
  assert.equal(fieldLineIn(text, 4, 'metadata.annotations[x/y].a'), 8);
  assert.equal(fieldLineIn(text, 4, 'spec.nothing.here'), 9);
  assert.equal(fieldLineIn(text, 99, 'spec'), 99);
  assert.equal(fieldLineIn('{"kind": "DaemonSet",\n "spec": {"paused": 3}}', 1, 'spec.paused'), 2);
  assert.equal(fieldLineIn(': : not yaml [', 1, 'spec'), 1);
});
