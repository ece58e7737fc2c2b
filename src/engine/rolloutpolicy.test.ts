import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  ROLLOUT_STATE_ANNOTATION,
  STRATEGY_ANNOTATION,
} from '../api/rolloutspec.js';
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import { decideRollout, inferStable } from './rolloutpolicy.js';
import { progressResolutionMs, rolloutStatus } from './rolloutprogress.js';
import { encodeNativeRecord, EMPTY_RECORD, readRecord } from './rolloutrecord.js';
import type { RevisionRef } from './types.js';

const T0 = Date.parse('2026-12-08T10:00:00Z');
const CRD = 'apps.everynode.dev/v1alpha1';

function rev(
  name: string,
  revision: number,
  annotations?: Record<string, string>,
): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: 'default',
      labels: { 'controller-revision-hash': name.slice(4) },
      ...(annotations ? { annotations } : {}),
    },
    data: {
      spec: {
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'a', image: name }] },
          $patch: 'replace',
        },
      },
    },
    revision,
  };
}

const V1 = rev('foo-aaa', 1);
const V2 = rev('foo-bbb', 2);
const UPDATE: RevisionRef = { name: 'foo-bbb', revision: 2, hash: 'bbb' };

function ds(
  over: {
    apiVersion?: string;
    annotations?: Record<string, string>;
    spec?: object;
    status?: object;
  } = {},
): DaemonSet {
  return {
    apiVersion: over.apiVersion ?? CRD,
    kind: 'DaemonSet',
    metadata: {
      name: 'foo',
      namespace: 'default',
      uid: 'u',
      generation: 2,
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' } },
        spec: { containers: [{ name: 'a', image: 'foo-bbb' }] },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      ...over.spec,
    },
    status: {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      numberAvailable: 3,
      updatedNumberScheduled: 1,
      ...over.status,
    },
  };
}

const counters = (updated: number, available = 3) => ({
  desiredNumberScheduled: 3,
  currentNumberScheduled: 3,
  numberMisscheduled: 0,
  numberReady: available,
  numberAvailable: available,
  numberUnavailable: 3 - available,
  updatedNumberScheduled: updated,
});

test('controls act once per distinct value, only for the update revision', () => {
  const stale = ds({
    annotations: { [ABORT_ANNOTATION]: 'zzz/1' },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' },
  });
  assert.equal(
    decideRollout({ ds: stale, revisions: [V1, V2], update: UPDATE, now: T0 }).aborted,
    false,
  );
  const fresh = ds({
    annotations: { [ABORT_ANNOTATION]: 'bbb/1' },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' },
  });
  const d = decideRollout({ ds: fresh, revisions: [V1, V2], update: UPDATE, now: T0 });
  assert.deepEqual(
    [d.aborted, d.acted.abort, d.target.name, d.failure?.reason],
    [true, 'bbb/1', 'foo-aaa', 'AbortRequested'],
  );
  // Recorded as observed: the same value does nothing again (a retry in between stays in force).
  const seen = ds({
    annotations: { [ABORT_ANNOTATION]: 'bbb/1' },
    status: {
      stableRevision: 'foo-aaa',
      updateRevision: 'foo-bbb',
      rollout: { phase: 'Rolling', observedControls: { abort: 'bbb/1' } },
    },
  });
  assert.equal(
    decideRollout({ ds: seen, revisions: [V1, V2], update: UPDATE, now: T0 }).aborted,
    false,
  );
  // Retry clears an abort.
  const retry = ds({
    annotations: { [RETRY_ANNOTATION]: 'foo-bbb/2' },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb', rollout: { phase: 'Aborted' } },
  });
  const r = decideRollout({ ds: retry, revisions: [V1, V2], update: UPDATE, now: T0 });
  assert.deepEqual([r.aborted, r.acted.retry, r.target.name], [false, 'foo-bbb/2', 'foo-bbb']);
});

