import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import { UnavailableError } from '../cluster/port.js';
import { ManualClock } from './manualclock.js';
import { EVENT_AGGREGATION_WINDOW_MS, EVENT_SOURCE_COMPONENT, EventRecorder } from './recorder.js';

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
  const clock = new ManualClock();
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

test('recorder: a repeat after the window, or of a deleted Event, starts a new Event', async () => {
  const clock = new ManualClock();
  const cluster = new MemoryCluster({ clock });
  const r = new EventRecorder({ cluster, clock });
  r.event(ds, 'Normal', 'X', 'm');
  await r.flush();
  clock.advance(EVENT_AGGREGATION_WINDOW_MS + 1);
  r.event(ds, 'Normal', 'X', 'm');
  await r.flush();
  let events = (await cluster.list<EventObj>('Event')).items;
  assert.equal(events.length, 2);
  await cluster.delete('Event', 'default', events[1]!.metadata!.name!);
  r.event(ds, 'Normal', 'X', 'm');
  await r.flush();
  events = (await cluster.list<EventObj>('Event')).items;
  assert.equal(events.length, 2);
  assert.ok(events.every((e) => e.count === 1));
});

test('recorder: a failing write is logged, never thrown', async () => {
  const clock = new ManualClock();
  const cluster = new MemoryCluster({ clock });
  cluster.injectFault((c) => (c.kind === 'Event' ? new UnavailableError('down') : undefined));
  const r = new EventRecorder({ cluster, clock });
  r.event(ds, 'Warning', 'Y', 'm');
  await r.flush();
  assert.equal(r.pending(), 0);
});
