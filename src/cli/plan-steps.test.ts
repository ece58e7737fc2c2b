import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorsFor } from './output.js';
import { rolloutFields, type RolloutInfoView } from './plan-rolloutinfo.js';

const base: RolloutInfoView = {
  phase: 'Baking',
  updateRevision: 'agent-b',
  stableRevision: 'agent-a',
  targetRevision: 'agent-b',
  hold: 'waves',
  pausedBy: null,
  suspend: null,
  aborted: false,
  partition: null,
  progressDeadlineSeconds: null,
  progressDeadlineAbort: false,
  conditions: [],
};

test('plan shows the canary nodes, the open step and a failed gate (issue 12)', () => {
  const c = colorsFor({ isTTY: false });
  const fields = new Map(
    rolloutFields(
      {
        ...base,
        steps: {
          canaryNodes: ['n1', 'n4'],
          step: 1,
          count: 4,
          kind: 'wave',
          name: 'zone-b',
          state: 'Baking',
          bakeUntil: Date.parse('2026-12-08T10:05:00Z'),
          gateFailure: 'CrashLoopBackOff on n4',
        },
      },
      c,
    ),
  );
  assert.equal(
    fields.get('Steps'),
    'canary n1, n4 · step 2 of 4 (wave zone-b): Baking until 2026-12-08T10:05:00.000Z · health gate failed: CrashLoopBackOff on n4',
  );
  assert.match(fields.get('Controls') ?? '', /stable revision outside the waves opened so far/);
  assert.equal(new Map(rolloutFields(base, c)).has('Steps'), false);
});
