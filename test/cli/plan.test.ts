// `everynode plan` as a user runs it: the real binary on real files, output checked in all three
// formats, and its errors on bad files (exit code 2, a message naming the file, no stack trace).
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return --
   the documents under test are parsed JSON and YAML; the assertions check their shape. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../../src/cli/errors.js';
import { loadPlanInput, runPlan } from '../../src/cli/plan.js';
import type { PlanInput } from '../../src/cli/plan.js';

const root = new URL('../..', import.meta.url).pathname;
const ex = (f: string): string => join(root, 'examples', 'plan', f);
const tmp = mkdtempSync(join(tmpdir(), 'everynode-plan-'));
// Removed once every test in the file has finished, pass or fail.
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const NOW = ['--now', '2026-11-28T21:00:00Z'];
const ALL = [
  '--nodes',
  ex('nodes.yaml'),
  '--pods',
  ex('pods.yaml'),
  '--revisions',
  ex('revisions.yaml'),
  ...NOW,
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bin/everynode.js from the sources (never a stale dist/), optionally feeding stdin. */
const runs = new Map<string, Promise<Run>>();

/** Runs bin/everynode.js once per distinct command line (spawning costs a second or more). */
function everynode(args: readonly string[], stdin?: string): Promise<Run> {
  const key = JSON.stringify([args, stdin]);
  let run = runs.get(key);
  if (run === undefined) {
    run = spawnEverynode(args, stdin);
    runs.set(key, run);
  }
  return run;
}

function spawnEverynode(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'everynode.js'), ...args], {
      cwd: root,
      env: { ...process.env, EVERYNODE_FROM_SOURCE: '1', NO_COLOR: '1', EVERYNODE_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '');
}

const dsDoc = (): Record<string, any> => parse(readFileSync(ex('daemonset.yaml'), 'utf8'));

