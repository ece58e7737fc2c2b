import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expectKind, loadObjects, parseObjects } from './load.js';
import { UsageError } from './errors.js';

test('several YAML documents give several objects with their lines', () => {
  const text = `# nodes\napiVersion: v1\nkind: Node\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: b\n`;
  const objs = parseObjects(text, 'nodes.yaml');
  assert.deepEqual(
    objs.map((o) => [o.object.metadata?.name, o.source.doc, o.source.line]),
    [
      ['a', 0, 2],
      ['b', 2, 8],
    ],
  );
});

test('a List is flattened, each item with its own line', () => {
  const text = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p1\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p2\nmetadata:\n  resourceVersion: ""\n`;
  const objs = parseObjects(text, 'pods.yaml');
  assert.deepEqual(
    objs.map((o) => [o.object.kind, o.object.metadata?.name, o.source.item, o.source.line]),
    [
      ['Pod', 'p1', 0, 4],
      ['Pod', 'p2', 1, 8],
    ],
  );
});

test('typed lists from the API get their item kind filled in', () => {
  const json = JSON.stringify({
    apiVersion: 'v1',
    kind: 'NodeList',
    items: [{ metadata: { name: 'n' } }],
  });
  const [obj] = parseObjects(json, 'nodes.json');
  assert.equal(obj?.object.kind, 'Node');
  assert.equal(obj?.object.apiVersion, 'v1');
});

test('JSON files load', () => {
  const objs = parseObjects(
    '{\n  "apiVersion": "v1",\n  "kind": "Node",\n  "metadata": {"name": "x"}\n}\n',
    'n.json',
  );
  assert.equal(objs.length, 1);
  assert.equal(objs[0]?.source.line, 1);
});

test('an empty file has no objects', () => {
  assert.deepEqual(parseObjects('', 'e.yaml'), []);
  assert.deepEqual(parseObjects('# nothing\n---\n', 'e.yaml'), []);
});

test('parse errors name file, line and column', () => {
  assert.throws(
    () => parseObjects('kind: Node\nmetadata:\n  name: [a\n  x: 1\n', 'bad.yaml'),
    (err: unknown) => err instanceof UsageError && /^bad\.yaml:\d+:\d+: /.test(err.message),
  );
  assert.throws(
    () => parseObjects('kind: Node\nkind: Pod\n', 'dup.yaml'),
    (err: unknown) =>
      err instanceof UsageError && err.message.startsWith('dup.yaml:2:1: Map keys must be unique'),
  );
});

test('documents that are not objects are rejected', () => {
  assert.throws(() => parseObjects('- a\n- b\n', 'l.yaml'), /l\.yaml:1: document is a list/);
  assert.throws(() => parseObjects('metadata: {}\n', 'k.yaml'), /k\.yaml:1: document has no kind/);
});

test('expectKind names file, line, kind and name', () => {
  const objs = parseObjects(
    'apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\n',
    'nodes.yaml',
  );
  assert.throws(() => expectKind(objs, ['Node'], 'nodes.yaml'), {
    message: 'nodes.yaml:5: expected kind Node, got Pod "x"',
  });
});

test('expectKind accepts both DaemonSet apiVersions and rejects others', () => {
  const ok = parseObjects(
    'apiVersion: apps.everynode.dev/v1alpha1\nkind: DaemonSet\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: b}\n',
    'ds.yaml',
  );
  assert.equal(expectKind(ok, ['DaemonSet'], 'ds.yaml').length, 2);
  const old = parseObjects(
    'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata: {name: a}\n',
    'ds.yaml',
  );
  assert.throws(
    () => expectKind(old, ['DaemonSet'], 'ds.yaml'),
    /ds\.yaml:1: DaemonSet "a": apiVersion extensions\/v1beta1 is not supported/,
  );
});

test('loadObjects reads files and "-" from the given stdin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-load-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'n.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: Node\nmetadata: {name: a}\n');
  assert.equal((await loadObjects(file)).length, 1);
  const stdin = Readable.from([
    'apiVersion: v1\nkind: Node\n',
    Buffer.from('metadata: {name: b}\n'),
  ]);
  const [fromStdin] = await loadObjects('-', { stdin });
  assert.equal(fromStdin?.object.metadata?.name, 'b');
  assert.equal(fromStdin?.source.file, '<stdin>');
  await assert.rejects(
    loadObjects(join(dir, 'missing.yaml')),
    (err: unknown) => err instanceof UsageError && /missing\.yaml: no such file$/.test(err.message),
  );
});
