/**
 * The library reads no environment (issue 10): options come from the CLI (src/cli/, which reads
 * EVERYNODE_* in controllerenv.ts) or from the caller. This scans every source file outside
 * src/cli/ for `process.env`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p !== join(root, 'src', 'cli')) sources(p, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('no process.env outside src/cli/', () => {
  const readers = sources(join(root, 'src'))
    .filter((f) => /\bprocess\.env\b/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(root, f));
  assert.deepEqual(readers, []);
});
