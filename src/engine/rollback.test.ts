import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHANGE_CAUSE_ANNOTATION,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
} from '../api/types.js';
import { newDaemonSet } from '../../test/harness/fixtures.js';
import { newRevision } from './history.js';
import {
  applyRollbackPatch,
  formatHistoryTable,
  historyTable,
  rollbackTarget,
} from './rollback.js';
import { revisionDataMatches } from '../api/hash.js';

function version(n: number): Mutable<DaemonSet> {
  const ds = newDaemonSet();
  ds.spec!.template.spec!.containers[0]!.image = `foo/bar:v${n}`;
  return ds;
}

function rev(n: number, cause?: string): ControllerRevision {
  const r = structuredClone(newRevision(version(n), n)) as Mutable<ControllerRevision>;
  if (cause !== undefined)
    r.metadata!.annotations = { ...r.metadata!.annotations, [CHANGE_CAUSE_ANNOTATION]: cause };
  return r;
}

const revisions = [rev(3), rev(1), rev(2, 'v2')];
const current = version(3);

test('rollbackTarget: undo without --to-revision targets the previous revision', () => {
  const t = rollbackTarget(revisions, 0, current);
  assert.equal(t.kind, 'rollback');
  assert.equal(t.kind === 'rollback' && t.revision.revision, 2);
  assert.deepEqual(t.kind === 'rollback' && t.patch, revisions[2]!.data);
});

test('rollbackTarget: kubectl messages for skipped, missing and too-short histories', () => {
  assert.deepEqual(rollbackTarget(revisions, 3, current), {
    kind: 'skipped',
    message: 'skipped rollback (current template already matches revision 3)',
  });
  assert.deepEqual(rollbackTarget(revisions, 9, current), {
    kind: 'error',
    message: 'unable to find specified revision 9 in history',
  });
  assert.deepEqual(rollbackTarget(revisions, -1, current), {
    kind: 'error',
    message: 'unable to find specified revision -1 in history',
  });
  assert.deepEqual(rollbackTarget([rev(1)], 0, version(1)), {
    kind: 'error',
    message: 'no last revision to roll back to',
  });
  assert.deepEqual(rollbackTarget([], 0, version(1)), {
    kind: 'error',
    message: 'no last revision to roll back to',
  });
  // A single revision with an explicit number still works.
  assert.equal(rollbackTarget([rev(1)], 1, version(2)).kind, 'rollback');
});

test('historyTable: by revision, CHANGE-CAUSE or <none>, printed like kubectl', () => {
  const rows = historyTable(revisions);
  assert.deepEqual(rows, [
    { revision: 1, changeCause: '<none>' },
    { revision: 2, changeCause: 'v2' },
    { revision: 3, changeCause: '<none>' },
  ]);
  assert.equal(
    formatHistoryTable(rows),
    'REVISION  CHANGE-CAUSE\n1         <none>\n2         v2\n3         <none>\n',
  );
});

test('applyRollbackPatch: the revision data replaces the template wholesale', () => {
  const target = rev(1);
  const next = applyRollbackPatch(current, target.data);
  assert.ok(revisionDataMatches(next, target.data));
  assert.equal(next.spec?.template.spec?.containers[0]?.image, 'foo/bar:v1');
  assert.equal(
    current.spec?.template.spec?.containers[0]?.image,
    'foo/bar:v3',
    'input not mutated',
  );
  assert.throws(() => applyRollbackPatch(current, { spec: {} }), /no spec\.template/);
});
