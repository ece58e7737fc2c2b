/**
 * `npm run soak -- --cluster [--minutes M] [--nodes N] [--resource native|crd] [--kubeconfig F]`
 *
 * The soak of issue 17 on a real control plane (kube-apiserver, etcd, kube-controller-manager,
 * kube-scheduler, kwok nodes): `everynode run` as a child process, with leader election, over M
 * real minutes (default 10) in rounds of one minute. In each round nodes join and leave (every
 * 10 s), a node gains or loses the label one DaemonSet selects (twice), every other round one of
 * the two DaemonSets changes its template, and in rounds 2-4 the controller is SIGKILLed or
 * SIGTERMed mid-rollout and started again (the last process then runs the remaining rounds). At
 * the end of each round churn stops and the soak waits until both DaemonSets have converged.
 *
 * Checked: never two live pods of one DaemonSet on a node (no surge is configured); no pod of
 * the current template deleted from a node that exists and should run it (a lost pod); at each
 * round's end every eligible node runs exactly one Ready pod of the current template, no other
 * node runs one, and status says so; the controller's RSS and open file descriptors flat over the
 * last process's life after warm-up. Without --kubeconfig it brings up a cluster of its own
 * (EVERYNODE_CLUSTER_DIR, default /tmp/everynode-soak-cluster; ports shifted by
 * EVERYNODE_CLUSTER_PORT_OFFSET, default 170) and always brings it down. Exit 1 on a failure.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cachePaths, scriptDir } from './cluster/lib.js';

function parseFlags() {
  try {
    return parseArgs({
      options: {
        cluster: { type: 'boolean', default: false },
        minutes: { type: 'string', default: '10' },
        nodes: { type: 'string', default: '30' },
        resource: { type: 'string', default: 'native' },
        kubeconfig: { type: 'string' },
        seed: { type: 'string', default: '7' },
      },
    }).values;
  } catch (e) {
    // An unknown or malformed flag: one line and exit 2, no stack trace.
    return usage((e as Error).message);
  }
}
const args = parseFlags();
const ROUNDS = Number(args.minutes);
const NODES = Number(args.nodes);
const MODE = args.resource;
if (!(ROUNDS >= 1 && ROUNDS <= 600 && Number.isInteger(ROUNDS)))
  usage(`--minutes must be a whole number from 1 to 600, got ${args.minutes}`);
if (!(NODES >= 4 && NODES <= 500 && Number.isInteger(NODES)))
  usage(`--nodes must be a whole number from 4 to 500, got ${args.nodes}`);
if (MODE !== 'native' && MODE !== 'crd') usage(`--resource must be native or crd, got ${MODE}`);

function usage(msg: string): never {
  console.error(`error: ${msg}`);
  process.exit(2);
}

const root = join(scriptDir, '..', '..');
process.env.EVERYNODE_CLUSTER_DIR ??= '/tmp/everynode-soak-cluster';
process.env.EVERYNODE_CLUSTER_PORT_OFFSET ??= '170';
process.env.PATH = `${cachePaths().bin}:${process.env.PATH ?? ''}`;
const t0 = Date.now();
const say = (msg: string): void => {
  process.stderr.write(`[soak ${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
};

function runScript(cmd: string, argv: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    c.on('close', (code) => {
      resolve({ code: code ?? 1, out });
    });
  });
}
const tsxScript = (
  name: string,
  argv: readonly string[] = [],
): Promise<{ code: number; out: string }> =>
  runScript(process.execPath, ['--import', 'tsx', join(scriptDir, name), ...argv]);

let ownCluster = false;
let status = 1;
try {
  if (args.kubeconfig !== undefined) {
    process.env.KUBECONFIG = args.kubeconfig;
  } else {
    say('building the control plane (skipped for binaries already in the cache)');
    const build = await runScript('bash', [join(scriptDir, 'build.sh')]);
    if (build.code !== 0) throw new Error(`build.sh failed with status ${build.code}`);
    ownCluster = true;
    const up = await tsxScript('up.ts', ['--nodes', String(NODES)]);
    const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(up.out)?.[1];
    if (up.code !== 0 || !kubeconfig) throw new Error(`cluster:up failed with status ${up.code}`);
    process.env.KUBECONFIG = kubeconfig;
  }
  // The helpers read KUBECONFIG when first used, so they are loaded only now.
  const { soak } = await import('./soak-cluster-run.js');
  status = await soak({ rounds: ROUNDS, mode: MODE, seed: Number(args.seed), say });
} catch (e) {
  say(`soak aborted: ${(e as Error).stack ?? String(e)}`);
  status = 1;
} finally {
  if (ownCluster) {
    const down = await tsxScript('down.ts');
    if (down.code !== 0) say('cluster:down failed (see above)');
  }
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
process.exit(status);
