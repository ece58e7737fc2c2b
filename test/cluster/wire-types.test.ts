/**
 * Issue 17, on a real kube-apiserver: the wrong-typed pod-template fields of
 * test/validation/wiretype-cases.ts are refused by kube-apiserver for apps/v1 (its decoder:
 * "cannot unmarshal ..."), as everynode's DaemonSet strategy refuses them; the right-typed ones
 * are accepted by both. Server-side dry runs only (nothing stored): a few seconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admitDaemonSetCreate } from '../../src/api/dsstrategy.js';
import type { DaemonSet } from '../../src/api/types.js';
import { ACCEPTED, REFUSED, baseDaemonSet } from '../validation/wiretype-cases.js';
import { kubectl, skipReason } from './kubectl.js';

/** kubectl apply --dry-run=server: undefined when accepted, the error text when refused. */
function dryRun(doc: unknown): string | undefined {
  try {
    kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(doc));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function edited(edit: (d: Record<string, unknown>) => void): DaemonSet {
  const d = baseDaemonSet();
  edit(d);
  return d;
}

describe('wrong JSON types in an apps/v1 pod template', { skip: skipReason }, () => {
  test('the base and the right-typed values: accepted by kube-apiserver and by everynode', () => {
    assert.equal(dryRun(baseDaemonSet()), undefined);
    for (const [name, edit] of ACCEPTED) {
      assert.equal(dryRun(edited(edit)), undefined, `kube-apiserver refused ${name}`);
      assert.deepEqual(admitDaemonSetCreate(edited(edit)).errors.map(String), [], name);
    }
  });
  for (const [name, edit, path] of REFUSED) {
    test(`refused by both: ${name}`, (t) => {
      const kube = dryRun(edited(edit));
      assert.notEqual(kube, undefined, `kube-apiserver accepted ${name}`);
      t.diagnostic(`kube-apiserver: ${kube!.replace(/^kubectl [^:]*: /, '').trim()}`);
      assert.match(kube!, /cannot unmarshal|cannot be handled as a DaemonSet/);
      const ours = admitDaemonSetCreate(edited(edit)).errors.map(String);
      assert.ok(ours[0]?.startsWith(`${path}: `), `everynode: ${JSON.stringify(ours)}`);
    });
  }
});
