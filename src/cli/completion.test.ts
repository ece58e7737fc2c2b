import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { commandSpecs, completionScript, registerCompletion } from './completion.js';
import { registerPlan } from './plan.js';
import { registerRollout } from './rollout.js';
import { registerRun } from './run.js';
import { registerSim } from './sim.js';

function program(): Command {
  const p = new Command().name('everynode').version('0.1.0');
  for (const r of [registerPlan, registerSim, registerRun, registerRollout, registerCompletion])
    r(p);
  return p;
}

const has = (shell: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' }).status === 0;

// A directory with two files, for file-name completion.
const dir = mkdtempSync(join(tmpdir(), 'everynode-completion-'));
writeFileSync(join(dir, 'scenario-a.yaml'), '');
writeFileSync(join(dir, 'scenario-b.yaml'), '');

/** Completions bash offers for the words typed (the last one is where the cursor is). */
function bash(typed: readonly string[]): string[] {
  const script = completionScript(program(), 'bash');
  const words = typed.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${typed.length - 1}; _everynode; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('the spec follows the command tree: subcommands, options, choices, file options', () => {
  const specs = commandSpecs(program());
  const root = specs.find((s) => s.path === '')!;
  assert.deepEqual(
    root.subcommands.map((c) => c.name),
    ['plan', 'sim', 'run', 'rollout', 'completion'],
  );
  const run = specs.find((s) => s.path === 'run')!;
  const resource = run.options.find((o) => o.names.includes('--resource'))!;
  assert.deepEqual(resource.choices, ['crd', 'native']);
  assert.equal(run.options.find((o) => o.names.includes('--kubeconfig'))?.file, true);
  assert.equal(run.options.find((o) => o.names.includes('--qps'))?.file, false);
  assert.ok(specs.some((s) => s.path === 'rollout undo'));
  assert.deepEqual(specs.find((s) => s.path === 'completion')?.argChoices, ['bash', 'zsh', 'fish']);
  assert.throws(() => completionScript(program(), 'tcsh'), /unknown shell "tcsh"/);
});

test('bash: subcommands, nested subcommands, options, choices (also after =), files', () => {
  assert.deepEqual(bash(['everynode', '']), ['plan', 'sim', 'run', 'rollout', 'completion']);
  assert.deepEqual(bash(['everynode', 'rollout', 're']), ['restart', 'resume', 'retry']);
  assert.deepEqual(bash(['everynode', 'run', '--resource', '']), ['crd', 'native']);
  // bash splits --resource=n into three words at '='.
  assert.deepEqual(bash(['everynode', 'run', '--resource', '=', 'n']), ['native']);
  assert.ok(bash(['everynode', 'run', '--lea']).includes('--leader-elect'));
  // An option's value is skipped when finding the command path.
  assert.deepEqual(
    bash(['everynode', 'rollout', '-n', 'rollout', 'status', '--kubeconfig', 'x', '--w']),
    ['--watch'],
  );
  assert.deepEqual(bash(['everynode', 'sim', 'scenario-']).sort(), [
    'scenario-a.yaml',
    'scenario-b.yaml',
  ]);
  assert.deepEqual(bash(['everynode', 'run', '--kubeconfig', 'scenario-b']), ['scenario-b.yaml']);
  assert.deepEqual(bash(['kubectl-everynode', 'completion', '']), ['bash', 'zsh', 'fish']);
  // A value with no fixed choices and no file: nothing to offer.
  assert.deepEqual(bash(['everynode', 'run', '--qps', '']), []);
});

describe('zsh and fish load the scripts and complete', () => {
  test('zsh', { skip: has('zsh') ? false : 'zsh is not installed (apt-get install zsh)' }, () => {
    // compadd and _files exist only inside the completion system: record what would be offered.
    const script = completionScript(program(), 'zsh');
    const run = (typed: string[]): string => {
      const words = typed.map((w) => `'${w}'`).join(' ');
      const r = spawnSync(
        'zsh',
        [
          '-fc',
          `compdef() { :; }; compadd() { shift $(( $# > 0 && $1 == -P ? 2 : 0 )); [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print FILES; }\n${script}\nwords=(${words}); CURRENT=${typed.length}; _everynode`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(
      run(['everynode', 'rollout', '']),
      'status\nhistory\nundo\nrestart\npause\nresume\npromote\nabort\nretry\nfreeze\nunfreeze',
    );
    assert.equal(run(['everynode', 'run', '--resource', '']), 'crd\nnative');
    assert.equal(run(['everynode', 'sim', '']), 'FILES');
  });

  test(
    'fish',
    { skip: has('fish') ? false : 'fish is not installed (apt-get install fish)' },
    () => {
      const script = completionScript(program(), 'fish');
      const file = join(dir, 'everynode.fish');
      writeFileSync(file, script);
      const complete = (line: string): string[] => {
        const r = spawnSync(
          'fish',
          ['--no-config', '-c', `source ${file}; complete -C '${line}'`],
          {
            cwd: dir,
            encoding: 'utf8',
          },
        );
        assert.equal(r.status, 0, r.stderr);
        return r.stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split('\t')[0]!);
      };
      assert.deepEqual(complete('everynode rollout '), [
        'abort',
        'freeze',
        'history',
        'pause',
        'promote',
        'restart',
        'resume',
        'retry',
        'status',
        'undo',
        'unfreeze',
      ]);
      assert.deepEqual(complete('everynode run --resource '), ['crd', 'native']);
      assert.ok(complete('everynode rollout undo --').includes('--dry-run'));
      assert.deepEqual(complete('kubectl-everynode completion '), ['bash', 'fish', 'zsh']);
    },
  );
});
