import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TEMPLATE_GENERATION_ANNOTATION,
  type DaemonSet,
  type Lease,
  type Node,
  type Pod,
} from '../../api/types.js';
import { AlreadyExistsError, InvalidError, TerminalError, type WatchEvent } from '../port.js';
import { MemoryCluster } from './cluster.js';
import { VirtualClock } from '../../clock/virtual.js';
import { seededRandom } from './names.js';

const TG = TEMPLATE_GENERATION_ANNOTATION;

function fresh(seed = 1): { cluster: MemoryCluster; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { cluster: new MemoryCluster({ clock, random: seededRandom(seed) }), clock };
}

function ds(name = 'foo', labels: Record<string, string> = { name: 'simple-daemon' }): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'foo/bar' }] } },
      revisionHistoryLimit: 2,
    },
  };
}

function withImage(d: DaemonSet, image: string): DaemonSet {
  const t = d.spec!.template;
  return {
    ...d,
    spec: {
      ...d.spec!,
      template: { ...t, spec: { ...t.spec!, containers: [{ name: 'c', image }] } },
    },
  };
}

test('scenario 97a: changing spec.selector is Invalid: field is immutable', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const labels = { name: 'simple-daemon', extra: 'x' };
  const changed = {
    ...d,
    spec: {
      ...d.spec!,
      selector: { matchLabels: labels },
      template: { ...d.spec!.template, metadata: { labels } },
    },
  };
  await assert.rejects(cluster.update('DaemonSet', changed), (err: unknown) => {
    assert.ok(err instanceof InvalidError);
    assert.ok(
      err.causes.some((c) => c.field === 'spec.selector' && c.detail === 'field is immutable'),
    );
    assert.match(err.message, /^DaemonSet\.apps "foo" is invalid: /);
    return true;
  });
});

test('scenario 97b: a template change raises generation and the template-generation annotation', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const d2 = await cluster.update<DaemonSet>('DaemonSet', withImage(d, 'foo/bar:2'));
  assert.equal(d2.metadata?.generation, 2);
  assert.equal(d2.metadata?.annotations?.[TG], '2');
  const d3 = await cluster.patch<DaemonSet>('DaemonSet', 'default', 'foo', {
    type: 'merge',
    body: { spec: { template: { metadata: { annotations: { a: 'b' } } } } },
  });
  assert.equal(d3.metadata?.generation, 3);
  assert.equal(d3.metadata?.annotations?.[TG], '3');
});

test('scenario 97c: a minReadySeconds change raises generation; the annotation stays', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const d2 = await cluster.update<DaemonSet>('DaemonSet', {
    ...d,
    spec: { ...d.spec!, minReadySeconds: 10 },
  });
  assert.equal(d2.metadata?.generation, 2);
  assert.equal(d2.metadata?.annotations?.[TG], '1');
  const d3 = await cluster.update<DaemonSet>('DaemonSet', {
    ...d2,
    metadata: { ...d2.metadata, labels: { a: 'b' } },
  });
  assert.equal(d3.metadata?.generation, 2, 'metadata changes leave generation alone');
});

test('scenario 97d: a status change sent to the main resource is ignored', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const d2 = await cluster.update<DaemonSet>('DaemonSet', {
    ...d,
    status: { ...d.status!, numberReady: 4 },
  });
  assert.equal(d2.status?.numberReady, 0);
  assert.equal(
    d2.metadata?.resourceVersion,
    d.metadata?.resourceVersion,
    'nothing changed: no write',
  );
});

test('scenario 97e: the template-generation annotation is honoured on create (>= 1), ignored on update, and must be an integer', async () => {
  const { cluster } = fresh();
  const base = ds();
  const d = await cluster.create<DaemonSet>('DaemonSet', {
    ...base,
    metadata: { ...base.metadata, annotations: { [TG]: '7' } },
  });
  assert.equal(d.metadata?.annotations?.[TG], '7');
  const d2 = await cluster.update<DaemonSet>('DaemonSet', {
    ...d,
    metadata: { ...d.metadata, annotations: { [TG]: '99' } },
  });
  assert.equal(d2.metadata?.annotations?.[TG], '7');
  const d3 = await cluster.update<DaemonSet>(
    'DaemonSet',
    withImage({ ...d2, metadata: { ...d2.metadata, annotations: {} } }, 'x:2'),
  );
  assert.equal(
    d3.metadata?.annotations?.[TG],
    '8',
    'removed by the client, still stamped, +1 for the template',
  );
  const low = await cluster.create<DaemonSet>('DaemonSet', {
    ...base,
    metadata: { name: 'low', namespace: 'default', annotations: { [TG]: '-3' } },
  });
  assert.equal(low.metadata?.annotations?.[TG], '1');
  const bad = {
    ...base,
    metadata: { name: 'bad', namespace: 'default', annotations: { [TG]: 'one' } },
  };
  await assert.rejects(cluster.create('DaemonSet', bad), (err: unknown) => {
    assert.ok(err instanceof InvalidError);
    assert.equal(err.causes[0]?.field, `metadata.annotations[${TG}]`);
    return true;
  });
});

