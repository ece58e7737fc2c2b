import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SelectorParseError,
  isEmptyLabelSelector,
  labelSelectorAsSelector,
  labelSelectorProblems,
  sameLabels,
} from './labels.js';
import { parseSelector } from './selectorparse.js';
import type { LabelSelector } from './types.js';

test('labelSelectorAsSelector: nil matches nothing, {} matches everything', () => {
  const nothing = labelSelectorAsSelector(undefined);
  assert.equal(nothing.nothing, true);
  assert.equal(nothing.matches({}), false);
  assert.equal(nothing.matches({ a: 'b' }), false);
  assert.equal(labelSelectorAsSelector(null).nothing, true);
  const all = labelSelectorAsSelector({});
  assert.equal(all.empty, true);
  assert.equal(all.matches({}), true);
  assert.equal(all.matches(undefined), true);
  assert.equal(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).empty, true);
});

test('labelSelectorAsSelector: operators table', () => {
  const rows: [LabelSelector, Record<string, string>, boolean][] = [
    [{ matchLabels: { a: 'b' } }, { a: 'b', c: 'd' }, true],
    [{ matchLabels: { a: 'b' } }, { a: 'c' }, false],
    [{ matchLabels: { a: 'b' } }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] }, { a: 'y' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] }, { a: 'z' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, { a: 'x' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, { a: 'y' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: 'x' }, false],
    [
      { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] },
      { a: 'b' },
      false, // requirements are ANDed
    ],
  ];
  for (const [sel, labels, want] of rows) {
    assert.equal(
      labelSelectorAsSelector(sel).matches(labels),
      want,
      `${JSON.stringify(sel)} vs ${JSON.stringify(labels)}`,
    );
  }
});

test('labelSelectorAsSelector: errors carry the field path', () => {
  const rows: [LabelSelector, string][] = [
    [{ matchExpressions: [{ key: 'a', operator: 'Foo' }] }, 'matchExpressions[0].operator'],
    [
      {
        matchExpressions: [
          { key: 'a', operator: 'Exists' },
          { key: 'b', operator: 'In' },
        ],
      },
      'matchExpressions[1].values',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'matchExpressions[0].values',
    ],
    [{ matchExpressions: [{ key: 'bad key', operator: 'Exists' }] }, 'matchExpressions[0].key'],
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] },
      'matchExpressions[0].values[1]',
    ],
    [{ matchLabels: { 'a/b/c': 'x' } }, 'matchLabels'],
    [{ matchLabels: { a: '-x' } }, 'matchLabels'],
  ];
  for (const [sel, field] of rows) {
    assert.throws(
      () => labelSelectorAsSelector(sel),
      (e: unknown) => e instanceof SelectorParseError && e.field === field,
      field,
    );
  }
});

