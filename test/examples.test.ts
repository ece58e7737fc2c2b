/**
 * Every scenario under examples/ is a test: it runs on the simulated cluster and all of its
 * `expect:` checks must pass. Bad scenario files must fail with exit code 2 and a message naming
 * the file, line and field, exactly as a user would see them from the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readScenario } from '../src/cli/sim.js';
import { UsageError } from '../src/cli/errors.js';
import { Simulation } from '../src/sim/runner.js';
import { renderJson } from '../src/sim/report/json.js';
import { renderSummary } from '../src/sim/report/text.js';

const root = join(import.meta.dirname, '..');
const fixtures = 'test/sim/fixtures';

// scale-10k runs 10,000 nodes through two rollouts: minutes of CPU on a shared CI machine, too
// slow for npm test. It is run by hand (npx everynode sim examples/scale-10k.yaml), see docs/sim.md.
const SLOW = new Set(['scale-10k.yaml']);
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.yaml') && !SLOW.has(f))
  .sort();

/** The keys `-o json` documents (docs/sim.md). */
const JSON_KEYS = ['daemonsets', 'pods', 'revisions', 'events', 'checks', 'metrics', 'timeline'];

async function run(file: string, seed?: number) {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const scenario = await readScenario(file);
    return await new Simulation(scenario, seed === undefined ? {} : { seed }).run();
  } finally {
    process.chdir(cwd);
  }
}

test('the examples include the quick start and the documented scenarios', () => {
  for (const f of [
    'quickstart.yaml',
    'node-churn.yaml',
    'bad-image.yaml',
    'controller-restart.yaml',
  ]) {
    assert.ok(examples.includes(f), f);
  }
});

for (const f of examples) {
  test(`example ${f}: every expect check passes`, async () => {
    const r = await run(`examples/${f}`);
    assert.ok(r.checks.length > 0, 'an example must have expect: checks');
    const failed = r.checks.filter((c) => !c.passed);
    assert.deepEqual(
      failed.map((c) => `${c.name}: ${c.message}`),
      [],
    );
    const json = renderJson(r);
    for (const k of JSON_KEYS) assert.ok(k in json, `JSON has ${k}`);
    const ds = (json.daemonsets as Record<string, unknown>[])[0]!;
    for (const k of ['namespace', 'name', 'status', 'convergedAt'])
      assert.ok(k in ds, `daemonsets[] has ${k}`);
    const pod = (json.pods as Record<string, unknown>[])[0]!;
    for (const k of ['namespace', 'name', 'node', 'phase', 'ready', 'revisionHash'])
      assert.ok(k in pod, `pods[] has ${k}`);
    const rev = (json.revisions as Record<string, unknown>[])[0]!;
    for (const k of ['namespace', 'name', 'revision', 'hash'])
      assert.ok(k in rev, `revisions[] has ${k}`);
    for (const c of json.checks as Record<string, unknown>[])
      for (const k of ['name', 'passed', 'message']) assert.ok(k in c);
    const text = renderSummary(r, { color: false });
    assert.match(text, /all \d+ checks passed/);
  });
}

test('every timeline action (objects from a file, patch, delete, apply, taints, failPod, deletePod)', async () => {
  const r = await run(`${fixtures}/every-action.yaml`);
  assert.deepEqual(
    r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`),
    [],
  );
  const log = r.sim.journal.entries.map((e) => e.message).join('\n');
  assert.match(log, /failed 1 pod of ops\/agent on node node-01/);
  assert.match(log, /rollout to revision 2 started: template changed/);
  assert.match(log, /taint manager: evicting pod ops\/agent-\w+ from node-03 \(maintenance\)/);
  assert.match(log, /ops\/sidecar deleted/);
  assert.ok(![...r.sim.world.pods.values()].some((p) => p.metadata?.name?.startsWith('sidecar-')));
});

test('a run replays exactly from its seed, and another seed gives another run', async () => {
  const strip = (j: Record<string, unknown>) =>
    JSON.stringify({ ...j, metrics: { ...(j.metrics as object), wallMs: 0 } });
  const file = `${fixtures}/failing-check.yaml`;
  const a = strip(renderJson(await run(file, 9)));
  const b = strip(renderJson(await run(file, 9)));
  const c = strip(renderJson(await run(file, 10)));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('bad scenario files: UsageError naming file, line and field', async () => {
  const cases: [string, RegExp][] = [
    [
      'bad-action.yaml',
      /^test\/sim\/fixtures\/bad-action\.yaml:6:13: timeline\[0\]\.action: unknown action "tiant" \(did you mean "taint"\?\)/,
    ],
    ['bad-file-ref.yaml', /^test\/sim\/fixtures\/broken-daemonset\.yaml:1: document has no kind/],
    [
      'invalid-daemonset.yaml',
      /^test\/sim\/fixtures\/invalid-daemonset\.yaml:\d+:\d+: objects\[0\].*maxSurge/,
    ],
    ['no-such-file.yaml', /no-such-file\.yaml: cannot read the scenario file: no such file/],
  ];
  for (const [file, pattern] of cases) {
    await assert.rejects(run(`${fixtures}/${file}`), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${file}: ${String(err)}`);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, pattern, file);
      return true;
    });
  }
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['bin/everynode.js', 'sim', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, EVERYNODE_FROM_SOURCE: '1' },
  });
}

test('CLI: a bad scenario file exits 2 and names file, line and field on stderr', () => {
  const r = cli(`${fixtures}/bad-action.yaml`);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: test\/sim\/fixtures\/bad-action\.yaml:6:13: timeline\[0\]\.action: unknown action "tiant"/,
  );
  assert.equal(r.stdout, '');
});

test('CLI: a node that does not exist when the action runs exits 2 with the action line', () => {
  const r = cli(`${fixtures}/missing-node.yaml`, '-o', 'json');
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /missing-node\.yaml:5:5: timeline\[0\]\.nodes: no node named "node-07" exists at this time/,
  );
});

test('CLI: a failed check exits 1 and says which check, when and why', () => {
  const r = cli(`${fixtures}/failing-check.yaml`, '--no-progress');
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stdout,
    /✗ agent at the end: desired 4\n\s+at \d+s: desired is 3, expected 4\n\s+at \d+s · test\/sim\/fixtures\/failing-check\.yaml:18/,
  );
  assert.match(r.stdout, /1 of 1 checks failed/);
});

test('CLI: -o json prints one object with the documented keys', () => {
  const r = cli(`${fixtures}/failing-check.yaml`, '-o', 'json', '--seed', '4');
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const k of JSON_KEYS) assert.ok(k in j, k);
  assert.equal(j.seed, 4);
  assert.deepEqual(
    (j.checks as { passed: boolean }[]).map((c) => c.passed),
    [false],
  );
});

test('CLI: piped output has no colour codes even when CI is set; FORCE_COLOR=1 turns them on', () => {
  // picocolors' own default colours whenever CI is set; the first CI run failed on exactly that.
  const env: NodeJS.ProcessEnv = { ...process.env, EVERYNODE_FROM_SOURCE: '1', CI: 'true' };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const args = ['bin/everynode.js', 'sim', `${fixtures}/failing-check.yaml`];
  const plain = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env });
  assert.equal(plain.status, 1, plain.stderr);
  assert.ok(!plain.stdout.includes('\u001b['), 'escape codes in piped output');
  const forced = spawnSync(process.execPath, [...args, '--no-progress'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...env, FORCE_COLOR: '1' },
  });
  assert.ok(forced.stdout.includes('\u001b['), 'FORCE_COLOR=1 should colour');
});
