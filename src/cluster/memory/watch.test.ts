import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease, Pod } from '../../api/types.js';
import {
  ClusterError,
  GoneError,
  TerminalError,
  UnavailableError,
  type WatchEvent,
} from '../port.js';
import { MemoryCluster } from './cluster.js';
import { VirtualClock } from '../../clock/virtual.js';

function lease(name: string, labels: Record<string, string> = {}): Lease {
  return { metadata: { name, namespace: 'default', labels }, spec: { holderIdentity: 'a' } };
}

function pod(name: string, nodeName?: string): Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(nodeName ? { nodeName } : {}) },
  };
}

function names(events: WatchEvent<Lease | Pod>[]): string[] {
  return events.map((e) =>
    e.type === 'BOOKMARK'
      ? `BOOKMARK ${e.resourceVersion}`
      : `${e.type} ${e.object.metadata?.name ?? ''}`,
  );
}

test('events arrive asynchronously, in order, after the write returns', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  const seen: WatchEvent<Lease>[] = [];
  const w = await cluster.watch<Lease>('Lease', { resourceVersion: cluster.resourceVersion }, (e) =>
    seen.push(e),
  );
  const p = cluster.create('Lease', lease('a'));
  assert.equal(seen.length, 0, 'not delivered synchronously');
  await p;
  await cluster.create('Lease', lease('b'));
  await cluster.delete('Lease', 'default', 'a');
  await cluster.idle();
  assert.deepEqual(names(seen), ['ADDED a', 'ADDED b', 'DELETED a']);
  w.stop();
  await w.done;
});

test('resourceVersion "0" starts with the current objects as ADDED', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  await cluster.create('Lease', lease('a', { x: '1' }));
  await cluster.create('Lease', lease('b'));
  const seen: WatchEvent<Lease>[] = [];
  const w = await cluster.watch<Lease>(
    'Lease',
    { resourceVersion: '0', labelSelector: 'x=1' },
    (e) => seen.push(e),
  );
  await cluster.idle();
  assert.deepEqual(names(seen), ['ADDED a']);
  w.stop();
});

test('a watch from a version older than watchHistory ends with GoneError; compact() expires everything', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock(), watchHistory: 2 });
  const first = await cluster.create<Lease>('Lease', lease('a'));
  for (const n of ['b', 'c', 'd']) await cluster.create('Lease', lease(n));
  const old = await cluster.watch(
    'Lease',
    { resourceVersion: first.metadata!.resourceVersion! },
    () => undefined,
  );
  await assert.rejects(old.done, GoneError);
  const recent = cluster.resourceVersion;
  const ok = await cluster.watch(
    'Lease',
    { resourceVersion: String(Number(recent) - 1) },
    () => undefined,
  );
  ok.stop();
  await ok.done;
  cluster.compact();
  const after = await cluster.watch(
    'Lease',
    { resourceVersion: String(Number(recent) - 1) },
    () => undefined,
  );
  await assert.rejects(after.done, GoneError);
  const now = await cluster.watch('Lease', { resourceVersion: recent }, () => undefined);
  now.stop();
});

test('bookmarks come every bookmarkIntervalMs of the clock, only when allowed, and stop with the watch', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock, bookmarkIntervalMs: 1000 });
  const seen: WatchEvent<Lease>[] = [];
  const plain: WatchEvent<Lease>[] = [];
  const w = await cluster.watch<Lease>(
    'Lease',
    { resourceVersion: cluster.resourceVersion, allowBookmarks: true },
    (e) => seen.push(e),
  );
  const w2 = await cluster.watch<Lease>(
    'Lease',
    { resourceVersion: cluster.resourceVersion },
    (e) => plain.push(e),
  );
  await cluster.create('Lease', lease('a'));
  clock.advance(2500);
  await cluster.idle();
  const rv = cluster.resourceVersion;
  assert.deepEqual(names(seen), ['ADDED a', `BOOKMARK ${rv}`, `BOOKMARK ${rv}`]);
  assert.deepEqual(names(plain), ['ADDED a']);
  w.stop();
  w2.stop();
  assert.equal(clock.pending(), 0);
});

test('a pod watch pinned to a node sees a pod bound to it as ADDED and a pod leaving as DELETED', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  const seen: WatchEvent<Pod>[] = [];
  const w = await cluster.watch<Pod>(
    'Pod',
    { resourceVersion: cluster.resourceVersion, fieldSelector: 'spec.nodeName=n1' },
    (e) => seen.push(e),
  );
  await cluster.create('Pod', pod('p'));
  await cluster.patch('Pod', 'default', 'p', { type: 'merge', body: { spec: { nodeName: 'n1' } } });
  await cluster.create('Pod', pod('q', 'n2'));
  await cluster.patch('Pod', 'default', 'p', {
    type: 'merge',
    body: { metadata: { labels: { a: 'b' } } },
  });
  await cluster.delete('Pod', 'default', 'p', { gracePeriodSeconds: 0 });
  await cluster.idle();
  assert.deepEqual(names(seen), ['ADDED p', 'MODIFIED p', 'DELETED p']);
  w.stop();
});

test('a label change out of the selector is DELETED with the old labels at the new version', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  await cluster.create('Lease', lease('a', { app: 'x' }));
  const seen: WatchEvent<Lease>[] = [];
  const w = await cluster.watch<Lease>(
    'Lease',
    { resourceVersion: cluster.resourceVersion, labelSelector: 'app=x' },
    (e) => seen.push(e),
  );
  const moved = await cluster.patch<Lease>('Lease', 'default', 'a', {
    type: 'merge',
    body: { metadata: { labels: { app: 'y' } } },
  });
  await cluster.idle();
  const ev = seen[0]!;
  assert.ok(ev.type === 'DELETED');
  assert.equal(ev.object.metadata?.labels?.app, 'x');
  assert.equal(ev.object.metadata?.resourceVersion, moved.metadata?.resourceVersion);
  w.stop();
});

test('bad selectors are 400 TerminalErrors', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  await assert.rejects(cluster.list('Pod', { fieldSelector: 'spec.foo=bar' }), TerminalError);
  await assert.rejects(cluster.list('Lease', { fieldSelector: 'spec.nodeName=x' }), TerminalError);
  await assert.rejects(cluster.list('Pod', { labelSelector: 'a in (' }), TerminalError);
  await assert.rejects(
    cluster.watch('Pod', { resourceVersion: 'abc' }, () => undefined),
    TerminalError,
  );
  const ok = await cluster.list('Pod', {
    fieldSelector: 'metadata.namespace==default,status.phase!=Failed',
  });
  assert.deepEqual(ok.items, []);
});

test('dropWatches ends watches with UnavailableError; a throwing handler ends its own watch', async () => {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  const w = await cluster.watch(
    'Lease',
    { resourceVersion: cluster.resourceVersion },
    () => undefined,
  );
  cluster.dropWatches('Lease');
  await assert.rejects(w.done, UnavailableError);
  const calls: string[] = [];
  const bad = await cluster.watch<Lease>(
    'Lease',
    { resourceVersion: cluster.resourceVersion },
    (e) => {
      calls.push(e.type);
      throw new Error('boom');
    },
  );
  await cluster.create('Lease', lease('a'));
  await cluster.create('Lease', lease('b'));
  await assert.rejects(bad.done, (err: unknown) => err instanceof ClusterError && err.code === 500);
  assert.deepEqual(calls, ['ADDED']);
});
