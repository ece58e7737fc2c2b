/**
 * At 80 columns (a terminal's width) the sim summary and plan's tables fit, line by line, instead
 * of wrapping into fragments; piped output (no width) keeps the full tables (issue 16).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readScenario } from '../../src/cli/sim.js';
import { runPlan, type PlanOptions } from '../../src/cli/plan.js';
import { renderSummary } from '../../src/sim/report/text.js';
import { Simulation } from '../../src/sim/runner.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const columns = (s: string): number => s.replace(ANSI, '').length;

test('sim summary at 80 columns: every line fits; node counts at start and end agree with the timeline', async () => {
  const r = await new Simulation(await readScenario('examples/node-churn.yaml')).run();
  const text = renderSummary(r, { color: true, width: 80 });
  for (const line of text.split('\n')) assert.ok(columns(line) <= 80, `${columns(line)}: ${line}`);
  const plain = text.replace(ANSI, '');
  assert.match(plain, /16 nodes at the start, 15 at the end/);
  assert.match(plain, /0m00s {2}16 nodes in 2 zones created/);
  const wide = renderSummary(r, { color: false });
  assert.match(
    wide,
    /DAEMONSET +DESIRED +CURRENT +UPDATED +READY +AVAILABLE +CONVERGED AT +ROLLOUTS/,
  );
});

const ex = (f: string): string => `examples/plan/${f}`;
async function plan(opts: Partial<PlanOptions>, tty: boolean): Promise<string> {
  let out = '';
  const stdout = {
    isTTY: tty,
    columns: 80,
    write: (s: string) => {
      out += s;
    },
  };
  await runPlan(
    {
      filename: ex('daemonset-v1.8.2.yaml'),
      nodes: ex('nodes.yaml'),
      pods: ex('pods.yaml'),
      revisions: ex('revisions.yaml'),
      now: '2026-11-28T21:00:00Z',
      output: 'table',
      ...opts,
    },
    { stdout },
  );
  return out;
}

test('plan and plan --rollout on an 80-column terminal: every line fits, nothing lost', async () => {
  for (const rollout of [false, true]) {
    const narrow = await plan({ rollout }, true);
    for (const line of narrow.split('\n'))
      assert.ok(columns(line) < 80, `${columns(line)}: ${line}`);
    const plain = narrow.replace(ANSI, '');
    if (rollout) {
      assert.match(plain, /STEP +TIME +UNAVAILABLE +CREATE ON\n/);
      assert.match(
        plain,
        /delete: node-exporter-7gm4q \(worker-1\), node-exporter-c5v8r\n +\(worker-2\)/,
      );
    } else {
      assert.match(plain, / +STORED +PLANNED\n +DESIRED +4 +4\n/);
      assert.match(
        plain,
        /gpu-1 +no +yes +node-exporter-2xk9w\n +reason: taint nvidia.com\/gpu=present:NoSchedule/,
      );
    }
    // A pipe keeps the full width.
    const piped = await plan({ rollout }, false);
    assert.ok(piped.split('\n').some((l) => columns(l) > 100));
  }
});
