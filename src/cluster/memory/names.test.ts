import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { copyJson, deepFreeze, randomUid, seededRandom } from './names.js';

/** JSON-like values with what a caller may leave in: undefined, NaN, Infinity, -0, Dates. */
const loose = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.string(),
    fc.double(),
    fc.constant(-0),
    fc.integer(),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value')),
    fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), tie('value')),
  ),
})).value;

test('copyJson gives what a JSON round trip gives', () => {
  fc.assert(
    fc.property(loose, (v) => {
      const viaJson: unknown = v === undefined ? undefined : JSON.parse(JSON.stringify(v));
      assert.deepStrictEqual(copyJson(v), viaJson);
    }),
    { numRuns: 300 },
  );
});

test('copyJson shares the stored sub-trees the value still holds and copies everything else', () => {
  const stored = deepFreeze({
    spec: { labels: { app: 'a' }, containers: [{ name: 'c', image: 'i' }] },
    other: { n: 1 },
  });
  const theirs = Object.freeze({ when: undefined, at: Object.freeze(new Date(0)) });
  const input = { spec: stored.spec, other: stored.spec, mine: { n: 1 }, theirs };
  const out = copyJson(input, stored);
  assert.equal(out.spec, stored.spec, 'the same sub-tree at the same place is shared');
  assert.notEqual(out.other, stored.spec, 'a stored sub-tree moved elsewhere is copied');
  assert.deepEqual(out.other, stored.spec);
  assert.notEqual(out.mine, input.mine, 'a caller object is copied');
  assert.notEqual(out.theirs, theirs, 'a frozen object holding what JSON changes is copied');
  assert.deepEqual(out.theirs, { at: '1970-01-01T00:00:00.000Z' });
  input.mine.n = 2;
  assert.equal(out.mine.n, 1);
  const changed = { spec: { ...stored.spec, containers: [{ name: 'c', image: 'j' }] } };
  const next = copyJson(changed, stored);
  assert.equal(next.spec.labels, stored.spec.labels, 'unchanged siblings of a change are shared');
  assert.notEqual(next.spec.containers, stored.spec.containers);
});

test('copyJson of the stored object itself gives a new root the registry may write to', () => {
  const stored = deepFreeze({ metadata: { name: 'x' }, spec: { a: 1 } });
  const out = copyJson(stored, stored) as { metadata: unknown; spec: unknown; status?: unknown };
  assert.notEqual(out, stored);
  assert.equal(out.spec, stored.spec);
  out.status = {};
  assert.deepEqual(Object.keys(out), ['metadata', 'spec', 'status']);
});

test('copyJson fails on a cycle or a BigInt as JSON.stringify does (TypeError)', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => copyJson(cyclic), TypeError);
  assert.throws(() => copyJson({ n: 1n }), TypeError);
});

test('copyJson never hands back a frozen root', () => {
  const frozenRoot = deepFreeze({ metadata: { name: 'x' }, spec: { a: 1 } });
  for (const out of [copyJson(frozenRoot), copyJson(frozenRoot, frozenRoot)]) {
    assert.notEqual(out, frozenRoot);
    assert.equal(Object.isFrozen(out), false);
    assert.deepEqual(out, frozenRoot);
  }
});

test('randomUid: version-4 layout, one draw per digit, the same uids from the same seed', () => {
  // What the first implementation (an array of digits, joined and sliced) gave for seed 7.
  const reference = (random: () => number): string => {
    const hex: string[] = [];
    for (let i = 0; i < 32; i++) hex.push(Math.floor(random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  const a = seededRandom(7);
  const b = seededRandom(7);
  for (let i = 0; i < 500; i++) {
    const uid = randomUid(a);
    assert.equal(uid, reference(b));
    assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});
