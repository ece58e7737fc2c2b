/**
 * `npm run test:cluster`
 *
 * Builds the control plane if the cache lacks it, brings up a cluster of its own (state dir
 * /tmp/everynode-test-cluster, ports shifted by 100, so a developer's `cluster:up` may keep
 * running), runs the test files listed below with node's test runner, and always brings the
 * cluster down again. Exits with the test runner's status.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cachePaths, scriptDir } from './lib.js';

/** The real-cluster test files, listed explicitly (npm test skips them without a cluster). */
const defaultTestFiles = [
  'test/cluster/smoke.test.ts',
  'test/cluster/conformance.test.ts',
  'test/cluster/e2e-nodes.test.ts',
  'test/cluster/e2e-rollout.test.ts',
  'test/cluster/e2e-process.test.ts',
  'test/cluster/e2e-takeover.test.ts',
  'test/cluster/e2e-badimage.test.ts',
  'test/cluster/plan-live.test.ts',
  'test/cluster/crd-validation.test.ts',
  'test/cluster/wire-types.test.ts',
  'test/cluster/crd-rollout.test.ts',
  'test/cluster/e2e-rollout-control.test.ts',
  'test/cluster/e2e-canary.test.ts',
  'test/cluster/e2e-removal-budget.test.ts',
  'test/cluster/e2e-metric-gate.test.ts',
  'test/cluster/chart.test.ts',
  'test/cluster/helm.test.ts',
  // The Prometheus health gate against the prometheus binary build.sh built (no cluster needed).
  'test/prometheus/real.test.ts',
  // The controller driving a canary whose gate queries that real Prometheus (embedded cluster).
  'test/prometheus/gate-real.test.ts',
];
// Another suite on a cluster of its own (npm run test:faults) names its files here.
const testFiles = process.env.EVERYNODE_TEST_FILES?.split(',') ?? defaultTestFiles;
const nodes = process.env.EVERYNODE_TEST_NODES ?? '3';

const root = join(scriptDir, '..', '..');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  EVERYNODE_CLUSTER_DIR: process.env.EVERYNODE_CLUSTER_DIR ?? '/tmp/everynode-test-cluster',
  EVERYNODE_CLUSTER_PORT_OFFSET: process.env.EVERYNODE_CLUSTER_PORT_OFFSET ?? '100',
};
const t0 = Date.now();
const say = (msg: string): void => {
  process.stderr.write(`[test:cluster ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
};
const tsx = (script: string, argv: readonly string[]): string[] => [
  '--import',
  'tsx',
  join(scriptDir, script),
  ...argv,
];

function down(): void {
  const r = spawnSync(process.execPath, tsx('down.ts', []), { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) say('cluster:down failed (see above)');
}

/** Runs a child to completion, inheriting stderr; resolves with its status and stdout. */
function run(
  cmd: string,
  argv: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
  captureStdout = false,
) {
  return new Promise<{ status: number; stdout: string }>((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', captureStdout ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => (stdout += d));
    child.on('close', (code, signal) => {
      resolve({ status: code ?? (signal ? 128 : 1), stdout });
    });
  });
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // Children get the same signal from the terminal; down runs once the current step returns.
    interrupted = true;
  });
}

let status = 1;
try {
  say('building the control plane (skipped for binaries already in the cache)');
  const build = await run('bash', [join(scriptDir, 'build.sh')], {}, true);
  if (build.status !== 0) throw new Error(`build.sh failed with status ${build.status}`);
  say(`binaries in ${cachePaths().bin}`);
  if (interrupted) throw new Error('interrupted');

  const up = await run(process.execPath, tsx('up.ts', ['--nodes', nodes]), {}, true);
  const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(up.stdout)?.[1];
  if (up.status !== 0 || !kubeconfig) throw new Error(`cluster:up failed with status ${up.status}`);
  say(`cluster up, KUBECONFIG=${kubeconfig}`);
  if (interrupted) throw new Error('interrupted');

  const files = testFiles.filter((f) => existsSync(join(root, f)));
  const tests = await run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
    {
      KUBECONFIG: kubeconfig,
      EVERYNODE_CLUSTER_TEST: '1',
      EVERYNODE_TEST_NODES: nodes,
      PATH: `${cachePaths().bin}:${process.env.PATH ?? ''}`,
    },
  );
  status = tests.status;
  say(`tests finished with status ${status}`);
} catch (e) {
  say((e as Error).message);
  status = 1;
} finally {
  down();
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}
process.exit(status);
