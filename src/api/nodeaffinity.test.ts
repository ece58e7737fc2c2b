import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidNodeSelectorError,
  matchNodeSelectorLabels,
  matchNodeSelectorTerms,
} from './nodeaffinity.js';
import { validateNodeSelector } from './schedvalidation.js';
import type { Node, NodeSelector, NodeSelectorTerm } from './types.js';

const L1 = { name: 'simple-daemon', type: 'production' };
const L2 = { name: 'simple-daemon', type: 'test' };
const NL1 = { color: 'blue', speed: 'fast' };

function node(name: string, labels: Record<string, string> = {}): Node {
  return { metadata: { name, labels } };
}
function terms(...t: NodeSelectorTerm[]): NodeSelector {
  return { nodeSelectorTerms: t };
}

test('scenario 10 (pure rows): nodeSelector and required affinity against test-node with L1', () => {
  const testNode = node('test-node', L1);
  assert.equal(matchNodeSelectorLabels(testNode, undefined).matches, true, 'no selector');
  assert.equal(matchNodeSelectorLabels(testNode, {}).matches, true, 'empty selector');
  assert.deepEqual(matchNodeSelectorLabels(testNode, L2), {
    matches: false,
    reason: 'nodeSelector wants type=test; node has type=production',
  });
  assert.deepEqual(matchNodeSelectorLabels(testNode, L1), { matches: true, reason: '' });
  assert.equal(
    matchNodeSelectorTerms(
      testNode,
      terms({ matchExpressions: [{ key: 'type', operator: 'In', values: ['test'] }] }),
    ).matches,
    false,
  );
  assert.equal(
    matchNodeSelectorTerms(
      testNode,
      terms({ matchExpressions: [{ key: 'type', operator: 'In', values: ['production'] }] }),
    ).matches,
    true,
  );
});

test('scenario 11 (pure): nodeSelector NL1 matches only labelled nodes; missing label is named', () => {
  assert.equal(matchNodeSelectorLabels(node('node-4', NL1), NL1).matches, true);
  assert.deepEqual(matchNodeSelectorLabels(node('node-0'), { type: 'test' }), {
    matches: false,
    reason: 'nodeSelector wants type=test; node has no label "type"',
  });
});

