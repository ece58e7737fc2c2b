import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidError } from '../port.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

test('merge patch (RFC 7386): maps merge, null deletes, arrays replace, the target is untouched', () => {
  const target = Object.freeze({
    a: 1,
    b: Object.freeze({ c: 2, d: 3 }),
    l: Object.freeze([1, 2]),
  });
  const out = mergePatch(target, { a: null, b: { c: null, e: 4 }, l: [9], n: { x: 1 } });
  assert.deepEqual(out, { b: { d: 3, e: 4 }, l: [9], n: { x: 1 } });
  assert.deepEqual(target, { a: 1, b: { c: 2, d: 3 }, l: [1, 2] });
  assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
});

test('strategic merge: $patch replace swaps a map, $patch delete removes it, directives are dropped', () => {
  const target = {
    spec: {
      template: { metadata: { labels: { a: '1' }, annotations: { x: 'y' } }, spec: { c: 1 } },
      keep: true,
    },
  };
  const out = strategicMergePatch(target, {
    spec: { template: { metadata: { labels: { a: '2' } }, $patch: 'replace' } },
  });
  assert.deepEqual(out, { spec: { template: { metadata: { labels: { a: '2' } } }, keep: true } });
  assert.deepEqual(strategicMergePatch(target, { spec: { template: { $patch: 'delete' } } }), {
    spec: { keep: true },
  });
  const lists = strategicMergePatch(
    { l: [1, 2], m: { a: 1 } },
    { l: [3], '$setElementOrder/l': [3], m: { b: 2 }, $retainKeys: ['m'] },
  );
  assert.deepEqual(lists, { l: [3], m: { a: 1, b: 2 } });
});

test('JSON patch (RFC 6902): add, remove, replace, move, copy, test, escaped pointers', () => {
  const target = { a: { 'x/y': 1, 'm~n': 2 }, l: [1, 2, 3] };
  const out = jsonPatch(target, [
    { op: 'add', path: '/l/-', value: 4 },
    { op: 'add', path: '/l/0', value: 0 },
    { op: 'remove', path: '/l/1' },
    { op: 'replace', path: '/a/x~1y', value: 10 },
    { op: 'test', path: '/a/m~0n', value: 2 },
    { op: 'move', from: '/a/m~0n', path: '/moved' },
    { op: 'copy', from: '/moved', path: '/copied' },
  ]);
  assert.deepEqual(out, { a: { 'x/y': 10 }, l: [0, 2, 3, 4], moved: 2, copied: 2 });
  assert.deepEqual(target.l, [1, 2, 3]);
});

test('JSON patch failures are 422 Invalid: a failed test, a missing path, an index out of range', () => {
  const target = { a: { b: 1 }, l: [1] };
  assert.throws(() => jsonPatch(target, [{ op: 'test', path: '/a/b', value: 2 }]), InvalidError);
  assert.throws(() => jsonPatch(target, [{ op: 'remove', path: '/a/zz' }]), InvalidError);
  assert.throws(
    () => jsonPatch(target, [{ op: 'replace', path: '/nope/x', value: 1 }]),
    InvalidError,
  );
  assert.throws(() => jsonPatch(target, [{ op: 'add', path: '/l/5', value: 1 }]), InvalidError);
  assert.throws(() => jsonPatch(target, [{ op: 'add', path: 'no-slash', value: 1 }]), InvalidError);
  // test compares values, not key order
  assert.doesNotThrow(() =>
    jsonPatch({ o: { x: 1, y: 2 } }, [{ op: 'test', path: '/o', value: { y: 2, x: 1 } }]),
  );
});
