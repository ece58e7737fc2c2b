/**
 * everynode's CRD on a real kube-apiserver: the API server stores a custom resource as sent, with
 * no apps/v1 defaults, no deprecated.daemonset.template.generation annotation and only the checks
 * its schema can express. The memory cluster defaults and validates the CRD like apps/v1, so these
 * tests wrap the controller's view to hand out the objects as kube-apiserver would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPodTemplate } from '../api/defaults.js';
import { computeTemplateHash } from '../api/hash.js';
import type { DaemonSet } from '../api/types.js';
import type {
  Cluster,
  KubeObject,
  ListOptions,
  ResourceKind,
  WatchEvent,
  WatchOptions,
} from '../cluster/port.js';
import { dsFoo, harness, node } from './testing.js';

/** Specs as the user sent them, by DaemonSet name: what kube-apiserver would return. */
type AsSent = Map<string, DaemonSet['spec']>;

function rawCrd(asSent: AsSent): (c: Cluster) => Cluster {
  const raw = <T extends KubeObject>(kind: ResourceKind, o: T): T => {
    const spec = asSent.get(o.metadata?.name ?? '');
    if (kind !== 'EverynodeDaemonSet' || spec === undefined) return o;
    const annotations = { ...o.metadata?.annotations };
    delete annotations['deprecated.daemonset.template.generation'];
    return { ...o, metadata: { ...o.metadata, annotations }, spec };
  };
  return (c) => ({
    ...c,
    // The port's signature is generic; this wrapper only passes T through.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
    async list<T extends KubeObject>(kind: ResourceKind, opts?: ListOptions) {
      const l = await c.list<T>(kind, opts);
      return { ...l, items: l.items.map((o) => raw(kind, o)) };
    },
    async get<T extends KubeObject>(kind: ResourceKind, ns: string, name: string) {
      return raw(kind, await c.get<T>(kind, ns, name));
    },
    watch<T extends KubeObject>(
      kind: ResourceKind,
      opts: WatchOptions,
      onEvent: (e: WatchEvent<T>) => void,
    ) {
      return c.watch<T>(kind, opts, (ev) => {
        onEvent(ev.type === 'BOOKMARK' ? ev : { type: ev.type, object: raw(kind, ev.object) });
      });
    },
  });
}

function crd(ds: DaemonSet): DaemonSet {
  return { ...ds, apiVersion: 'apps.everynode.dev/v1alpha1' };
}

test('a CRD DaemonSet without server-side defaults is defaulted before it is reconciled', async () => {
  const asSent: AsSent = new Map();
  const h = harness({ workers: 0, dsKind: 'EverynodeDaemonSet', wrap: rawCrd(asSent) });
  for (let i = 0; i < 2; i++) await h.cluster.create('Node', node(`node-${i}`));
  const ds = crd(dsFoo());
  // As a user writes it: no updateStrategy, no revisionHistoryLimit, no pod defaults.
  const { updateStrategy: _u, revisionHistoryLimit: _r, ...bare } = ds.spec!;
  asSent.set('foo', bare);
  await h.cluster.create('EverynodeDaemonSet', ds);
  await h.controller.start();
  await h.settle();
  await h.controller.syncDaemonSet('default/foo');
  await h.settle();
  const pods = await h.pods();
  assert.equal(pods.length, 2);
  // The hash is that of the defaulted template, as for the same DaemonSet in apps/v1, so a
  // DaemonSet moved between the two kinds keeps its pods.
  const want = computeTemplateHash(defaultPodTemplate(bare.template));
  for (const p of pods) assert.equal(p.metadata?.labels?.['controller-revision-hash'], want);
  await h.controller.stop();
});

test('an invalid CRD DaemonSet gets a Warning naming the field, no pods, and the others are served', async () => {
  const asSent: AsSent = new Map();
  const h = harness({ workers: 1, dsKind: 'EverynodeDaemonSet', wrap: rawCrd(asSent) });
  await h.cluster.create('Node', node('node-0'));
  const bad = crd(dsFoo('bad'));
  // The CRD schema cannot check that the selector matches the template's labels.
  asSent.set('bad', {
    ...bad.spec!,
    template: { ...bad.spec!.template, metadata: { labels: { other: 'x' } } },
  });
  await h.cluster.create('EverynodeDaemonSet', bad);
  await h.cluster.create('EverynodeDaemonSet', crd(dsFoo('good')));
  await h.controller.start();
  await h.settle();
  const pods = await h.pods();
  const owners = pods.map((p) => p.metadata?.ownerReferences?.[0]?.name);
  assert.deepEqual(owners, ['good']);
  const events = await h.cluster.list<
    KubeObject & { reason?: string; message?: string; type?: string }
  >('Event', { namespace: 'default' });
  const warning = events.items.find((e) => e.type === 'Warning' && /bad/.test(JSON.stringify(e)));
  assert.ok(warning, 'no Warning event for the invalid DaemonSet');
  assert.equal(warning.reason, 'FailedValidation');
  assert.match(warning.message ?? '', /spec\.template\.metadata\.labels/);
  await h.controller.stop();
});