test('scenario 98a: a negative numberReady through /status is Invalid', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  await assert.rejects(
    cluster.updateStatus('DaemonSet', { ...d, status: { ...d.status!, numberReady: -1 } }),
    (err: unknown) => {
      assert.ok(err instanceof InvalidError);
      assert.ok(err.causes.some((c) => c.field === 'status.numberReady'));
      return true;
    },
  );
});

test('scenario 98b: collisionCount lowered from 2 to 1 is Invalid: cannot be decremented', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const d2 = await cluster.updateStatus<DaemonSet>('DaemonSet', {
    ...d,
    status: { ...d.status!, collisionCount: 2 },
  });
  await assert.rejects(
    cluster.updateStatus('DaemonSet', { ...d2, status: { ...d2.status!, collisionCount: 1 } }),
    (err: unknown) => {
      assert.ok(err instanceof InvalidError);
      assert.ok(
        err.causes.some(
          (c) => c.field === 'status.collisionCount' && /cannot be decremented/.test(c.detail),
        ),
      );
      return true;
    },
  );
});

test('scenario 98c: collisionCount raised from nil to 1 is valid; status writes leave spec and metadata alone', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', ds());
  const sent = withImage({ ...d, metadata: { ...d.metadata, labels: { x: 'y' } } }, 'other:1');
  const d2 = await cluster.updateStatus<DaemonSet>('DaemonSet', {
    ...sent,
    status: { ...d.status!, collisionCount: 1 },
  });
  assert.equal(d2.status?.collisionCount, 1);
  assert.equal(d2.spec?.template.spec?.containers[0]?.image, 'foo/bar');
  assert.equal(d2.metadata?.labels, undefined);
  assert.equal(d2.metadata?.generation, 1);
});

test('scenario 93a: create defaults, clears status to the four zero counters, generation 1', async () => {
  const { cluster } = fresh();
  const d = await cluster.create<DaemonSet>('DaemonSet', {
    ...ds(),
    status: { numberReady: 3 } as DaemonSet['status'],
  });
  assert.deepEqual(d.status, {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  });
  assert.equal(d.metadata?.generation, 1);
  assert.equal(d.spec?.template.spec?.dnsPolicy, 'ClusterFirst');
  assert.equal(d.apiVersion, 'apps/v1');
});

