/**
 * `everynode run`'s pacing flags (issue 15): --status-interval (default 500ms, 0 for upstream's
 * timing), --adaptive-qps and --max-qps; bad values are usage errors (exit 2) before anything
 * starts, and the embedded target runs with status pacing on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dsFoo } from '../../src/controller/testing.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCommand, type RunFlags } from '../../src/cli/run.js';

const flags = {
  resource: 'crd',
  workers: '2',
  qps: '20',
  burst: '30',
  leaseDuration: '15s',
  metricsAddr: '0',
  logLevel: 'error',
  embeddedSpeed: '1',
} satisfies RunFlags;

async function usageError(extra: Partial<RunFlags>, message: RegExp): Promise<void> {
  await assert.rejects(
    runCommand({ ...flags, ...extra }),
    (err: unknown) => err instanceof UsageError && err.exitCode === 2 && message.test(err.message),
    JSON.stringify(extra),
  );
}

test('--status-interval: a bad duration is a usage error', async () => {
  for (const bad of ['soon', '-1s', ''])
    await usageError({ statusInterval: bad }, /^--status-interval: expected a duration/);
});

test('--max-qps: needs --adaptive-qps, a positive number, at least --qps', async () => {
  await usageError({ maxQps: '100' }, /^--max-qps: needs --adaptive-qps/);
  await usageError({ adaptiveQps: true, maxQps: 'lots' }, /^--max-qps/);
  await usageError({ adaptiveQps: true, maxQps: '10' }, /^--max-qps: at least --qps \(20\)/);
});

test('the embedded target converges with status pacing on (default) and off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-run-pacing-'));
  try {
    const file = join(dir, 'ds.yaml');
    writeFileSync(file, JSON.stringify({ ...dsFoo(), apiVersion: 'apps.everynode.dev/v1alpha1' }));
    for (const extra of [[], ['--status-interval', '0']]) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), 'run'].concat(
          ['--embedded', '--embedded-nodes', '4', '-f', file, '--embedded-speed', '20'],
          ['--exit-after-converged', '--metrics-addr', '0', '--log-format', 'json'],
          extra,
        ),
        { encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(r.status, 0, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /every DaemonSet converged/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
