import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from '../api/types.js';
import type { KubeObject } from '../cluster/port.js';
import { byControllerUID, INDEX_CONTROLLER_UID } from './informer.js';
import { Store } from './store.js';

const node = (name: string, v = 0): Node => ({ metadata: { name, labels: { v: String(v) } } });
const pod = (name: string, owner: string | undefined): Pod => ({
  metadata: {
    name,
    namespace: 'ns',
    ...(owner === undefined
      ? {}
      : {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid: owner, controller: true },
          ],
        }),
  },
});

test('store: ordinals order keys as list() does, through updates, removals and re-adds', () => {
  const s = new Store<Node>();
  for (const n of ['a', 'b', 'c']) s.upsert(node(n));
  s.upsert(node('a', 1));
  s.remove('b');
  s.upsert(node('b'));
  const byOrdinal = s.keys().sort((x, y) => s.ordinal(x)! - s.ordinal(y)!);
  assert.deepEqual(byOrdinal, s.keys());
  assert.deepEqual(s.keys(), ['a', 'c', 'b']);
  assert.equal(s.ordinal('gone'), undefined);
});

test('store: changesSince lists the keys written since a position, and says when it lost them', () => {
  const s = new Store<Node>();
  s.upsert(node('a'));
  const seq = s.changeSeq();
  s.upsert(node('b'));
  s.upsert(node('a', 1));
  s.remove('b');
  assert.deepEqual(s.changesSince(seq), ['b', 'a', 'b']);
  assert.deepEqual(s.changesSince(s.changeSeq()), []);
  // The log is bounded: a reader far enough behind must read everything again.
  for (let i = 0; i < 5000; i++) s.upsert(node('a', i));
  assert.equal(s.changesSince(seq), undefined);
  assert.equal(s.changesSince(s.changeSeq() + 1), undefined);
  const recent = s.changeSeq();
  s.upsert(node('z'));
  assert.deepEqual(s.changesSince(recent), ['z']);
});

test('store: the logged index keeps a change log per value, old and new owners both see a move', () => {
  const s = new Store<Pod>(
    { [INDEX_CONTROLLER_UID]: byControllerUID },
    { logIndex: INDEX_CONTROLLER_UID, log: false, ordinals: false },
  );
  assert.equal(s.changesSince(0), undefined);
  assert.equal(s.ordinal('ns/p1'), undefined);
  const u1 = s.indexChangeSeq('u1');
  const u2 = s.indexChangeSeq('u2');
  s.upsert(pod('p1', 'u1'));
  s.upsert(pod('p2', 'u2'));
  s.upsert(pod('orphan', undefined));
  s.upsert(pod('p1', 'u2'));
  assert.deepEqual([...new Set(s.indexChangesSince('u1', u1))], ['ns/p1']);
  assert.deepEqual([...new Set(s.indexChangesSince('u2', u2))], ['ns/p2', 'ns/p1']);
  assert.deepEqual(s.indexChangesSince('never', 0), []);
  assert.equal(s.indexChangesSince('never', 5), undefined);
  // Without a logged index, the per-value log is the whole store's.
  const plain = new Store<Pod>({ [INDEX_CONTROLLER_UID]: byControllerUID });
  plain.upsert(pod('x', 'u1'));
  plain.upsert(pod('y', 'u2'));
  assert.deepEqual(plain.indexChangesSince('u1', 0), ['ns/x', 'ns/y']);
});

test('store: an update that changes no indexed value keeps the indexes and logs the write once', () => {
  const s = new Store<KubeObject>(
    {
      owner: (o) => [(o.metadata?.labels ?? {})['owner'] ?? ''],
      node: (o) => [(o.metadata?.labels ?? {})['node'] ?? ''],
    },
    { logIndex: 'owner' },
  );
  const mk = (name: string, owner: string, nodeName: string, rv: string): KubeObject => ({
    metadata: { name, namespace: 'ns', resourceVersion: rv, labels: { owner, node: nodeName } },
  });
  s.upsert(mk('p1', 'u1', 'n1', '1'));
  s.upsert(mk('p2', 'u1', 'n1', '1'));
  const seq = s.indexChangeSeq('u1');
  s.upsert(mk('p1', 'u1', 'n1', '2'));
  assert.deepEqual(s.indexChangesSince('u1', seq), ['ns/p1']);
  assert.deepEqual(
    s.byIndex('node', 'n1').map((o) => o.metadata?.resourceVersion),
    ['2', '1'],
    'the index reads the new object',
  );
  // A changed value still moves the key, and both owners' logs see it.
  const u2 = s.indexChangeSeq('u2');
  const u1 = s.indexChangeSeq('u1');
  s.upsert(mk('p1', 'u2', 'n2', '3'));
  assert.deepEqual(s.indexChangesSince('u1', u1), ['ns/p1']);
  assert.deepEqual(s.indexChangesSince('u2', u2), ['ns/p1']);
  assert.deepEqual(
    s.byIndex('node', 'n1').map((o) => o.metadata?.name),
    ['p2'],
  );
  assert.deepEqual(
    s.byIndex('node', 'n2').map((o) => o.metadata?.name),
    ['p1'],
  );
});
