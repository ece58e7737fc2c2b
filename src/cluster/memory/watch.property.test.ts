import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Pod } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import type { WatchEvent } from '../port.js';
import { MemoryCluster } from './cluster.js';

type Op =
  | { op: 'create'; name: string; app: string; node: string }
  | { op: 'relabel'; name: string; app: string }
  | { op: 'bind'; name: string; node: string }
  | { op: 'delete'; name: string };

const name = fc.constantFrom('a', 'b', 'c', 'd');
const app = fc.constantFrom('x', 'y');
const node = fc.constantFrom('', 'n1', 'n2');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), name, app, node }),
  fc.record({ op: fc.constant('relabel' as const), name, app }),
  fc.record({ op: fc.constant('bind' as const), name, node: fc.constantFrom('n1', 'n2') }),
  fc.record({ op: fc.constant('delete' as const), name }),
);

async function apply(c: MemoryCluster, o: Op): Promise<void> {
  try {
    if (o.op === 'create') {
      await c.create<Pod>('Pod', {
        metadata: { name: o.name, namespace: 'default', labels: { app: o.app } },
        spec: { containers: [{ name: 'c', image: 'i' }], ...(o.node ? { nodeName: o.node } : {}) },
      });
    } else if (o.op === 'relabel') {
      await c.patch('Pod', 'default', o.name, {
        type: 'merge',
        body: { metadata: { labels: { app: o.app } } },
      });
    } else if (o.op === 'bind') {
      await c.patch('Pod', 'default', o.name, {
        type: 'merge',
        body: { spec: { nodeName: o.node } },
      });
    } else {
      await c.delete('Pod', 'default', o.name, { gracePeriodSeconds: 0 });
    }
  } catch {
    // AlreadyExists, NotFound, a forbidden re-bind: the op simply did not happen.
  }
}

/** Folds watch events into a name -> resourceVersion map, as an informer's store would. */
function fold(state: Map<string, string>, events: readonly WatchEvent<Pod>[]): Map<string, string> {
  for (const e of events) {
    if (e.type === 'BOOKMARK') continue;
    const n = e.object.metadata!.name!;
    if (e.type === 'DELETED') state.delete(n);
    else state.set(n, e.object.metadata!.resourceVersion!);
  }
  return state;
}

test('list at a version plus a watch from it rebuilds the filtered state, whatever the filter', async () => {
  const filters = [
    {},
    { labelSelector: 'app=x' },
    { fieldSelector: 'spec.nodeName=n1' },
    { fieldSelector: 'spec.nodeName=' },
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { maxLength: 15 }),
      fc.array(opArb, { maxLength: 15 }),
      async (before, after) => {
        const c = new MemoryCluster({ clock: new VirtualClock() });
        for (const o of before) await apply(c, o);
        const watchers = [];
        for (const f of filters) {
          const listed = await c.list<Pod>('Pod', f);
          const seen: WatchEvent<Pod>[] = [];
          const w = await c.watch<Pod>(
            'Pod',
            { ...f, resourceVersion: listed.resourceVersion },
            (e) => seen.push(e),
          );
          watchers.push({ f, w, seen, listed });
        }
        for (const o of after) await apply(c, o);
        await c.idle();
        for (const { f, w, seen, listed } of watchers) {
          w.stop();
          const start = new Map(
            listed.items.map((p) => [p.metadata!.name!, p.metadata!.resourceVersion!]),
          );
          const now = await c.list<Pod>('Pod', f);
          const expected = new Map(
            now.items.map((p) => [p.metadata!.name!, p.metadata!.resourceVersion!]),
          );
          assert.deepEqual(fold(start, seen), expected);
        }
      },
    ),
    { numRuns: 60 },
  );
});
