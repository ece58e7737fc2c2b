/** Conformance: watch semantics (order, selectors, resume from a version, Gone, bookmarks). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease, Pod } from '../../src/api/types.js';
import { GoneError } from '../../src/cluster/port.js';
import { about, lease, pod, record, rvOf, withTarget, type MakeCluster } from './helpers.js';

/** Registers the watch tests. */
export function watchTests(make: MakeCluster): void {
  test('a watch from a list version sees ADDED, MODIFIED, DELETED in order with growing versions', () =>
    withTarget(make, async (t) => {
      const { cluster, namespace } = t;
      const list = await cluster.list('Lease', { namespace });
      const rec = await record<Lease>(t, 'Lease', {
        namespace,
        resourceVersion: list.resourceVersion,
      });
      try {
        const l = await cluster.create<Lease>('Lease', lease(namespace, 'w'));
        await cluster.update('Lease', { ...l, spec: { ...l.spec, holderIdentity: 'b' } });
        await cluster.delete('Lease', namespace, 'w');
        await rec.waitFor(about('DELETED', 'w'), 'DELETED w');
        assert.deepEqual(rec.summary(), ['ADDED w', 'MODIFIED w', 'DELETED w']);
        const rvs = rec.events.map((e) => (e.type === 'BOOKMARK' ? 0 : rvOf(e.object)));
        assert.ok(
          rvs.every((v, i) => i === 0 || v > rvs[i - 1]!),
          `versions ${rvs.join(',')}`,
        );
      } finally {
        rec.watch.stop();
      }
      await rec.watch.done;
    }));

  test('a label-selector watch sees an object that stops matching as DELETED and one that starts as ADDED', () =>
    withTarget(make, async (t) => {
      const { cluster, namespace } = t;
      const p = await cluster.create<Pod>('Pod', pod(namespace, 'sel', { labels: { app: 'in' } }));
      const rec = await record<Pod>(t, 'Pod', {
        namespace,
        labelSelector: 'app=in',
        resourceVersion: p.metadata!.resourceVersion!,
      });
      try {
        const out = await cluster.patch<Pod>('Pod', namespace, 'sel', {
          type: 'merge',
          body: { metadata: { labels: { app: 'out' } } },
        });
        await rec.waitFor(about('DELETED', 'sel'), 'DELETED sel');
        const back = await cluster.patch<Pod>('Pod', namespace, 'sel', {
          type: 'merge',
          body: { metadata: { labels: { app: 'in' } } },
        });
        const added = await rec.waitFor(about('ADDED', 'sel'), 'ADDED sel');
        assert.equal(
          added.type !== 'BOOKMARK' && added.object.metadata?.resourceVersion,
          back.metadata?.resourceVersion,
        );
        assert.ok(rvOf(back) > rvOf(out));
        assert.deepEqual(rec.summary(), ['DELETED sel', 'ADDED sel']);
      } finally {
        rec.watch.stop();
      }
    }));

  test('a field-selector watch on spec.nodeName sees only pods of that node', () =>
    withTarget(make, async (t) => {
      const { cluster, namespace } = t;
      const list = await cluster.list('Pod', { namespace });
      const nodeA = `${namespace}-a`;
      const rec = await record<Pod>(t, 'Pod', {
        namespace,
        fieldSelector: `spec.nodeName=${nodeA}`,
        resourceVersion: list.resourceVersion,
      });
      try {
        await cluster.create('Pod', pod(namespace, 'other', { nodeName: `${namespace}-b` }));
        await cluster.create('Pod', pod(namespace, 'mine', { nodeName: nodeA }));
        await rec.waitFor(about('ADDED', 'mine'), 'ADDED mine');
        assert.deepEqual(rec.summary(), ['ADDED mine']);
      } finally {
        rec.watch.stop();
        for (const n of ['other', 'mine'])
          await cluster.delete('Pod', namespace, n, { gracePeriodSeconds: 0 });
      }
    }));

  test('a watch from an older version replays the changes after it', () =>
    withTarget(make, async (t) => {
      const { cluster, namespace } = t;
      const first = await cluster.create<Lease>('Lease', lease(namespace, 'r1'));
      await cluster.create('Lease', lease(namespace, 'r2'));
      await cluster.update('Lease', { ...first, spec: { ...first.spec, holderIdentity: 'z' } });
      const rec = await record<Lease>(t, 'Lease', {
        namespace,
        resourceVersion: first.metadata!.resourceVersion!,
      });
      try {
        await rec.waitFor(about('MODIFIED', 'r1'), 'MODIFIED r1');
        assert.deepEqual(rec.summary(), ['ADDED r2', 'MODIFIED r1']);
      } finally {
        rec.watch.stop();
      }
    }));

  test('a watch from a version that is too old ends with GoneError', async (ctx) => {
    await withTarget(make, async (t) => {
      const expire = t.capabilities?.expireWatchHistory;
      if (expire === undefined) {
        ctx.skip('the adapter cannot expire watch history on demand');
        return;
      }
      const { cluster, namespace } = t;
      const old = await cluster.create<Lease>('Lease', lease(namespace, 'old'));
      await cluster.update('Lease', { ...old, spec: { ...old.spec, holderIdentity: 'new' } });
      await expire();
      const w = await cluster.watch(
        'Lease',
        { namespace, resourceVersion: old.metadata!.resourceVersion! },
        () => undefined,
      );
      await assert.rejects(w.done, (err) => err instanceof GoneError);
    });
  });

  test('a watch that allows bookmarks gets BOOKMARK events with a resourceVersion', async (ctx) => {
    await withTarget(make, async (t) => {
      const trigger = t.capabilities?.triggerBookmark;
      if (trigger === undefined) {
        ctx.skip('the adapter cannot make a bookmark due on demand');
        return;
      }
      const { cluster, namespace } = t;
      const l = await cluster.create<Lease>('Lease', lease(namespace, 'b'));
      const rec = await record<Lease>(t, 'Lease', {
        namespace,
        resourceVersion: l.metadata!.resourceVersion!,
        allowBookmarks: true,
      });
      try {
        await trigger();
        const bm = await rec.waitFor((e) => e.type === 'BOOKMARK', 'a BOOKMARK');
        assert.ok(bm.type === 'BOOKMARK' && Number(bm.resourceVersion) >= rvOf(l));
      } finally {
        rec.watch.stop();
      }
    });
  });

  test('stop() ends the watch: done resolves and no event follows', () =>
    withTarget(make, async (t) => {
      const { cluster, namespace } = t;
      const list = await cluster.list('Lease', { namespace });
      const rec = await record<Lease>(t, 'Lease', {
        namespace,
        resourceVersion: list.resourceVersion,
      });
      rec.watch.stop();
      await rec.watch.done;
      await cluster.create('Lease', lease(namespace, 'after'));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(rec.summary(), []);
    }));
}