test('scenario 13 (pure): terms are ORed: zone In [test] OR metadata.name In [node-1]', () => {
  const sel = terms(
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['test'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
  );
  const nodes = [
    node('node-0'),
    node('node-1'),
    node('node-2', { zone: 'test' }),
    node('node-3', { zone: 'test' }),
    node('node-4'),
    node('node-5'),
  ];
  assert.deepEqual(
    nodes.filter((n) => matchNodeSelectorTerms(n, sel).matches).map((n) => n.metadata!.name),
    ['node-1', 'node-2', 'node-3'],
  );
  assert.equal(
    matchNodeSelectorTerms(node('node-0'), sel).reason,
    'no nodeSelectorTerm matches: term 0: node has no label "zone", wanted in [test] (nodeSelectorTerms[0].matchExpressions[0]); ' +
      'term 1: node name is "node-0", not in [node-1] (nodeSelectorTerms[1].matchFields[0])',
  );
});

test('matchExpressions operators: table', () => {
  const n = node('n1', { color: 'red', cpu: '8', bad: 'x' });
  const rows: [string, string[] | undefined, boolean, string?][] = [
    ['color In', ['red', 'blue'], true],
    [
      'color In',
      ['blue'],
      false,
      'node label "color" is "red", not in [blue] (nodeSelectorTerms[0].matchExpressions[0])',
    ],
    ['absent In', ['x'], false],
    ['color NotIn', ['blue'], true],
    ['color NotIn', ['red'], false],
    ['absent NotIn', ['x'], true],
    ['color Exists', undefined, true],
    ['absent Exists', undefined, false],
    ['absent DoesNotExist', undefined, true],
    ['color DoesNotExist', undefined, false],
    ['cpu Gt', ['4'], true],
    [
      'cpu Gt',
      ['8'],
      false,
      'node label "cpu" is "8", not greater than 8 (nodeSelectorTerms[0].matchExpressions[0])',
    ],
    ['cpu Lt', ['9'], true],
    ['cpu Lt', ['8'], false],
    ['bad Gt', ['1'], false],
    ['absent Lt', ['1'], false],
  ];
  for (const [spec, values, want, reason] of rows) {
    const [key, operator] = spec.split(' ') as [string, string];
    const r = matchNodeSelectorTerms(
      n,
      terms({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }),
    );
    assert.equal(r.matches, want, spec);
    if (want) assert.equal(r.reason, '');
    else assert.notEqual(r.reason, '');
    if (reason !== undefined) assert.equal(r.reason, reason);
  }
});

test('matchFields: only metadata.name with In/NotIn and exactly one value; anything else throws', () => {
  const n = node('n1');
  const field = (key: string, operator: string, values: string[]): NodeSelector =>
    terms({ matchFields: [{ key, operator, values }] });
  assert.equal(matchNodeSelectorTerms(n, field('metadata.name', 'In', ['n1'])).matches, true);
  assert.equal(matchNodeSelectorTerms(n, field('metadata.name', 'NotIn', ['n1'])).matches, false);
  assert.equal(matchNodeSelectorTerms(n, field('metadata.name', 'NotIn', ['n2'])).matches, true);
  // What validation refuses is an error, never "matches no node" (issue 17 item 2).
  for (const sel of [
    field('metadata.name', 'In', ['n1', 'n2']),
    field('metadata.name', 'Exists', []),
    field('metadata.foo', 'In', ['bar']),
    field('metadata.foo', 'NotIn', ['bar']),
  ]) {
    assert.throws(() => matchNodeSelectorTerms(n, sel), InvalidNodeSelectorError);
  }
});

test('issue 17 item 2: a selector validation refuses throws; empty terms and Gt "x" match nothing', () => {
  const n = node('n1', { a: 'b' });
  assert.equal(matchNodeSelectorTerms(n, terms({})).matches, false);
  assert.match(matchNodeSelectorTerms(n, terms({})).reason, /nodeSelectorTerms\[0\] is empty/);
  // Gt with a value that is no integer passes validation and fails to parse when matching.
  const gtX = terms({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['x'] }] });
  assert.equal(matchNodeSelectorTerms(n, gtX).matches, false);
  assert.match(matchNodeSelectorTerms(n, gtX).reason, /invalid requirement/);
  const refused: NodeSelector[] = [
    terms(),
    {} as NodeSelector,
    { nodeSelectorTerms: 'oops' } as unknown as NodeSelector,
    terms({ matchExpressions: 'x' } as unknown as NodeSelectorTerm),
    terms({ matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] }),
    terms({ matchExpressions: [{ key: 'a', operator: 'in', values: ['b'] }] }),
    terms({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
    terms({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }),
    terms({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1', '2'] }] }),
    terms({ matchExpressions: [{ key: 'bad key', operator: 'Exists' }] }),
    // Even when another term would match: the whole selector is refused.
    terms(
      { matchExpressions: [{ key: 'a', operator: 'Exists' }] },
      { matchExpressions: [{ key: 'a', operator: 'Foo', values: ['b'] }] },
    ),
  ];
  for (const sel of refused) {
    assert.throws(
      () => matchNodeSelectorTerms(n, sel),
      InvalidNodeSelectorError,
      JSON.stringify(sel),
    );
  }
  assert.throws(
    () => matchNodeSelectorTerms(n, refused[4]!),
    /invalid required node affinity: affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.operator: Invalid value: "Near": not a valid selector operator/,
  );
});

const nameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);

test('property: a matchFields metadata.name In [n] term matches exactly node n', () => {
  fc.assert(
    fc.property(nameArb, nameArb, (target, other) => {
      const sel = terms({
        matchFields: [{ key: 'metadata.name', operator: 'In', values: [target] }],
      });
      assert.equal(matchNodeSelectorTerms(node(target), sel).matches, true);
      assert.equal(matchNodeSelectorTerms(node(other), sel).matches, other === target);
    }),
  );
});

const anyTermArb: fc.Arbitrary<NodeSelectorTerm> = fc.record({
  matchExpressions: fc.array(
    fc.record({
      key: fc.constantFrom('a', 'b', 'c', 'bad key'),
      operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Bogus', 'in'),
      values: fc.array(fc.constantFrom('1', '2', 'x'), { maxLength: 2 }),
    }),
    { maxLength: 2 },
  ),
});
const isValid = (t: NodeSelectorTerm): boolean =>
  validateNodeSelector(terms(t), 'sel').length === 0;
const termArb = anyTermArb.filter(isValid);
const labelsArb = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2', 'x'));

test('property: matching throws exactly when validation refuses the selector', () => {
  fc.assert(
    fc.property(fc.array(anyTermArb, { minLength: 1, maxLength: 3 }), labelsArb, (ts, labels) => {
      const sel = terms(...ts);
      const valid = validateNodeSelector(sel, 'sel').length === 0;
      let threw = false;
      try {
        matchNodeSelectorTerms(node('n', labels), sel);
      } catch (err) {
        assert.ok(err instanceof InvalidNodeSelectorError);
        threw = true;
      }
      assert.equal(threw, !valid);
    }),
  );
});

test('property: ORing a term never reduces matches', () => {
  fc.assert(
    fc.property(
      fc.array(termArb, { minLength: 1, maxLength: 3 }),
      termArb,
      labelsArb,
      (ts, extra, labels) => {
        const n = node('n', labels);
        const before = matchNodeSelectorTerms(n, terms(...ts)).matches;
        const after = matchNodeSelectorTerms(n, terms(...ts, extra)).matches;
        if (before) assert.equal(after, true);
        assert.equal(after, before || matchNodeSelectorTerms(n, terms(extra)).matches);
      },
    ),
  );
});
