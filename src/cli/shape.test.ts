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
    'f.yaml:1: Node "a": spec.taints[0].effect: expected a string, got number 3',
  );
  assert.equal(
    shapeError('kind: Pod\nmetadata: {name: p, labels: {v: 1.8}}\n'),
    'f.yaml:1: Pod "p": metadata.labels.v: expected a string, got number 1.8 (quote it)',
  );
  assert.equal(
    shapeError('kind: DaemonSet\nmetadata: {name: d}\nspec: {template: {spec: {containers: x}}}\n'),
    'f.yaml:1: DaemonSet "d": spec.template.spec.containers: expected a list, got the string "x"',
  );
  assert.equal(
    shapeError('kind: ControllerRevision\nmetadata: {name: r}\nrevision: "2"\n'),
    'f.yaml:1: ControllerRevision "r": revision: expected a number, got the string "2"',
  );
});
