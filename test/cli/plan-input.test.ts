// Issue 17, the input side of `everynode plan`: what kube-apiserver would refuse is refused (exit
// 2, the file and object named), never planned. Before these commits: operator Near planned
// "0 pods to create, 4 pods to delete" (exit 0); a toleration operator Bogus let a pod onto the
// tainted control plane; a pod or revision listed twice proposed deleting the live one; `taints:
// null` crashed with "Cannot read properties of null"; --now 2026-02-30 became March 2.
/* eslint-disable @typescript-eslint/no-explicit-any --
   the documents under test are parsed YAML; the tests edit them. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../../src/cli/errors.js';
import { loadPlanInput, parseNow, runPlan } from '../../src/cli/plan.js';

const root = new URL('../..', import.meta.url).pathname;
const ex = (f: string): string => join(root, 'examples', 'plan', f);
const tmp = mkdtempSync(join(tmpdir(), 'everynode-plan-input-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const NOW = Date.parse('2026-11-28T21:00:00Z');
const doc = (f: string): Record<string, any> =>
  parse(readFileSync(ex(f), 'utf8')) as Record<string, any>;
const write = (name: string, value: unknown): string => {
  const p = join(tmp, name);
  writeFileSync(p, typeof value === 'string' ? value : stringify(value));
  return p;
};
const usage = (re: RegExp) => (err: unknown) => err instanceof UsageError && re.test(err.message);

function withAffinity(expr: unknown): string {
  const ds = doc('daemonset.yaml');
  ds.spec.template.spec.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [expr] },
    },
  };
  return write(`aff-${Math.random().toString(36).slice(2)}.yaml`, ds);
}

test('CLI: operator Near is refused with exit 2 and the field, never a plan of deletes', () => {
  const file = withAffinity({
    matchExpressions: [{ key: 'kubernetes.io/os', operator: 'Near', values: ['linux'] }],
  });
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin', 'everynode.js'),
      'plan',
      '-f',
      file,
      '--nodes',
      ex('nodes.yaml'),
      '--pods',
      ex('pods.yaml'),
      '--revisions',
      ex('revisions.yaml'),
    ],
    {
      cwd: root,
      env: { ...process.env, EVERYNODE_FROM_SOURCE: '1', NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^error: .*aff-\w+\.yaml:\d+: The DaemonSet "node-exporter" is invalid: spec\.template\.spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.operator: Invalid value: "Near": not a valid selector operator\n$/,
  );
});

test('in-process: lower-case "in", nodeSelectorTerms "oops", toleration operator Bogus', async () => {
  const nodes = ex('nodes.yaml');
  await assert.rejects(
    loadPlanInput(
      {
        filename: withAffinity({ matchExpressions: [{ key: 'a', operator: 'in', values: ['b'] }] }),
        nodes,
      },
      NOW,
    ),
    usage(/operator: Invalid value: "in": not a valid selector operator/),
  );
  const oops = doc('daemonset.yaml');
  oops.spec.template.spec.affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'oops' } },
  };
  await assert.rejects(
    loadPlanInput({ filename: write('oops.yaml', oops), nodes }, NOW),
    usage(/nodeSelectorTerms: Invalid value: "oops": must be a list/),
  );
  const bogus = doc('daemonset.yaml');
  bogus.spec.template.spec.tolerations = [
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Bogus' },
  ];
  await assert.rejects(
    loadPlanInput({ filename: write('bogus.yaml', bogus), nodes }, NOW),
    usage(
      /tolerations\[0\]\.operator: Unsupported value: "Bogus": supported values: "Equal", "Exists"/,
    ),
  );
  const big = doc('daemonset.yaml');
  big.spec.updateStrategy.rollingUpdate.maxUnavailable = 1e30;
  big.spec.minReadySeconds = 2.5;
  await assert.rejects(
    loadPlanInput({ filename: write('big.yaml', big), nodes }, NOW),
    usage(
      /\n\* spec\.updateStrategy\.rollingUpdate\.maxUnavailable: Invalid value: 1e\+30: must be a 32-bit integer.*\n\* spec\.minReadySeconds: Invalid value: 2\.5: must be an integer$/,
    ),
  );
});

test('item 4: the same pod or revision listed twice is refused like a duplicate node', async () => {
  const pods = doc('pods.yaml');
  pods.items.push(structuredClone(pods.items[0]));
  const podsFile = write('pods-dup.yaml', pods);
  await assert.rejects(
    loadPlanInput({ filename: ex('daemonset.yaml'), nodes: ex('nodes.yaml'), pods: podsFile }, NOW),
    usage(
      /pods-dup\.yaml:\d+: Pod "node-exporter-2xk9w" in namespace monitoring appears twice \(first at line 3\)$/,
    ),
  );
  const revs = doc('revisions.yaml');
  revs.items.push(structuredClone(revs.items[0]));
  const revsFile = write('revs-dup.yaml', revs);
  await assert.rejects(
    loadPlanInput(
      { filename: ex('daemonset.yaml'), nodes: ex('nodes.yaml'), revisions: revsFile },
      NOW,
    ),
    usage(
      /revs-dup\.yaml:\d+: ControllerRevision "node-exporter-75c94b6df8" in namespace monitoring appears twice/,
    ),
  );
  const nodes = doc('nodes.yaml');
  nodes.items.push(structuredClone(nodes.items[1]));
  await assert.rejects(
    loadPlanInput({ filename: ex('daemonset.yaml'), nodes: write('nodes-dup.yaml', nodes) }, NOW),
    usage(/nodes-dup\.yaml:\d+: Node "gpu-1" appears twice/),
  );
});

test('item 6: taints: null is a node without taints; a malformed node is refused, named', async () => {
  const nodes = doc('nodes.yaml');
  nodes.items[0].spec.taints = null;
  const input = await loadPlanInput(
    { filename: ex('daemonset.yaml'), nodes: write('null.yaml', nodes) },
    NOW,
  );
  assert.equal(input.snapshot.nodes.length, 6);
  const sink = { write: (): boolean => true };
  await runPlan(
    {
      filename: ex('daemonset.yaml'),
      nodes: join(tmp, 'null.yaml'),
      output: 'json',
      now: '2026-11-28T21:00:00Z',
    },
    { stdout: sink },
  );
  nodes.items[0].spec.taints = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'Bogus' }];
  await assert.rejects(
    loadPlanInput({ filename: ex('daemonset.yaml'), nodes: write('bogus-taint.yaml', nodes) }, NOW),
    usage(
      /bogus-taint\.yaml:3: The Node "cp-1" is invalid: spec\.taints\[0\]\.effect: Unsupported value: "Bogus"/,
    ),
  );
  nodes.items[0].spec.taints = 'x';
  await assert.rejects(
    loadPlanInput({ filename: ex('daemonset.yaml'), nodes: write('str-taint.yaml', nodes) }, NOW),
    usage(
      /str-taint\.yaml:3: The Node "cp-1" is invalid: spec\.taints: Invalid value: "x": must be a list$/,
    ),
  );
});

test('item 8: --now must be a real time: 2026-02-30 is refused, not read as March 2', () => {
  const clock = (): number => 0;
  for (const bad of [
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-28T24:00:00Z',
    '2026-11-28T21:00:60Z',
    '2026-11-28 21:00:00Z',
    '2026-11-28T21:00:00+25:00',
  ]) {
    assert.throws(() => parseNow(bad, clock), usage(/--now: ".*" is not an RFC 3339 time/), bad);
  }
  assert.equal(parseNow('2028-02-29T12:00:00Z', clock), Date.parse('2028-02-29T12:00:00Z'));
  assert.equal(
    parseNow('2026-11-28T22:00:00.5+01:00', clock),
    Date.parse('2026-11-28T21:00:00.5Z'),
  );
  assert.equal(
    parseNow(undefined, () => 42),
    42,
  );
});
