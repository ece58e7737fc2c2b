import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjects } from './load.js';
import { checkShapes } from './shape.js';

const shapeError = (yaml: string): string => {
  try {
    checkShapes(parseObjects(yaml, 'f.yaml'));
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

test('well-formed objects pass, nulls included (kubectl prints creationTimestamp: null)', () => {
  assert.equal(
    shapeError(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, creationTimestamp: null, labels: {a: "1"}}\nspec: {nodeName: n, tolerations: [{key: k, operator: Exists}]}\nstatus: {phase: Running, conditions: [{type: Ready, status: "True", lastProbeTime: null}]}\n',
    ),
    '',
  );
});

test('wrong types are reported with file, line, object and field path', () => {
  assert.equal(
    shapeError(
      'apiVersion: v1\nkind: Node\nmetadata: {name: a}\nspec: {taints: [{key: k, effect: 3}]}\n',
    ),
    'f.yaml:1: The Node "a" is invalid: spec.taints[0].effect: Invalid value: 3: must be a string',
  );
  assert.equal(
    shapeError('kind: Pod\nmetadata: {name: p, labels: {v: 1.8}}\n'),
    'f.yaml:1: The Pod "p" is invalid: metadata.labels[v]: Invalid value: 1.8: must be a string (quote it)',
  );
  assert.equal(
    shapeError('kind: DaemonSet\nmetadata: {name: d}\nspec: {template: {spec: {containers: x}}}\n'),
    'f.yaml:1: The DaemonSet "d" is invalid: spec.template.spec.containers: Invalid value: "x": must be a list',
  );
  assert.equal(
    shapeError('kind: ControllerRevision\nmetadata: {name: r}\nrevision: "2"\n'),
    'f.yaml:1: The ControllerRevision "r" is invalid: revision: Invalid value: "2": must be an integer',
  );
});

test('issue 17 item 6: a malformed node is refused at the boundary with its file and line', () => {
  assert.equal(
    shapeError('kind: Node\nmetadata: {name: a}\nspec: {taints: [{key: k, effect: Bogus}]}\n'),
    'f.yaml:1: The Node "a" is invalid: spec.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  );
  assert.equal(
    shapeError('kind: Node\nmetadata: {name: a}\nspec: {taints: oops}\n'),
    'f.yaml:1: The Node "a" is invalid: spec.taints: Invalid value: "oops": must be a list',
  );
  // null is absent, as Go reads it: taints: null is a node without taints.
  assert.equal(shapeError('kind: Node\nmetadata: {name: a}\nspec: {taints: null}\n'), '');
  assert.equal(
    shapeError('kind: Node\nmetadata: {name: a, creationTimestamp: "2026-02-30T00:00:00Z"}\n'),
    'f.yaml:1: The Node "a" is invalid: metadata.creationTimestamp: Invalid value: "2026-02-30T00:00:00Z": must be an RFC 3339 time such as "2026-11-28T21:00:00Z"',
  );
});