test('create: generateName is deterministic for a seed, base cut to 58 characters', async () => {
  const a = fresh(42).cluster;
  const b = fresh(42).cluster;
  const long = 'x'.repeat(70);
  const mk = (c: MemoryCluster) =>
    c.create<Pod>('Pod', {
      metadata: { generateName: long, namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
  const pa = await mk(a);
  const pb = await mk(b);
  assert.equal(pa.metadata?.name, pb.metadata?.name);
  assert.equal(pa.metadata?.uid, pb.metadata?.uid);
  assert.equal(pa.metadata?.name?.length, 63);
  assert.match(pa.metadata?.name ?? '', /^x{58}[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

test('returned objects are frozen and never alias the caller input', async () => {
  const { cluster } = fresh();
  const input = {
    metadata: { name: 'l', namespace: 'default', labels: { a: '1' } },
    spec: { holderIdentity: 'h' },
  };
  const created = await cluster.create<Lease>('Lease', input);
  input.metadata.labels.a = 'changed';
  const got = await cluster.get<Lease>('Lease', 'default', 'l');
  assert.equal(got.metadata?.labels?.a, '1');
  assert.ok(Object.isFrozen(got) && Object.isFrozen(got.metadata?.labels));
  assert.throws(() => {
    (created.metadata!.labels as Record<string, string>).a = 'x';
  }, TypeError);
});

test('an update that changes nothing is no write: same resourceVersion, no watch event', async () => {
  const { cluster } = fresh();
  const l = await cluster.create<Lease>('Lease', {
    metadata: { name: 'l', namespace: 'default' },
    spec: { holderIdentity: 'a' },
  });
  const seen: WatchEvent<Lease>[] = [];
  const w = await cluster.watch<Lease>('Lease', { resourceVersion: cluster.resourceVersion }, (e) =>
    seen.push(e),
  );
  const again = await cluster.update<Lease>('Lease', structuredClone(l));
  await cluster.idle();
  assert.equal(again.metadata?.resourceVersion, l.metadata?.resourceVersion);
  assert.deepEqual(seen, []);
  w.stop();
});

test('namespaces: required for namespaced kinds, dropped for nodes; AlreadyExists; kind mismatch is a bad request', async () => {
  const { cluster } = fresh();
  await assert.rejects(cluster.create('Lease', { metadata: { name: 'x' } }), InvalidError);
  const n = await cluster.create<Node>('Node', { metadata: { name: 'n1', namespace: 'ignored' } });
  assert.equal(n.metadata?.namespace, undefined);
  assert.equal((await cluster.get<Node>('Node', 'whatever', 'n1')).metadata?.name, 'n1');
  await assert.rejects(cluster.create('Node', { metadata: { name: 'n1' } }), AlreadyExistsError);
  await assert.rejects(
    cluster.create('Node', { kind: 'Pod', metadata: { name: 'n2' } }),
    TerminalError,
  );
  await assert.rejects(
    cluster.create('Pod', {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [] },
    }),
    InvalidError,
  );
});

test('pods: created Pending, the scheduler may bind once by patch, other spec changes are Forbidden', async () => {
  const { cluster } = fresh();
  const p = await cluster.create<Pod>('Pod', {
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running' },
  });
  assert.deepEqual(p.status, { phase: 'Pending' });
  const bound = await cluster.patch<Pod>('Pod', 'default', 'p', {
    type: 'merge',
    body: { spec: { nodeName: 'n1' } },
  });
  assert.equal(bound.spec?.nodeName, 'n1');
  await assert.rejects(
    cluster.patch('Pod', 'default', 'p', { type: 'merge', body: { spec: { nodeName: 'n2' } } }),
    InvalidError,
  );
  const tolerated = await cluster.patch<Pod>('Pod', 'default', 'p', {
    type: 'merge',
    body: { spec: { tolerations: [{ key: 'k', operator: 'Exists' }], activeDeadlineSeconds: 30 } },
  });
  assert.equal(tolerated.spec?.tolerations?.length, 1);
  await assert.rejects(
    cluster.patch('Pod', 'default', 'p', { type: 'merge', body: { spec: { tolerations: [] } } }),
    InvalidError,
  );
  await assert.rejects(
    cluster.patch('Pod', 'default', 'p', {
      type: 'merge',
      body: { spec: { activeDeadlineSeconds: 60 } },
    }),
    InvalidError,
  );
  await assert.rejects(
    cluster.patch('Pod', 'default', 'p', { type: 'merge', body: { spec: { hostNetwork: true } } }),
    InvalidError,
  );
});

test('a dry-run patch (dryRun=All) is validated and answered but stores nothing and sends no event', async () => {
  const { cluster } = fresh();
  const created = await cluster.create('DaemonSet', ds());
  const events: string[] = [];
  await cluster.watch<DaemonSet>(
    'DaemonSet',
    { resourceVersion: created.metadata!.resourceVersion! },
    (e) => events.push(e.type),
  );
  const patch = { spec: { template: { spec: { containers: [{ name: 'c', image: 'foo/baz' }] } } } };
  const dry = await cluster.patch<DaemonSet>('DaemonSet', 'default', 'foo', {
    type: 'merge',
    body: patch,
    dryRun: true,
  });
  assert.equal(dry.spec?.template.spec?.containers[0]?.image, 'foo/baz');
  assert.equal(dry.metadata?.generation, 2, 'the answer is what would be stored');
  assert.equal(dry.metadata?.resourceVersion, created.metadata?.resourceVersion);
  const stored = await cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
  assert.deepEqual(stored, created);
  await assert.rejects(
    cluster.patch('DaemonSet', 'default', 'foo', {
      type: 'merge',
      body: { spec: { selector: { matchLabels: { other: 'x' } } } },
      dryRun: true,
    }),
    InvalidError,
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, []);
});
