/**
 * Issue 11's examples (examples/rollout/*.yaml), one per feature, run on the embedded cluster:
 * every `expect:` check passes, and `everynode rollout status`'s answer (controlledRolloutStatus)
 * is read off the DaemonSet at the moments the README shows: paused, at the partition (exit 0),
 * past the deadline and after an abort (exit 1 with kubectl's words).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSet } from '../../src/api/types.js';
import { readScenario } from '../../src/cli/sim.js';
import { controlledRolloutStatus } from '../../src/cli/rollout-conditions.js';
import { Simulation } from '../../src/sim/runner.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'examples', 'rollout');
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** `rollout status` as the CLI would answer: its line, or `error: ...` for exit 1. */
function statusOf(ds: DaemonSet): string {
  try {
    const s = controlledRolloutStatus(ds);
    return `${s.done ? 'done' : 'waiting'}: ${s.message}`;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** Runs an example; `at` maps virtual seconds to where the status answer of default/agent goes. */
async function run(file: string, at: readonly number[] = []) {
  const seen = new Map<number, string>();
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const scenario = await readScenario(`examples/rollout/${file}`);
    const r = await new Simulation(scenario, {
      onInstant: (sim) => {
        for (const s of at) {
          if (!seen.has(s) && sim.offset >= s * 1000) {
            const ds = sim.world.daemonSets.get('default/agent');
            if (ds !== undefined) seen.set(s, statusOf(ds));
          }
        }
      },
    }).run();
    return { r, seen };
  } finally {
    process.chdir(cwd);
  }
}

test('one example per feature', () => {
  assert.deepEqual(examples, [
    'abort.yaml',
    'canary-gate-abort.yaml',
    'canary-metric-abort.yaml',
    'canary-metric-pass.yaml',
    'canary-pause-bake-native.yaml',
    'canary-pause-bake.yaml',
    'canary-promote.yaml',
    'deadline.yaml',
    'freeze.yaml',
    'invalid-strategy.yaml',
    'metric-inconclusive-pause.yaml',
    'native-canary.yaml',
    'native-strategy.yaml',
    'partition.yaml',
    'pause.yaml',
    'removal-budget.yaml',
    'scale-to-zero.yaml',
    'waves-by-zone.yaml',
    'zone-outage-rollout-only.yaml',
  ]);
});

for (const f of examples) {
  test(`examples/rollout/${f}: every expect check passes`, async () => {
    const { r } = await run(f);
    assert.ok(r.checks.length >= 4, 'an example checks what it shows');
    assert.deepEqual(
      r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message} (${c.where})`),
      [],
    );
  });
}

test('rollout status on the pause example: paused while held, done after resume', async () => {
  const { seen, r } = await run('pause.yaml', [180]);
  assert.equal(
    seen.get(180),
    'waiting: Waiting for daemon set "agent" rollout to finish: 0 out of 5 new pods have been updated... (paused)',
  );
  assert.equal(
    statusOf(r.sim.world.daemonSets.get('default/agent')!),
    'done: daemon set "agent" successfully rolled out',
  );
});

test('rollout status at the partition exits 0 and says so', async () => {
  const { seen } = await run('partition.yaml', [240]);
  assert.equal(
    seen.get(240),
    'done: daemon set "agent" rolled out to its partition: 7 of 10 pods updated, 3 nodes keep the stable revision',
  );
});

test("rollout status past the deadline and after an abort: exit 1 with kubectl's words", async () => {
  const deadline = await run('deadline.yaml', [60, 180]);
  assert.match(
    deadline.seen.get(60)!,
    /^waiting: Waiting for daemon set "agent" rollout to finish/,
  );
  assert.equal(deadline.seen.get(180), 'error: daemon set "agent" exceeded its progress deadline');
  const abort = await run('abort.yaml', [240]);
  assert.match(abort.seen.get(240)!, /^error: daemon set "agent" rollout was aborted: /);
});

test('rollout status while frozen says suspended', async () => {
  const { seen } = await run('freeze.yaml', [180]);
  assert.match(seen.get(180)!, /^waiting: .* \(suspended: Freeze\)$/);
});
