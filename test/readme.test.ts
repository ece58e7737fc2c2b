/**
 * The README's examples are tests: every documented `$ everynode plan ...` (or `everynode sim`)
 * block that shows output is run as a person would run it (the CLI, standard output into a
 * pipe, no colour), and its output must be the block's, line for line. A documented command must
 * pin --now so that its output does not depend on the day. Commands that need a cluster
 * (rollout, run, dashboard, `plan ds/NAME`) and pipelines are not run here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface Example {
  readonly line: number;
  readonly args: string[];
  readonly output: string[];
}

/** The indented blocks that start with "$ everynode plan|sim", with their command and output. */
function examples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {4}\$ (everynode (?:plan|sim)\b.*)$/.exec(lines[i]!);
    if (m === null) continue;
    const start = i + 1;
    let cmd = m[1]!;
    while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    const output: string[] = [];
    // The block goes on while lines are indented (blank lines inside it included).
    while (i + 1 < lines.length && (lines[i + 1]!.startsWith('    ') || lines[i + 1] === '')) {
      if (/^ {4}\$ /.test(lines[i + 1]!)) break;
      output.push(lines[++i]!.slice(4));
    }
    while (output.length > 0 && output.at(-1) === '') output.pop();
    const args = cmd.split(/\s+/).slice(1);
    // A pipeline, or the live form (ds/NAME reads a cluster), is not runnable offline.
    const live = args.some((a) => /^(ds|ends|daemonsets?)\//.test(a));
    if (output.length > 0 && !cmd.includes('|') && !live) out.push({ line: start, args, output });
  }
  return out;
}

const readme = readFileSync('README.md', 'utf8');
const found = examples(readme);

test('the README shows plan examples with their output', () => {
  assert.ok(found.length >= 2, `${found.length} examples found`);
});

for (const ex of found) {
  test(`README line ${ex.line}: everynode ${ex.args.slice(0, 2).join(' ')} …`, () => {
    assert.ok(
      ex.args.includes('--now') || ex.args[0] !== 'plan',
      `README line ${ex.line}: pin --now in a documented plan example`,
    );
    const r = spawnSync(process.execPath, ['bin/everynode.js', ...ex.args], {
      encoding: 'utf8',
      env: { ...process.env, EVERYNODE_FROM_SOURCE: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const actual = r.stdout
      .replace(/\n+$/, '')
      .split('\n')
      .map((l) => l.trimEnd());
    assert.deepEqual(
      actual,
      ex.output.map((l) => l.trimEnd()),
      `README line ${ex.line} differs from what the command prints; update the README`,
    );
  });
}