test('labelSelectorProblems: upstream wording', () => {
  const problems = labelSelectorProblems({
    matchExpressions: [
      { key: 'a', operator: 'Foo' },
      { key: 'b', operator: 'In' },
      { key: 'c', operator: 'DoesNotExist', values: ['x'] },
    ],
  });
  assert.deepEqual(
    problems.map((p) => [p.type, p.field, p.detail]),
    [
      ['Invalid', 'matchExpressions[0].operator', 'not a valid selector operator'],
      [
        'Required',
        'matchExpressions[1].values',
        "must be specified when `operator` is 'In' or 'NotIn'",
      ],
      [
        'Forbidden',
        'matchExpressions[2].values',
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    ],
  );
});

test('isEmptyLabelSelector', () => {
  assert.equal(isEmptyLabelSelector(undefined), false);
  assert.equal(isEmptyLabelSelector({}), true);
  assert.equal(isEmptyLabelSelector({ matchLabels: {} }), true);
  assert.equal(isEmptyLabelSelector({ matchLabels: { a: 'b' } }), false);
});

test('toString: sorted by key, kubectl form', () => {
  const s = labelSelectorAsSelector({
    matchLabels: { tier: 'x' },
    matchExpressions: [
      { key: 'b', operator: 'NotIn', values: ['z', 'y'] },
      { key: 'a', operator: 'Exists' },
      { key: 'c', operator: 'DoesNotExist' },
      { key: 'app', operator: 'In', values: ['q'] },
    ],
  });
  assert.equal(String(s), 'a,app in (q),b notin (y,z),!c,tier=x');
});

test('parseSelector: table', () => {
  const rows: [string, Record<string, string>, boolean][] = [
    ['', { a: 'b' }, true],
    ['a=b', { a: 'b' }, true],
    ['a==b', { a: 'b' }, true],
    ['a!=b', { a: 'b' }, false],
    ['a!=b', {}, true],
    ['a in (x, y)', { a: 'y' }, true],
    ['a in ()', { a: '' }, true],
    ['a in (x,)', { a: '' }, true],
    ['a notin (x,y)', { a: 'y' }, false],
    ['a', { a: '' }, true],
    ['!a', { a: '' }, false],
    ['a=b,c', { a: 'b' }, false],
    ['a=b, !c', { a: 'b' }, true],
    ['a=', { a: '' }, true],
    ['n>3', { n: '4' }, true],
    ['n<3', { n: '4' }, false],
    ['example.com/app=x', { 'example.com/app': 'x' }, true],
  ];
  for (const [text, labels, want] of rows)
    assert.equal(parseSelector(text).matches(labels), want, text);
});

test('parseSelector: errors', () => {
  for (const bad of [
    'a in (x',
    'a=b=c',
    'in=a',
    '!a=b',
    'a b',
    ',',
    'a=b,',
    'bad key=1',
    'a=-x',
    'n>x',
  ]) {
    assert.throws(() => parseSelector(bad), SelectorParseError, bad);
  }
});

const keyArb = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
const valueArb = fc
  .stringMatching(/^[a-z0-9]{0,4}$/)
  .filter((v) => v === '' || /^[a-z0-9]/.test(v));
const labelsArb = fc.dictionary(keyArb, valueArb, { maxKeys: 5 });

test('property: a selector built from a label map matches that map', () => {
  fc.assert(
    fc.property(labelsArb, labelsArb, (labels, extra) => {
      const sel = labelSelectorAsSelector({ matchLabels: labels });
      assert.ok(sel.matches(labels));
      assert.ok(sel.matches({ ...extra, ...labels }));
    }),
  );
});

test('property: NotIn is the negation of In when the key exists', () => {
  fc.assert(
    fc.property(
      keyArb,
      fc.array(valueArb, { minLength: 1, maxLength: 4 }),
      valueArb,
      (key, values, value) => {
        const inSel = labelSelectorAsSelector({
          matchExpressions: [{ key, operator: 'In', values }],
        });
        const notIn = labelSelectorAsSelector({
          matchExpressions: [{ key, operator: 'NotIn', values }],
        });
        assert.equal(notIn.matches({ [key]: value }), !inSel.matches({ [key]: value }));
        assert.equal(notIn.matches({}), true);
        assert.equal(inSel.matches({}), false);
      },
    ),
  );
});

const exprArb = fc.record({
  key: keyArb,
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
  values: fc.array(valueArb, { minLength: 1, maxLength: 3 }),
});
const selectorArb = fc.record({
  matchLabels: labelsArb,
  matchExpressions: fc
    .array(exprArb, { maxLength: 3 })
    .map((exprs) =>
      exprs.map((e) =>
        e.operator === 'Exists' || e.operator === 'DoesNotExist'
          ? { key: e.key, operator: e.operator }
          : e,
      ),
    ),
});

// Upstream's selector lexer reads `in` and `notin` as keywords wherever they stand, so a label key
// spelled that way has no string form (labels.Parse("in=x") fails in Go too); the round trip is a
// property of every other key.
const usesKeyword = (s: {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string }[];
}) =>
  ['in', 'notin'].some((k) => k in s.matchLabels || s.matchExpressions.some((e) => e.key === k));

test('keys spelled like the keywords in and notin do not parse, as upstream', () => {
  assert.throws(() => parseSelector('in=x'), /found "in" at position 0/);
  assert.throws(() => parseSelector('!notin'), /found "notin" at position 1/);
  assert.equal(String(parseSelector('a in (in)')), 'a in (in)');
});

test('property: the string form round-trips through parseSelector', () => {
  fc.assert(
    fc.property(selectorArb, labelsArb, (selector, labels) => {
      fc.pre(!usesKeyword(selector));
      const sel = labelSelectorAsSelector(selector);
      const reparsed = parseSelector(String(sel));
      assert.equal(String(reparsed), String(sel));
      assert.equal(reparsed.matches(labels), sel.matches(labels));
    }),
  );
});

test('sameLabels: the same keys and values in any order; absent reads as empty', () => {
  assert.equal(sameLabels({ a: '1', b: '2' }, { b: '2', a: '1' }), true);
  assert.equal(sameLabels(undefined, {}), true);
  assert.equal(sameLabels(null, undefined), true);
  assert.equal(sameLabels({ a: '1' }, { a: '2' }), false);
  assert.equal(sameLabels({ a: '1' }, { b: '1' }), false);
  assert.equal(sameLabels({ a: '1' }, { a: '1', b: '2' }), false);
  assert.equal(sameLabels({ a: '1' }, undefined), false);
});