test('a template change clears an abort; pause pins to the stable revision; partition holds', () => {
  const aborted = ds({
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-old', rollout: { phase: 'Aborted' } },
  });
  const d = decideRollout({ ds: aborted, revisions: [V1, V2], update: UPDATE, now: T0 });
  assert.deepEqual([d.newRollout, d.aborted], [true, false]);
  const paused = ds({
    spec: { paused: true },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' },
  });
  const p = decideRollout({ ds: paused, revisions: [V1, V2], update: UPDATE, now: T0 });
  assert.deepEqual(
    [p.hold, p.pin?.ref.name, p.policy.released(3), p.policy.holdAll],
    ['paused', 'foo-aaa', 0, true],
  );
  assert.equal(p.pin?.template.spec?.containers[0]?.image, 'foo-aaa');
  const part = ds({
    spec: {
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, partition: '50%' },
      },
    },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' },
  });
  const q = decideRollout({ ds: part, revisions: [V1, V2], update: UPDATE, now: T0 });
  assert.deepEqual([q.hold, q.policy.released(5), q.policy.released(4)], ['partition', 3, 2]);
  // apps/v1 without rollout annotations: plain, nothing read.
  const plain = decideRollout({
    ds: ds({ apiVersion: 'apps/v1' }),
    revisions: [V1, V2],
    update: UPDATE,
    now: T0,
  });
  assert.deepEqual(
    [plain.features, plain.hold, plain.pin, plain.policy.name],
    [false, undefined, undefined, 'default'],
  );
});