test('table: each node with its decision and reason, then actions, status and events', async () => {
  const r = await everynode(['plan', '-f', ex('daemonset.yaml'), ...ALL]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.ok(!out.includes('\u001b['), 'no colour when stdout is not a terminal');
  for (const section of ['Nodes:', 'Actions:', 'Status:', 'Events:'])
    assert.ok(out.includes(`\n${section}\n`), section);
  assert.match(out, /^DaemonSet:\s+monitoring\/node-exporter$/m);
  assert.match(out, /^Revision:\s+node-exporter-75c94b6df8 \(revision 1, hash 75c94b6df8\)$/m);
  assert.match(out, /^\s+NAME\s+SHOULD-RUN\s+CONTINUE\s+PODS\s+REASON$/m);
  assert.match(
    out,
    /^\s+cp-1\s+no\s+yes\s+-\s+.*node-role\.kubernetes\.io\/control-plane:NoSchedule/m,
  );
  assert.match(
    out,
    /^\s+gpu-1\s+no\s+yes\s+node-exporter-2xk9w\s+.*nvidia\.com\/gpu=present:NoSchedule/m,
  );
  assert.match(out, /^\s+worker-1\s+yes\s+yes\s+node-exporter-7gm4q$/m);
  assert.match(out, /^\s+create pod\s+.*\(hash 75c94b6df8\)\s+worker-4\s+\S/m);
  assert.match(
    out,
    /^\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+UNAVAILABLE\s+MISSCHEDULED\s+OBSERVED-GEN$/m,
  );
  assert.match(out, /^\s+planned\s+4\s+4\s+3\s+4\s+3\s+1\s+1\s+1$/m);
  assert.match(out, /^Plan: 1 pod to create, 0 pods to delete, status changes\.$/m);
});

test('json: the keys scripts rely on', async () => {
  const r = await everynode(['plan', '-f', ex('daemonset.yaml'), ...ALL, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  for (const key of ['nodes', 'create', 'delete', 'status', 'events', 'history'])
    assert.ok(key in v, key);
  assert.deepEqual(
    v.nodes.map((n: any) => Object.keys(n).slice(0, 4)),
    v.nodes.map(() => ['name', 'shouldRun', 'shouldContinueRunning', 'reason']),
  );
  const byName = new Map<string, any>(v.nodes.map((n: any) => [n.name, n]));
  assert.equal(byName.get('worker-1').reason, '', 'a node running its pod has nothing to report');
  assert.equal(byName.get('cp-1').shouldRun, false);
  assert.equal(byName.get('cp-1').shouldContinueRunning, true);
  assert.notEqual(byName.get('cp-1').reason, '');
  assert.deepEqual(
    v.create.map((c: any) => ({ node: c.node, revisionHash: c.revisionHash })),
    [{ node: 'worker-4', revisionHash: '75c94b6df8' }],
  );
  assert.deepEqual(v.delete, []);
  assert.deepEqual(v.events, []);
  assert.deepEqual(v.history.currentRevision, {
    name: 'node-exporter-75c94b6df8',
    revision: 1,
    hash: '75c94b6df8',
  });
  assert.equal(v.history.createRevision, null);
  assert.deepEqual(v.history.deleteRevisions, []);
  assert.deepEqual(v.status, {
    currentNumberScheduled: 4,
    desiredNumberScheduled: 4,
    numberAvailable: 3,
    numberMisscheduled: 1,
    numberReady: 3,
    numberUnavailable: 1,
    observedGeneration: 1,
    updatedNumberScheduled: 4,
    ...pick(v.status, ['collisionCount', 'conditions']),
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

test('yaml: the same document as json', async () => {
  const [y, j] = await Promise.all([
    everynode(['plan', '-f', ex('daemonset.yaml'), ...ALL, '-o', 'yaml']),
    everynode(['plan', '-f', ex('daemonset.yaml'), ...ALL, '-o', 'json']),
  ]);
  assert.equal(y.code, 0, y.stderr);
  assert.deepEqual(parse(y.stdout), JSON.parse(j.stdout));
});

test('a DaemonSet with revisions written by the built-in controller plans no restarts', async () => {
  // Every eligible node already runs a pod created by kube-controller-manager (hash 75c94b6df8,
  // a hash everynode cannot compute itself): nothing is created, deleted or re-revisioned.
  const nodes = parse(readFileSync(ex('nodes.yaml'), 'utf8'));
  nodes.items = nodes.items.filter((n: any) => n.metadata.name !== 'worker-4');
  const nodesFile = write('nodes-without-worker-4.yaml', stringify(nodes));
  const r = await everynode([
    'plan',
    '-f',
    ex('daemonset.yaml'),
    '--nodes',
    nodesFile,
    '--pods',
    ex('pods.yaml'),
    '--revisions',
    ex('revisions.yaml'),
    ...NOW,
    '-o',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.deepEqual(v.create, []);
  assert.deepEqual(v.delete, []);
  assert.equal(v.history.createRevision, null);
  assert.equal(v.history.currentRevision.hash, '75c94b6df8');
  assert.equal(v.status.updatedNumberScheduled, 3);
  assert.equal(v.status.desiredNumberScheduled, 3);
});

test('a template change: a new revision, and rolling-update deletes with their reasons', async () => {
  const r = await everynode(['plan', '-f', ex('daemonset-v1.8.2.yaml'), ...ALL, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  const created = v.history.createRevision;
  assert.ok(created, 'a revision to create');
  assert.equal(created.revision, 2);
  assert.equal(created.name, `node-exporter-${created.hash}`);
  assert.notEqual(created.hash, '75c94b6df8');
  assert.deepEqual(v.history.currentRevision, created);
  assert.deepEqual(
    v.create.map((c: any) => [c.node, c.revisionHash]),
    [['worker-4', created.hash]],
  );
  // maxUnavailable 2: worker-4's new pod is not available yet, which leaves one pod to replace.
  assert.equal(v.delete.length, 1);
  assert.equal(v.delete[0].source, 'rollingUpdate');
  assert.equal(v.delete[0].namespace, 'monitoring');
  assert.notEqual(v.delete[0].reason, '');
  assert.equal(v.status.observedGeneration, 2);
});

test('--rollout: the whole rollout step by step, as a table and as json', async () => {
  const args = ['plan', '--rollout', '-f', ex('daemonset-v1.8.2.yaml'), ...ALL];
  const [t, j] = await Promise.all([everynode(args), everynode([...args, '-o', 'json'])]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^\s+STEP\s+TIME\s+CREATE ON\s+DELETE\s+UNAVAILABLE$/m);
  assert.match(t.stdout, /^\s+1\s+\+0s\s+worker-4\s+node-exporter-2xk9w \(gpu-1\)\s+1$/m);
  assert.match(
    t.stdout,
    /^Rollout: \d+ steps over \d+s; at most 2 of 4 nodes unavailable at once/m,
  );
  assert.match(t.stdout, /^End:\s+4 of 4 nodes updated, 4 available, 0 misscheduled\.$/m);
  assert.equal(j.code, 0, j.stderr);
  const v = JSON.parse(j.stdout);
  assert.equal(v.converged, true);
  assert.equal(v.error, null);
  assert.equal(v.totalSteps, v.steps.length);
  assert.ok(v.peakUnavailable <= v.budget.maxUnavailable, 'never more than maxUnavailable down');
  assert.deepEqual([...v.updateOrder].sort(), ['worker-1', 'worker-2', 'worker-3', 'worker-4']);
  const deleted = v.steps.flatMap((s: any) => s.delete.map((d: any) => d.node)).sort();
  assert.deepEqual(deleted, ['gpu-1', 'worker-1', 'worker-2', 'worker-3']);
  assert.equal(v.finalStatus.updatedNumberScheduled, 4);
});

test('"-" reads the DaemonSet from standard input, and JSON input works', async () => {
  const json = JSON.stringify(dsDoc());
  const r = await everynode(['plan', '-f', '-', ...ALL, '-o', 'json'], json);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).daemonSet.name, 'node-exporter');
});

test('a hand-written DaemonSet gets what the API server would add, and says so', async () => {
  const file = write(
    'minimal.yaml',
    `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: example.com/agent:1.0
`,
  );
  const r = await everynode([
    'plan',
    '-f',
    file,
    '--nodes',
    ex('nodes.yaml'),
    ...NOW,
    '-o',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.daemonSet.namespace, 'default');
  assert.equal(v.daemonSet.templateGeneration, '1');
  assert.match(v.daemonSet.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.ok(
    v.notes.some((n: string) => n.includes('uid')),
    'the made-up uid is reported',
  );
  assert.deepEqual(v.create.map((c: any) => c.node).sort(), [
    'worker-1',
    'worker-2',
    'worker-3',
    'worker-4',
  ]);
  assert.equal(v.history.createRevision.revision, 1);
  const load = (): Promise<PlanInput> =>
    loadPlanInput({ filename: file, nodes: ex('nodes.yaml') }, 0);
  const [a, b] = await Promise.all([load(), load()]);
  assert.equal(a.snapshot.ds.metadata?.uid, v.daemonSet.uid);
  assert.equal(b.snapshot.ds.metadata?.uid, v.daemonSet.uid, 'the made-up uid is stable');
});

test('error: a file that does not parse names file, line and column', async () => {
  const bad = write(
    'bad.yaml',
    'apiVersion: v1\nkind: List\nitems:\n- kind: Node\n  metadata: {name: a\n',
  );
  const r = await everynode(['plan', '-f', ex('daemonset.yaml'), '--nodes', bad, ...NOW]);
  assertUsageError(r, /^error: .*bad\.yaml:\d+:\d+: \S/m);
});

test('error: an object of the wrong kind names file, line, kind and name', async () => {
  const r = await everynode([
    'plan',
    '-f',
    ex('daemonset.yaml'),
    '--nodes',
    ex('pods.yaml'),
    ...NOW,
  ]);
  // Line 3 is where the List's first item starts.
  assertUsageError(r, /pods\.yaml:3: expected kind Node, got Pod "node-exporter-2xk9w"/);
});

test('error: an invalid DaemonSet is reported field by field, like kubectl', async () => {
  const ds = dsDoc();
  ds.spec.template.metadata.labels = { app: 'other' };
  ds.spec.updateStrategy.rollingUpdate.maxSurge = 1;
  const file = write('invalid.yaml', stringify(ds));
  const r = await everynode(['plan', '-f', file, '--nodes', ex('nodes.yaml'), ...NOW]);
  assertUsageError(r, /invalid\.yaml:26: The DaemonSet "node-exporter" is invalid:/);
  assert.match(
    r.stderr,
    /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/,
  );
  assert.match(
    r.stderr,
    /spec\.updateStrategy\.rollingUpdate\.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero/,
  );
});

test('error: a missing file, a bad --now, two files on stdin, a missing option', async () => {
  const missing = await everynode([
    'plan',
    '-f',
    join(tmp, 'nope.yaml'),
    '--nodes',
    ex('nodes.yaml'),
  ]);
  assertUsageError(missing, /nope\.yaml: no such file/);
  // These two are checked in-process: the same code path, without two more process starts.
  const sink = { write: (): boolean => true };
  await assert.rejects(
    runPlan(
      {
        filename: ex('daemonset.yaml'),
        nodes: ex('nodes.yaml'),
        now: 'yesterday',
        output: 'table',
      },
      { stdout: sink },
    ),
    (err: unknown) =>
      err instanceof UsageError && /--now: "yesterday" is not an RFC 3339 time/.test(err.message),
  );
  await assert.rejects(
    runPlan({ filename: '-', nodes: '-', output: 'table' }, { stdout: sink }),
    (err: unknown) =>
      err instanceof UsageError && /only one of the files can be "-"/.test(err.message),
  );
  const noFile = await everynode(['plan', '--nodes', ex('nodes.yaml')]);
  assertUsageError(noFile, /required option '-f, --filename <file>' not specified/);
});
