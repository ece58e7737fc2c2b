// Issue 17: the fuzzer, briefly (fixed seeds; `npm run fuzz -- --runs N` runs it long). Over
// `plan` and `sim` inputs (fields of the wrong type, huge numbers, unknown operators, duplicates,
// damaged text, alias bombs) and over DaemonSet specs given to the controller on the embedded
// cluster: every case ends in exit 0 or 2 with one message and no stack trace (exit 1 counts as
// a failure here: it is an unexpected error on bad input), within a time and memory bound, and an
// invalid spec never leads to a pod write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  controllerCases,
  planCases,
  runSuite,
  simCases,
  spawnedPlanCases,
  type SuiteReport,
} from './suites.js';

// Hang and runaway guards, not performance assertions: a case normally takes milliseconds.
const BOUNDS = { caseMs: 60_000, rssMb: 4096 };

function check(r: SuiteReport): void {
  assert.deepEqual(r.failures, [], `seed ${r.seed}:\n${r.failures.join('\n')}`);
  const ok = [...r.byKind.values()].reduce((n, m) => n + (m.get('ok') ?? 0), 0);
  const refused = [...r.byKind.values()].reduce((n, m) => n + (m.get('usage') ?? 0), 0);
  assert.equal(ok + refused, r.cases);
}

test('fuzz plan: 300 cases, exit 0 or 2, no stack trace', async () => {
  const r = await runSuite(planCases, 300, 17_001, BOUNDS);
  check(r);
  // The generator reaches both ends: plans made and inputs refused.
  const all = [...r.byKind.values()];
  assert.ok(all.some((m) => (m.get('ok') ?? 0) > 0));
  assert.ok(all.some((m) => (m.get('usage') ?? 0) > 0));
});

test('fuzz sim: 40 scenarios, parsed and run or refused with a ScenarioError', async () => {
  check(await runSuite(simCases, 40, 17_002, BOUNDS));
});

test('fuzz controller: 30 DaemonSet specs; an invalid one never leads to a pod write', async () => {
  check(await runSuite(controllerCases, 30, 17_003, BOUNDS));
});

test('fuzz the plan binary: 3 cases, exit 0 or 2 and no stack trace on stderr', async () => {
  check(await runSuite(spawnedPlanCases, 3, 17_004, BOUNDS));
});
