import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OrderedNames } from './orderednames.js';
import { compareNodeNames, sortNodeNames } from './updatepolicy.js';

const NAMES = [
  'node-2',
  'node-10',
  'node-02',
  'node-1',
  'a',
  'a1b',
  'a01b',
  'b',
  'node-9',
  'x-10-2',
];

test('sortNodeNames gives compareNodeNames order', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...NAMES, 'z', 'node-100', '')), (names) => {
      assert.deepEqual(sortNodeNames([...names]), [...names].sort(compareNodeNames));
    }),
  );
});

test('OrderedNames: the first n members in compareNodeNames order after any adds and deletes', () => {
  const op = fc.record({
    add: fc.boolean(),
    name: fc.constantFrom(...NAMES),
    read: fc.nat(12),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const order = new OrderedNames();
      const model = new Set<string>();
      for (const o of ops) {
        if (o.add) {
          order.add(o.name);
          model.add(o.name);
        } else {
          order.delete(o.name);
          model.delete(o.name);
        }
        assert.equal(order.size, model.size);
        const sorted = [...model].sort(compareNodeNames);
        assert.deepEqual(order.first(o.read), sorted.slice(0, o.read));
        assert.deepEqual(order.last(o.read), sorted.reverse().slice(0, o.read));
        assert.deepEqual([...order.inOrder()], sorted.reverse());
      }
    }),
    { numRuns: 300 },
  );
});

test('OrderedNames: many names, few changes between reads (insertion by binary search)', () => {
  const order = new OrderedNames();
  const model = new Set<string>();
  for (let i = 0; i < 300; i++) {
    order.add(`node-${i}`);
    model.add(`node-${i}`);
  }
  assert.deepEqual(order.first(3), ['node-0', 'node-1', 'node-2']);
  for (let i = 0; i < 200; i++) {
    order.delete(`node-${i}`);
    model.delete(`node-${i}`);
    if (i % 7 === 0) {
      order.add(`node-${i}`);
      model.add(`node-${i}`);
    }
    assert.deepEqual(order.first(4), [...model].sort(compareNodeNames).slice(0, 4));
  }
});

test('OrderedNames: another order re-sorts the members; the same order key costs nothing', () => {
  const order = new OrderedNames();
  for (const n of ['node-2', 'node-10', 'node-1']) order.add(n);
  assert.deepEqual(order.first(3), ['node-1', 'node-2', 'node-10']);
  const reverse = (a: string, b: string): number => compareNodeNames(b, a);
  order.setOrder('reverse', reverse);
  assert.deepEqual(order.first(3), ['node-10', 'node-2', 'node-1']);
  order.add('node-5');
  assert.deepEqual(order.first(2), ['node-10', 'node-5']);
  order.setOrder('reverse', reverse);
  assert.deepEqual(order.last(1), ['node-1']);
});

test('OrderedNames: random adds, deletes, reads and order changes read like a sorted array of the members', () => {
  const byLength = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('add' as const), n: fc.nat(40) }),
          fc.record({ op: fc.constant('delete' as const), n: fc.nat(40) }),
          fc.record({ op: fc.constant('deleteFirst' as const), n: fc.nat(8) }),
          fc.record({ op: fc.constant('first' as const), n: fc.nat(12) }),
          fc.record({ op: fc.constant('last' as const), n: fc.nat(12) }),
          fc.record({ op: fc.constant('order' as const), n: fc.nat(1) }),
        ),
        { maxLength: 120 },
      ),
      (ops) => {
        const set = new OrderedNames();
        const model = new Set<string>();
        let compare = compareNodeNames;
        const sorted = () => [...model].sort(compare);
        for (const { op, n } of ops) {
          const name = `n-${n}`;
          if (op === 'add') {
            set.add(name);
            model.add(name);
          } else if (op === 'delete') {
            set.delete(name);
            model.delete(name);
          } else if (op === 'deleteFirst') {
            // A rollout removes names from the front of its order.
            for (const x of sorted().slice(0, n)) {
              set.delete(x);
              model.delete(x);
            }
          } else if (op === 'first') assert.deepEqual(set.first(n), sorted().slice(0, n));
          else if (op === 'last') assert.deepEqual(set.last(n), sorted().reverse().slice(0, n));
          else {
            compare = n === 0 ? compareNodeNames : byLength;
            set.setOrder(n === 0 ? 'natural' : 'byLength', compare);
          }
          assert.deepEqual([...set.inOrder()], sorted());
        }
      },
    ),
    { numRuns: 300 },
  );
});
