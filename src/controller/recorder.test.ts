import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import {
  NotFoundError,
  UnavailableError,
  type Cluster,
  type KubeObject,
  type Patch,
  type ResourceKind,
} from '../cluster/port.js';
import { VirtualClock } from '../clock/virtual.js';
import { EVENT_SOURCE_COMPONENT, EventRecorder } from './recorder.js';

interface EventObj {
  metadata?: { name?: string };
  reason?: string;
  count?: number;
  type?: string;
  source?: { component?: string };
  involvedObject?: { kind?: string; name?: string; uid?: string };
}

const ds: DaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'foo', namespace: 'default', uid: 'u-1' },
};

test('recorder: writes an Event on the DaemonSet and aggregates repeats with count++', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  r.event(ds, 'Warning', 'SelectingAll', 'selecting all pods');
  await r.flush();
  r.event(ds, 'Warning', 'SelectingAll', 'selecting all pods');
  r.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: foo-abcde');
  await r.flush();
  const events = (await cluster.list<EventObj>('Event', { namespace: 'default' })).items;
  assert.equal(events.length, 2);
  const sel = events.find((e) => e.reason === 'SelectingAll')!;
  assert.equal(sel.count, 2);
  assert.equal(sel.type, 'Warning');
  assert.equal(sel.source?.component, EVENT_SOURCE_COMPONENT);
  assert.deepEqual(
    {
      kind: sel.involvedObject?.kind,
      name: sel.involvedObject?.name,
      uid: sel.involvedObject?.uid,
    },
    { kind: 'DaemonSet', name: 'foo', uid: 'u-1' },
  );
  assert.equal(r.counts().get('SelectingAll'), 2);
  assert.equal(r.pending(), 0);
});

test('recorder: a repeat of a deleted Event writes it again under its name with its count', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  r.event(ds, 'Normal', 'X', 'm');
  await r.flush();
  let events = (await cluster.list<EventObj>('Event')).items;
  assert.equal(events.length, 1);
  const name = events[0]!.metadata!.name!;
  await cluster.delete('Event', 'default', name);
  r.event(ds, 'Normal', 'X', 'm');
  await r.flush();
  events = (await cluster.list<EventObj>('Event')).items;
  assert.equal(events.length, 1);
  assert.equal(events[0]!.metadata!.name, name);
  assert.equal(events[0]!.count, 2);
});

test('recorder: 1,000 SuccessfulCreate events on one DaemonSet write what upstream writes: 10 creates, 15 patches', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  for (let i = 0; i < 25; i++) r.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: foo-${i}`);
  const inFlight = r.pending();
  for (let i = 25; i < 1000; i++)
    r.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: foo-${i}`);
  assert.equal(r.pending(), inFlight, 'a dropped event starts no write');
  await r.flush();
  const writes = cluster.stats().byKind.Event;
  assert.equal(writes?.create, 10);
  assert.equal(writes?.patch, 15);
  const events = (await cluster.list<EventObj & { message?: string }>('Event')).items;
  const combined = events.filter((e) => e.message?.startsWith('(combined from similar events)'));
  assert.equal(combined.length, 1);
  // Counted at every occurrence, even the dropped ones; the last write carried the 16th.
  assert.equal(combined[0]!.count, 16);
  assert.equal(r.counts().get('SuccessfulCreate'), 1000);
  // Five minutes later one more write is allowed, and it carries the true count.
  clock.advance(300_000);
  r.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: foo-1000');
  await r.flush();
  const after = (await cluster.list<EventObj & { message?: string }>('Event')).items;
  const agg = after.find((e) => e.message?.startsWith('(combined from similar events)'));
  assert.equal(agg?.count, 992);
  assert.equal(agg?.message, '(combined from similar events): Created pod: foo-1000');
});

test("recorder: a patch waits for its Event's create still in flight (no 404, no second create)", async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  let notFound = 0;
  // Creates answer after a delay, as a real API server under load does; patches at once.
  const slow = {
    create: async <T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> => {
      await new Promise((r) => setTimeout(r, 5));
      return cluster.create(kind, obj);
    },
    patch: async <T extends KubeObject>(
      kind: ResourceKind,
      ns: string,
      name: string,
      patch: Patch,
    ): Promise<T> => {
      try {
        return await cluster.patch<T>(kind, ns, name, patch);
      } catch (err) {
        if (err instanceof NotFoundError) notFound++;
        throw err;
      }
    },
  } as unknown as Cluster;
  const r = new EventRecorder({ cluster: slow, clock });
  // Similar events past the ninth are combined into one Event, created and then patched at once,
  // while its create is still in flight.
  for (let i = 0; i < 14; i++) r.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: foo-${i}`);
  await r.flush();
  assert.equal(notFound, 0);
  const writes = cluster.stats().byKind.Event;
  // Nine distinct Events and the combined one, then four patches of it (none a retry).
  assert.equal(writes?.create, 10);
  assert.equal(writes?.patch, 4);
  const events = (await cluster.list<EventObj & { message?: string }>('Event')).items;
  const combined = events.find((e) => e.message?.startsWith('(combined from similar events)'));
  assert.equal(combined?.count, 5);
});

test('recorder: a failing write is logged, never thrown', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  cluster.injectFault((c) => (c.kind === 'Event' ? new UnavailableError('down') : undefined));
  const r = new EventRecorder({ cluster, clock });
  r.event(ds, 'Warning', 'Y', 'm');
  await r.flush();
  assert.equal(r.pending(), 0);
});

test('recorder: the spam budget is per object; an aggregation record resets after 10 minutes', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  const other: DaemonSet = { ...ds, metadata: { name: 'bar', namespace: 'default', uid: 'u-2' } };
  for (let i = 0; i < 30; i++) {
    r.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: foo-${i}`);
    r.event(other, 'Normal', 'SuccessfulDelete', `Deleted pod: bar-${i}`);
  }
  await r.flush();
  const ev = cluster.stats().byKind.Event;
  assert.equal((ev?.create ?? 0) + (ev?.patch ?? 0), 50);
  // 50 minutes on, the bucket holds 10 tokens again and the aggregation record has lapsed: nine
  // new messages are written as they are.
  clock.advance(50 * 60_000);
  for (let i = 0; i < 9; i++) r.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: foo-x${i}`);
  await r.flush();
  const events = (await cluster.list<EventObj & { message?: string }>('Event')).items;
  const fresh = events.filter((e) => e.message?.startsWith('Deleted pod: foo-x'));
  assert.equal(fresh.length, 9);
});

test('recorder: event names stay unique for thousands of events in one instant', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  // One DaemonSet name, many objects (uids): each gets its own spam budget, all share the instant.
  for (let i = 0; i < 1500; i++)
    r.event({ ...ds, metadata: { ...ds.metadata, uid: `u-${i}` } }, 'Normal', 'R', 'm');
  await r.flush();
  const stats = cluster.stats();
  assert.equal(stats.byKind.Event?.create, 1500);
  assert.equal(stats.failed, 0);
  const names = (await cluster.list<EventObj>('Event')).items.map((e) => e.metadata?.name);
  assert.equal(new Set(names).size, 1500);
  assert.match(names[0] ?? '', /^foo\.[0-9a-f]+$/);
});
