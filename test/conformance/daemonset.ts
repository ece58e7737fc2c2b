/** Conformance: the DaemonSet registry rules (spec §1.3–1.4, scenarios 93, 94, 97, 98). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEMPLATE_GENERATION_ANNOTATION, type DaemonSet } from '../../src/api/types.js';
import { ClusterError, InvalidError } from '../../src/cluster/port.js';
import { daemonSet, rejectsWith, withTarget, type MakeCluster } from './helpers.js';

const TG = TEMPLATE_GENERATION_ANNOTATION;

function withImage(ds: DaemonSet, image: string): DaemonSet {
  const t = ds.spec!.template;
  return {
    ...ds,
    spec: {
      ...ds.spec!,
      template: { ...t, spec: { ...t.spec!, containers: [{ ...t.spec!.containers[0]!, image }] } },
    },
  };
}

/** Registers the DaemonSet registry tests. */
export function daemonSetTests(make: MakeCluster): void {
  test('scenario 93a: create defaults the DaemonSet, sets generation 1 and the template-generation annotation', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      assert.equal(ds.metadata?.generation, 1);
      assert.equal(ds.metadata?.annotations?.[TG], '1');
      assert.deepEqual(ds.spec?.updateStrategy, {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
      });
      assert.equal(ds.spec?.revisionHistoryLimit, 10);
      assert.equal(ds.spec?.template.spec?.restartPolicy, 'Always');
      assert.equal(ds.spec?.template.spec?.terminationGracePeriodSeconds, 30);
      assert.equal(ds.status?.observedGeneration ?? 0, 0);
      assert.equal(ds.status?.numberReady ?? 0, 0);
    }));

  test('create clears a status sent with the object', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const body = {
        ...daemonSet(namespace, 'd'),
        status: {
          numberReady: 5,
          desiredNumberScheduled: 7,
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
        },
      };
      const ds = await cluster.create<DaemonSet>('DaemonSet', body);
      assert.equal(ds.status?.numberReady ?? 0, 0);
      assert.equal(ds.status?.desiredNumberScheduled ?? 0, 0);
    }));

  test('scenario 94a: a selector that does not match the template labels is Invalid with a field cause', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = daemonSet(namespace, 'bad');
      const body = { ...ds, spec: { ...ds.spec!, selector: { matchLabels: { app: 'other' } } } };
      const err = await rejectsWith(cluster.create('DaemonSet', body), InvalidError);
      assert.ok(
        err.causes.some((c) => c.field === 'spec.template.metadata.labels'),
        err.message,
      );
    }));

  test('scenario 97a: spec.selector is immutable', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const changed: DaemonSet = {
        ...ds,
        spec: {
          ...ds.spec!,
          selector: { matchLabels: { app: 'd', extra: 'x' } },
          template: { ...ds.spec!.template, metadata: { labels: { app: 'd', extra: 'x' } } },
        },
      };
      const err = await rejectsWith(cluster.update('DaemonSet', changed), InvalidError);
      assert.ok(
        err.causes.some((c) => c.field === 'spec.selector'),
        err.message,
      );
    }));

  test('scenario 97b: a template change raises generation and the template-generation annotation', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const next = await cluster.update<DaemonSet>(
        'DaemonSet',
        withImage(ds, 'registry.k8s.io/pause:3.10'),
      );
      assert.equal(next.metadata?.generation, 2);
      assert.equal(next.metadata?.annotations?.[TG], '2');
    }));

  test('scenario 97c: a minReadySeconds change raises generation only', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const next = await cluster.update<DaemonSet>('DaemonSet', {
        ...ds,
        spec: { ...ds.spec!, minReadySeconds: 5 },
      });
      assert.equal(next.metadata?.generation, 2);
      assert.equal(next.metadata?.annotations?.[TG], '1');
      const labelled = await cluster.update<DaemonSet>('DaemonSet', {
        ...next,
        metadata: { ...next.metadata, labels: { team: 'x' } },
      });
      assert.equal(labelled.metadata?.generation, 2, 'a metadata change leaves generation alone');
    }));

  test('scenario 97d: status sent to the main resource is ignored', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const next = await cluster.update<DaemonSet>('DaemonSet', {
        ...ds,
        status: { ...ds.status!, numberReady: 3, desiredNumberScheduled: 3 },
      });
      assert.equal(next.status?.numberReady ?? 0, 0);
    }));

  test('scenario 97e: the template-generation annotation is honoured on create, ignored on update', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const base = daemonSet(namespace, 'd');
      const ds = await cluster.create<DaemonSet>('DaemonSet', {
        ...base,
        metadata: { ...base.metadata, annotations: { [TG]: '5' } },
      });
      assert.equal(ds.metadata?.annotations?.[TG], '5');
      const next = await cluster.update<DaemonSet>('DaemonSet', {
        ...ds,
        metadata: { ...ds.metadata, annotations: { [TG]: '42' } },
      });
      assert.equal(next.metadata?.annotations?.[TG], '5');
      const bad = {
        ...base,
        metadata: { ...base.metadata, name: 'bad', annotations: { [TG]: 'x' } },
      };
      await rejectsWith(cluster.create('DaemonSet', bad), ClusterError);
    }));

  test('the status subresource writes status only; 98a negative counters and 98b a lowered collisionCount are Invalid', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const status = {
        ...ds.status!,
        numberReady: 1,
        desiredNumberScheduled: 1,
        collisionCount: 2,
        observedGeneration: 1,
      };
      const written = await cluster.updateStatus<DaemonSet>('DaemonSet', {
        ...withImage(ds, 'registry.k8s.io/pause:3.10'),
        status,
      });
      assert.equal(written.status?.numberReady, 1);
      assert.equal(written.metadata?.generation, 1);
      assert.equal(
        written.spec?.template.spec?.containers[0]?.image,
        ds.spec?.template.spec?.containers[0]?.image,
      );
      const negative = { ...written, status: { ...status, numberReady: -1 } };
      await rejectsWith(cluster.updateStatus('DaemonSet', negative), InvalidError);
      const lowered = { ...written, status: { ...status, collisionCount: 1 } };
      const err = await rejectsWith(cluster.updateStatus('DaemonSet', lowered), InvalidError);
      assert.ok(err.causes.some((c) => c.field === 'status.collisionCount'));
    }));

  test('scenario 98c: collisionCount raised from nil to 1 is valid', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const next = await cluster.updateStatus<DaemonSet>('DaemonSet', {
        ...ds,
        status: { ...ds.status!, collisionCount: 1 },
      });
      assert.equal(next.status?.collisionCount, 1);
    }));

  test('a strategic patch with $patch: replace swaps the template (rollout undo)', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const ds = await cluster.create<DaemonSet>('DaemonSet', daemonSet(namespace, 'd'));
      const withExtra = await cluster.patch<DaemonSet>('DaemonSet', namespace, 'd', {
        type: 'strategic',
        body: { spec: { template: { metadata: { annotations: { note: 'x' } } } } },
      });
      assert.equal(withExtra.spec?.template.metadata?.annotations?.note, 'x');
      const undone = await cluster.patch<DaemonSet>('DaemonSet', namespace, 'd', {
        type: 'strategic',
        body: { spec: { template: { ...structuredClone(ds.spec!.template), $patch: 'replace' } } },
      });
      assert.equal(undone.spec?.template.metadata?.annotations?.note, undefined);
      assert.equal(undone.metadata?.generation, 3);
      assert.equal(undone.metadata?.annotations?.[TG], '3');
    }));
}
