import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admitDaemonSetCreate,
  admitDaemonSetUpdate,
  admitStoredDaemonSet,
  withGenerations,
} from './dsstrategy.js';
import { TEMPLATE_GENERATION_ANNOTATION as TG, type DaemonSet } from './types.js';

function ds(apiVersion: string, annotations?: Record<string, string>): DaemonSet {
  return {
    apiVersion,
    kind: 'DaemonSet',
    metadata: { name: 'a', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' } },
        spec: { containers: [{ name: 'a', image: 'a:1' }] },
      },
    },
  };
}
const CRD = 'apps.everynode.dev/v1alpha1';

test('apps/v1: the template generation is read, checked, set and raised as kube-apiserver does', () => {
  assert.equal(admitDaemonSetCreate(ds('apps/v1')).ds.metadata?.annotations?.[TG], '1');
  assert.equal(
    admitDaemonSetCreate(ds('apps/v1', { [TG]: '7' })).ds.metadata?.annotations?.[TG],
    '7',
  );
  assert.match(
    String(admitDaemonSetCreate(ds('apps/v1', { [TG]: 'x' })).errors[0]),
    /must be an integer/,
  );
  assert.equal(admitStoredDaemonSet(ds('apps/v1')).ds.metadata?.annotations?.[TG], '1');
  const prev = admitDaemonSetCreate(ds('apps/v1')).ds;
  const changed = structuredClone(prev) as DaemonSet & {
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  changed.spec.template.spec.containers[0]!.image = 'a:2';
  const next = admitDaemonSetUpdate(changed, prev).ds;
  assert.equal(next.metadata?.annotations?.[TG], '2');
  assert.equal(next.metadata?.generation, 2);
});

test('the CRD: no template generation is set or checked (nothing would raise it: hash only; it broke CRD rollouts)', () => {
  assert.equal(admitDaemonSetCreate(ds(CRD)).ds.metadata?.annotations?.[TG], undefined);
  assert.equal(admitStoredDaemonSet(ds(CRD)).ds.metadata?.annotations?.[TG], undefined);
  assert.deepEqual(admitStoredDaemonSet(ds(CRD, { [TG]: 'x' })).errors, []);
  assert.deepEqual(admitDaemonSetCreate(ds(CRD, { [TG]: 'x' })).errors, []);
  const prev = admitDaemonSetCreate(ds(CRD, { [TG]: '1' })).ds;
  const changed = structuredClone(prev) as DaemonSet & {
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  changed.spec.template.spec.containers[0]!.image = 'a:2';
  const next = withGenerations(changed, prev);
  assert.equal(next.metadata?.generation, 2);
  assert.equal(next.metadata?.annotations?.[TG], '1', 'as the client sent it');
});
