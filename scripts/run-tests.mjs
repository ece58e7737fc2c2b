// Node 20's --test does not expand globs, so this script lists every test file explicitly and
// hands them to node's test runner (through tsx). Real-cluster tests live under test/cluster/
// and run only with `npm run test:cluster`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const skipDirs = new Set(['node_modules', 'dist', '.git']);
// Needs a real control plane; `npm run test:cluster` runs it.
const skipPaths = new Set([join(root, 'test', 'cluster')]);
function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (skipDirs.has(name) || skipPaths.has(p)) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
const only = process.argv.slice(2);
const files =
  only.length > 0 ? only : [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])].sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  // The setup module makes every controller in the suite check each incremental sync against
  // the full reconcile (controllerDefaults.verifySync; EVERYNODE_VERIFY_SYNC=0 turns it off).
  [
    '--import',
    'tsx',
    '--import',
    './test/harness/verify-sync.ts',
    '--test',
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
