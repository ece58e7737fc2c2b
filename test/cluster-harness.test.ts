/**
 * The real-cluster harness's pure parts, offline: the bad-image pattern and its kwok Stage file,
 * and the flag editing that restartComponent uses (scripts/cluster/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { flagValue, withFlags } from '../scripts/cluster/lib.js';
import {
  DEFAULT_BAD_IMAGE_PATTERNS,
  badImageRegex,
  writeBadImageStages,
} from '../scripts/cluster/stages.js';

test('the default bad-image pattern: a tag containing non-existent or does-not-exist', () => {
  const re = new RegExp(badImageRegex(DEFAULT_BAD_IMAGE_PATTERNS));
  for (const bad of [
    'registry.invalid/agent:does-not-exist',
    'nginx:non-existent',
    'example.com:5000/team/app:v2-does-not-exist-rc1',
    'app:non-existent@sha256:0123',
  ])
    assert.ok(re.test(bad), bad);
  for (const good of [
    'registry.invalid/agent:1',
    'does-not-exist/agent:1',
    'non-existent.example:5000/app:2',
    'nginx',
    'example.com:5000/non-existent',
  ])
    assert.ok(!re.test(good), good);
});

test('bad-image patterns: several are joined, a bad or empty one is refused by name', () => {
  assert.equal(badImageRegex([':broken$', '^quay\\.io/']), '(?::broken$)|(?:^quay\\.io/)');
  assert.throws(() => badImageRegex(['a(']), /--bad-image-pattern "a\(":/);
  assert.throws(() => badImageRegex(['']), /empty pattern would match every image/);
  assert.throws(() => badImageRegex([]), /at least one pattern/);
});

test('the bad-image Stages file: the pattern filled in, valid YAML, the pattern read back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'en-stages-'));
  try {
    const re = "it's:(x|y)\\d$";
    const file = writeBadImageStages(dir, re);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /__BAD_IMAGE_RE__/);
    interface StageDoc {
      metadata: { name: string };
      spec: {
        weight?: number;
        selector: { matchExpressions: { key: string }[] };
        next: { statusTemplate: string };
      };
    }
    const docs = text.split(/^---$/m).map((d) => parse(d) as StageDoc);
    assert.deepEqual(
      docs.map((d) => d.metadata.name),
      ['pod-image-pull-error', 'pod-image-pull-backoff'],
    );
    const key = docs[0]!.spec.selector.matchExpressions[2]!.key;
    assert.ok(key.includes(`test(${JSON.stringify(re)})`), key);
    assert.ok(docs[0]!.spec.next.statusTemplate.includes(`$re := ${JSON.stringify(re)}`));
    assert.equal(docs[0]!.spec.weight, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withFlags sets, replaces and removes --flag=value arguments; flagValue reads them', () => {
  const args = ['--a=1', '--controllers=*,-daemonset-controller', 'pos', '--b'];
  assert.deepEqual(withFlags(args, { '--controllers': '*', '--b': null, '--c': 'x' }), [
    '--a=1',
    'pos',
    '--controllers=*',
    '--c=x',
  ]);
  assert.equal(flagValue(args, '--controllers'), '*,-daemonset-controller');
  assert.equal(flagValue(args, '--missing'), undefined);
});