test('inferStable: the revision most live pods run besides the update one; ties go to the older', () => {
  const pod = (hash: string, deleting = false): Pod => ({
    metadata: {
      name: hash,
      labels: { 'controller-revision-hash': hash },
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
  });
  const V0 = rev('foo-zzz', 0);
  assert.equal(
    inferStable([V0, V1, V2], [pod('aaa'), pod('zzz'), pod('bbb'), pod('bbb')], UPDATE),
    'foo-zzz',
  );
  assert.equal(
    inferStable([V0, V1, V2], [pod('aaa'), pod('aaa'), pod('zzz'), pod('zzz', true)], UPDATE),
    'foo-aaa',
  );
  assert.equal(inferStable([V1, V2], [pod('bbb')], UPDATE), undefined);
});

test('native record: read from the update revision at its number; a rollback to an old revision starts fresh', () => {
  const value = encodeNativeRecord(
    {
      ...EMPTY_RECORD,
      stableRevision: 'foo-aaa',
      lastProgress: T0,
      aborted: true,
      observedControls: { abort: 'bbb/1' },
    },
    2,
  );
  const withRec = rev('foo-bbb', 2, { [ROLLOUT_STATE_ANNOTATION]: value });
  const native = ds({ apiVersion: 'apps/v1', annotations: { [STRATEGY_ANNOTATION]: '{}' } });
  const r = readRecord(native, [V1, withRec], UPDATE);
  assert.deepEqual(
    [r.stableRevision, r.aborted, r.lastProgress, r.updateRevision],
    ['foo-aaa', true, T0, 'foo-bbb'],
  );
  // The same revision raised to number 3 (rolled back to): only the stable revision and controls carry over.
  const raised = readRecord(native, [V1, withRec], { ...UPDATE, revision: 3 });
  assert.deepEqual(
    [raised.stableRevision, raised.aborted, raised.lastProgress, raised.observedControls.abort],
    ['foo-aaa', false, undefined, 'bbb/1'],
  );
  // A record written at another number than the revision's is ignored.
  const moved = rev('foo-bbb', 5, { [ROLLOUT_STATE_ANNOTATION]: value });
  assert.equal(
    readRecord(native, [V1, moved], { ...UPDATE, revision: 5 }).stableRevision,
    undefined,
  );
});

test('deadline: CRD exact; apps/v1 judged at the recorded progress plus the resolution, never early', () => {
  const base = { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' };
  const progressing = (last: number) => ({
    type: 'Progressing',
    status: 'True',
    reason: 'RevisionUpdated',
    message: '',
    lastTransitionTime: new Date(T0).toISOString(),
    lastUpdateTime: new Date(last).toISOString(),
  });
  const crd = ds({
    spec: { progressDeadlineSeconds: 60 },
    status: { ...base, conditions: [progressing(T0)] },
  });
  const at = (d: DaemonSet, now: number, storedRecord?: string) =>
    rolloutStatus({
      ds: d,
      decision: decideRollout({ ds: d, revisions: [V1, V2], update: UPDATE, now }),
      counters: counters(1),
      status: d.status!,
      now,
      ...(storedRecord ? { storedRecord } : {}),
    });
  assert.equal(at(crd, T0 + 60_000).phase, 'Rolling');
  assert.equal(at(crd, T0 + 60_000).requeueAt, T0 + 60_001);
  const over = at(crd, T0 + 60_001);
  assert.equal(over.phase, 'Failed');
  assert.deepEqual(
    over.events.map((e) => e.reason),
    ['ProgressDeadlineExceeded'],
  );
  // apps/v1: the record keeps the last progress at a resolution of a tenth of the deadline.
  assert.equal(progressResolutionMs(60), 6000);
  assert.equal(progressResolutionMs(3), 1000);
  assert.equal(progressResolutionMs(3600), 30_000);
  const stored = encodeNativeRecord(
    { ...EMPTY_RECORD, stableRevision: 'foo-aaa', lastProgress: T0 },
    2,
  );
  const nat = ds({
    apiVersion: 'apps/v1',
    annotations: { [STRATEGY_ANNOTATION]: '{"progressDeadlineSeconds":60}' },
    status: { conditions: [progressing(T0)] },
  });
  const revs = [V1, rev('foo-bbb', 2, { [ROLLOUT_STATE_ANNOTATION]: stored })];
  const n = (now: number) =>
    rolloutStatus({
      ds: nat,
      decision: decideRollout({ ds: nat, revisions: revs, update: UPDATE, now }),
      counters: counters(1),
      status: nat.status!,
      now,
      storedRecord: stored,
    });
  assert.equal(n(T0 + 66_000).phase, 'Rolling');
  assert.equal(n(T0 + 66_001).phase, 'Failed');
  // apps/v1 status gets conditions only; no CRD field.
  assert.equal(n(T0 + 1000).status.stableRevision, undefined);
});

test('conditions move lastTransitionTime only with their status; the paused annotation pauses', () => {
  const d = ds({
    annotations: { [PAUSED_ANNOTATION]: 'true' },
    status: { stableRevision: 'foo-aaa', updateRevision: 'foo-bbb' },
  });
  const dec = decideRollout({ ds: d, revisions: [V1, V2], update: UPDATE, now: T0 });
  const first = rolloutStatus({
    ds: d,
    decision: dec,
    counters: counters(1),
    status: d.status!,
    now: T0,
  });
  assert.equal(first.phase, 'Paused');
  const again = { ...d, status: first.status } as DaemonSet;
  const second = rolloutStatus({
    ds: again,
    decision: decideRollout({ ds: again, revisions: [V1, V2], update: UPDATE, now: T0 + 5000 }),
    counters: counters(1, 2),
    status: again.status!,
    now: T0 + 5000,
  });
  const t = (s: typeof first.status, type: string) =>
    s.conditions?.find((c) => c.type === type)?.lastTransitionTime;
  assert.equal(t(second.status, 'Progressing'), t(first.status, 'Progressing'));
  assert.notEqual(t(second.status, 'Available'), undefined);
  // Nothing changed: the very same conditions (no status write for them).
  const third = rolloutStatus({
    ds: { ...again, status: second.status },
    decision: decideRollout({ ds: again, revisions: [V1, V2], update: UPDATE, now: T0 + 9000 }),
    counters: counters(1, 2),
    status: second.status,
    now: T0 + 9000,
  });
  assert.deepEqual(third.status.conditions, second.status.conditions);
});
