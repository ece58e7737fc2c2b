// Issue 17 items 7 and 8 (input side): one bounded, validated input layer. Before these
// commits an alias bomb exited 1 without naming the file, /dev/zero was read to the end (600 MB
// before failing), nothing capped a file's size, and deep nesting overflowed the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadObjects, maxInputBytes, parseObjects, MAX_DOCUMENTS } from './load.js';
import { UsageError } from './errors.js';

const usage = (re: RegExp) => (err: unknown) => err instanceof UsageError && re.test(err.message);

test('an alias bomb is refused with the file named (exit 2, not 1)', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(
      `${cur}: &${cur} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
    );
  }
  lines.push('kind: Node');
  assert.throws(
    () => parseObjects(lines.join('\n'), 'bomb.yaml'),
    usage(/^bomb\.yaml: document 1: Excessive alias count/),
  );
});

test('anchors and aliases within the limit still load (through the yaml library)', () => {
  const [obj] = parseObjects(
    'kind: Node\nmetadata: {name: n, labels: &l {a: b}}\nspec: {x: *l}\n',
    'a.yaml',
  );
  assert.deepEqual(obj?.object.spec, { x: { a: 'b' } });
});

test('deep nesting is refused, not a stack overflow', () => {
  const deep = `kind: Node\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
  assert.throws(
    () => parseObjects(deep, 'deep.yaml'),
    usage(/^deep\.yaml: nested more than 100 levels deep/),
  );
  const block = `kind: Node\n${Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`;
  assert.throws(() => parseObjects(block, 'block.yaml'), usage(/nested more than 100 levels deep/));
});

test('items that are not a list are refused with the file and line', () => {
  assert.throws(
    () => parseObjects('apiVersion: v1\nkind: List\nitems: "nope"\n', 'l.yaml'),
    usage(/^l\.yaml:1: List: items must be a list$/),
  );
});

test('more documents than the limit are refused', () => {
  const text = 'kind: Node\n---\n'.repeat(MAX_DOCUMENTS + 1);
  assert.throws(() => parseObjects(text, 'many.yaml'), usage(/more than 100000 YAML documents/));
});

test('the input limit: a larger file or stdin stops at the limit; /dev/zero at its first chunk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-load-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'big.yaml');
  writeFileSync(file, `kind: Node\nmetadata: {name: a}\n# ${'x'.repeat(3000)}\n`);
  await assert.rejects(
    loadObjects(file, { maxBytes: 1024 }),
    usage(
      /big\.yaml: larger than 0 MiB, the input limit \(set EVERYNODE_MAX_INPUT_MB to raise it\)/,
    ),
  );
  assert.equal((await loadObjects(file, { maxBytes: 4096 })).length, 1);
  const stdin = Readable.from([Buffer.alloc(800, 'a'), Buffer.alloc(800, 'b')]);
  await assert.rejects(loadObjects('-', { stdin, maxBytes: 1024 }), usage(/^<stdin>: larger than/));
  const started = Date.now();
  await assert.rejects(
    loadObjects('/dev/zero'),
    usage(/^\/dev\/zero: not a text file \(it holds NUL bytes\)$/),
  );
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(loadObjects(dir), usage(/is a directory, expected a file$/));
});

test('EVERYNODE_MAX_INPUT_MB sets the limit; nonsense falls back to the default', () => {
  assert.equal(maxInputBytes({ EVERYNODE_MAX_INPUT_MB: '2' }), 2 * 2 ** 20);
  assert.equal(maxInputBytes({ EVERYNODE_MAX_INPUT_MB: 'lots' }), 256 * 2 ** 20);
  assert.equal(maxInputBytes({}), 256 * 2 ** 20);
});

test('the fast path and the yaml library agree on values, documents and lines', () => {
  const text =
    '# c\napiVersion: v1\nkind: List\nitems:\n  - kind: Node\n    metadata: {name: a, labels: {v: "1.8"}}\n\n  # between\n  - kind: Node\n    metadata:\n      name: b\n---\n{"kind": "Pod", "metadata": {"name": "p"}}\n';
  const fast = parseObjects(text, 'f.yaml');
  // An anchor sends the same text through the yaml library.
  const slow = parseObjects(text.replace('kind: List', 'kind: &k List'), 'f.yaml');
  const shape = (objs: typeof fast) =>
    objs.map((o) => [o.object.metadata?.name, o.source.doc, o.source.item, o.source.line]);
  assert.deepEqual(shape(fast), [
    ['a', 0, 0, 5],
    ['b', 0, 1, 9],
    ['p', 1, undefined, 13],
  ]);
  assert.deepEqual(shape(slow), shape(fast));
  assert.deepEqual(
    fast.map((o) => o.object),
    slow.map((o) => o.object),
  );
});

test('unquoted timestamps stay strings (the core schema, as the yaml library reads them)', () => {
  const [obj] = parseObjects(
    'kind: Node\nmetadata: {name: n, creationTimestamp: 2026-09-01T09:00:00Z}\n',
    'n.yaml',
  );
  assert.equal(obj?.object.metadata?.['creationTimestamp' as 'name'], '2026-09-01T09:00:00Z');
});
