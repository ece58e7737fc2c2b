/**
 * `npm run cluster:up -- [--nodes N] [--upstream-daemonset-controller] [--no-api-limits]
 *   [--kube-api-qps Q --kube-api-burst B] [--scheduler-api-qps Q --scheduler-api-burst B]
 *   [--node-monitor-grace-period D] [--audit-policy FILE] [--bad-image-pattern RE ...]`
 *
 * Starts a real control plane on 127.0.0.1 from the binaries build.sh put in the cache: etcd,
 * kube-apiserver, kube-controller-manager (built-in DaemonSet controller off unless
 * --upstream-daemonset-controller), kube-scheduler and kwok, creates N fake nodes, waits until
 * they are Ready and untainted and the default service account exists, and prints
 * `KUBECONFIG=<path>` as the last line on stdout. Progress goes to stderr. Refuses (exit 1) while
 * a cluster started by an earlier `up` is still running. See docs/real-cluster.md.
 *
 * Pods whose image matches a bad-image pattern (RE2, against the whole image reference; default:
 * a tag containing `non-existent` or `does-not-exist`) stay Pending in ErrImagePull /
 * ImagePullBackOff, as on a real node (kwok-bad-image.yaml); every other pod becomes Ready.
 *
 * The client-limit and audit options exist for the side-by-side benchmark
 * (docs/dev/bench-cluster.md); left out, each component keeps its own defaults.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClusterState,
  type Component,
  StartError,
  cachePaths,
  get,
  isOurs,
  readState,
  removeStateDir,
  startDetached,
  stateDir,
  stateFile,
  stopAll,
  tail,
  waitFor,
} from './lib.js';
import { makePki, writeKubeconfig } from './pki.js';
import { DEFAULT_BAD_IMAGE_PATTERNS, badImageRegex, writeBadImageStages } from './stages.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    'upstream-daemonset-controller': { type: 'boolean', default: false },
    'no-api-limits': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '180' },
    // Client-side rate limits of kube-controller-manager and kube-scheduler; unset = their defaults
    // (kcm 20/30, scheduler 50/100), so that nothing changes for callers that do not ask.
    'kube-api-qps': { type: 'string' },
    'kube-api-burst': { type: 'string' },
    'scheduler-api-qps': { type: 'string' },
    'scheduler-api-burst': { type: 'string' },
    // kube-controller-manager's --node-monitor-grace-period (default 50s). kwok renews each
    // node's Lease with 4 workers; with 1,000 nodes on a loaded machine it falls behind, and the
    // node-lifecycle controller then marks nodes and their pods NotReady mid-benchmark.
    'node-monitor-grace-period': { type: 'string' },
    // An audit policy file: the apiserver then writes JSON audit events to logs/audit.log.
    'audit-policy': { type: 'string' },
    'bad-image-pattern': { type: 'string', multiple: true },
    // kube-apiserver's /debug/pprof (off by default): the benchmark's --apiserver-profile reads it.
    'apiserver-profiling': { type: 'boolean', default: false },
  },
});
/** `--flag=value` for each option given, nothing for those left out. */
function passFlags(pairs: readonly (readonly [string, string | undefined])[]): string[] {
  const out: string[] = [];
  for (const [flag, value] of pairs) {
    if (value === undefined) continue;
    if (!(Number(value) > 0)) {
      console.error(`${flag} must be a positive number, got ${value}`);
      process.exit(2);
    }
    out.push(`${flag}=${value}`);
  }
  return out;
}
const kcmLimits = passFlags([
  ['--kube-api-qps', args['kube-api-qps']],
  ['--kube-api-burst', args['kube-api-burst']],
]);
const schedulerLimits = passFlags([
  ['--kube-api-qps', args['scheduler-api-qps']],
  ['--kube-api-burst', args['scheduler-api-burst']],
]);
const auditPolicy = args['audit-policy'] === undefined ? undefined : resolve(args['audit-policy']);
if (auditPolicy !== undefined && !existsSync(auditPolicy)) {
  console.error(`--audit-policy: no such file ${auditPolicy}`);
  process.exit(2);
}
let badImages: string;
try {
  badImages = badImageRegex(args['bad-image-pattern'] ?? DEFAULT_BAD_IMAGE_PATTERNS);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const nodeCount = Number(args.nodes);
if (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > 5000) {
  console.error(`--nodes must be an integer from 0 to 5000, got ${args.nodes ?? ''}`);
  process.exit(2);
}
const timeoutMs = Number(args.timeout) * 1000;

// Ports: fixed defaults away from the usual ones, shifted together by EVERYNODE_CLUSTER_PORT_OFFSET
// so two clusters (two state dirs) can run side by side.
const offset = Number(process.env.EVERYNODE_CLUSTER_PORT_OFFSET ?? '0');
const ports = {
  etcdClient: 12379 + offset,
  etcdPeer: 12380 + offset,
  apiserver: 16443 + offset,
  kcm: 20257 + offset,
  scheduler: 20259 + offset,
};

const t0 = Date.now();
const say = (msg: string): void => {
  process.stderr.write(`[cluster:up ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
};

const dir = stateDir();
const existing = readState(dir);
if (existing) {
  const alive = existing.components.filter((c) => isOurs(c.pid, c.binary));
  if (alive.length > 0) {
    console.error(
      `a cluster is already running from ${dir} (${alive.map((c) => `${c.name}=${c.pid}`).join(', ')});\n` +
        `KUBECONFIG=${existing.kubeconfig}\nrun \`npm run cluster:down\` first`,
    );
    process.exit(1);
  }
  say(`removing stale state in ${dir}`);
}
removeStateDir(dir);

const { bin, stages } = cachePaths();
const binaries = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
];
const absent = binaries.filter((b) => !existsSync(join(bin, b)));
if (absent.length > 0 || !existsSync(stages)) {
  console.error(
    `missing in ${bin}: ${[...absent, ...(existsSync(stages) ? [] : [stages])].join(', ')}\n` +
      'run `npm run cluster:build` first',
  );
  process.exit(1);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => {
      resolve(false);
    });
    srv.listen(port, '127.0.0.1', () =>
      srv.close(() => {
        resolve(true);
      }),
    );
  });
}
for (const [name, port] of Object.entries(ports)) {
  if (!(await portFree(port))) {
    console.error(
      `port ${port} (${name}) on 127.0.0.1 is in use; stop whatever holds it or set ` +
        'EVERYNODE_CLUSTER_PORT_OFFSET (and EVERYNODE_CLUSTER_DIR) for a second cluster',
    );
    process.exit(1);
  }
}

mkdirSync(dir, { recursive: true });
const logs = join(dir, 'logs');
mkdirSync(logs, { recursive: true });
const pki = makePki(join(dir, 'pki'));
const server = `https://127.0.0.1:${ports.apiserver}`;
const kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), server, pki);
const tls = {
  ca: readFileSync(pki.caCrt, 'utf8'),
  cert: readFileSync(pki.adminCrt, 'utf8'),
  key: readFileSync(pki.adminKey, 'utf8'),
};
say(`PKI and kubeconfig in ${dir}`);

const components: Component[] = [];
const nodeNames = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
function saveState(): void {
  const state: ClusterState = {
    startedAt: new Date(t0).toISOString(),
    kubeconfig,
    bin,
    apiserver: server,
    nodes: nodeNames,
    badImages,
    components,
  };
  writeFileSync(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
}
function start(name: string, binary: string, argv: readonly string[]): Component {
  const c = startDetached(name, join(bin, binary), argv, join(logs, `${name}.log`), dir);
  components.push(c);
  saveState();
  return c;
}

let cleaningUp = false;
async function failAndExit(e: unknown): Promise<never> {
  if (cleaningUp) process.exit(1);
  cleaningUp = true;
  const err = e instanceof Error ? e : new Error(String(e));
  console.error(`cluster:up failed: ${err.message}`);
  const shown = err instanceof StartError && err.component ? [err.component] : components;
  for (const c of shown) console.error(`--- last lines of ${c.log} ---\n${tail(c.log)}`);
  // Stop what was started (newest first) and drop the state file; keep the logs to read.
  await stopAll([...components].reverse());
  removeStateDir(join(dir, 'etcd-data'));
  removeStateDir(join(dir, 'pki'));
  try {
    writeFileSync(stateFile(dir), '');
  } catch {
    // the directory is gone already
  }
  console.error(`logs kept in ${logs}`);
  process.exit(1);
}
process.on('SIGINT', () => void failAndExit(new Error('interrupted')));
process.on('SIGTERM', () => void failAndExit(new Error('terminated')));

const kubectl = (argv: readonly string[], input?: string): string =>
  execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...argv], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });

try {
  // etcd: fsync off (test data only), single member, loopback only.
  const etcd = start('etcd', 'etcd', [
    '--name=node0',
    `--data-dir=${join(dir, 'etcd-data')}`,
    `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-cluster=node0=http://127.0.0.1:${ports.etcdPeer}`,
    '--auto-compaction-retention=1',
    '--quota-backend-bytes=4294967296',
    '--unsafe-no-fsync',
  ]);
  await waitFor(
    'etcd /health',
    async () => (await get(`http://127.0.0.1:${ports.etcdClient}/health`)).body.includes('"true"'),
    { timeoutMs: 30_000, component: etcd },
  );
  say(`etcd ready on 127.0.0.1:${ports.etcdClient}`);

  const apiserver = start('kube-apiserver', 'kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--tls-cert-file=${pki.adminCrt}`,
    `--tls-private-key-file=${pki.adminKey}`,
    `--client-ca-file=${pki.caCrt}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saKey}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    `--profiling=${args['apiserver-profiling'] ? 'true' : 'false'}`,
    ...(args['no-api-limits']
      ? [
          '--max-requests-inflight=0',
          '--max-mutating-requests-inflight=0',
          '--enable-priority-and-fairness=false',
        ]
      : []),
    ...(auditPolicy === undefined
      ? []
      : [
          `--audit-policy-file=${auditPolicy}`,
          `--audit-log-path=${join(logs, 'audit.log')}`,
          '--audit-log-format=json',
          '--audit-log-maxsize=0',
        ]),
  ]);
  let lastReadyz = '';
  await waitFor(
    'kube-apiserver /readyz',
    async () => {
      const r = await get(`${server}/readyz`, tls);
      lastReadyz = `${r.status} ${r.body.slice(0, 200)}`;
      return r.status === 200;
    },
    {
      timeoutMs,
      component: apiserver,
      intervalMs: 500,
      lastError: () => `last answer ${lastReadyz}`,
    },
  );
  say(`kube-apiserver ready at ${server}`);

  const kcmArgs = (kc: string): string[] => [
    `--kubeconfig=${kc}`,
    `--authentication-kubeconfig=${kc}`,
    `--authorization-kubeconfig=${kc}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
  ];
  const kcm = start('kube-controller-manager', 'kube-controller-manager', [
    ...kcmArgs(kubeconfig),
    `--secure-port=${ports.kcm}`,
    `--root-ca-file=${pki.caCrt}`,
    `--service-account-private-key-file=${pki.saKey}`,
    `--cert-dir=${join(dir, 'pki', 'kcm')}`,
    args['upstream-daemonset-controller']
      ? '--controllers=*'
      : '--controllers=*,-daemonset-controller',
    ...kcmLimits,
    ...(args['node-monitor-grace-period'] === undefined
      ? []
      : [`--node-monitor-grace-period=${args['node-monitor-grace-period']}`]),
  ]);
  const scheduler = start('kube-scheduler', 'kube-scheduler', [
    ...kcmArgs(kubeconfig),
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${join(dir, 'pki', 'scheduler')}`,
    ...schedulerLimits,
  ]);
  const kwok = start('kwok', 'kwok', [
    `--kubeconfig=${kubeconfig}`,
    `--config=${stages}`,
    `--config=${writeBadImageStages(dir, badImages)}`,
    // Only nodes annotated as kwok's (the harness's own, and those the e2e tests add): the
    // conformance suite's Nodes must keep exactly what the suite writes.
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.1/16',
  ]);
  await waitFor(
    'kube-controller-manager /healthz',
    async () => (await get(`https://127.0.0.1:${ports.kcm}/healthz`, 'insecure')).status === 200,
    { timeoutMs: 60_000, component: kcm },
  );
  await waitFor(
    'kube-scheduler /healthz',
    async () =>
      (await get(`https://127.0.0.1:${ports.scheduler}/healthz`, 'insecure')).status === 200,
    { timeoutMs: 60_000, component: scheduler },
  );
  say(
    `kube-controller-manager (daemonset controller ${args['upstream-daemonset-controller'] ? 'ON' : 'off'}), ` +
      'kube-scheduler and kwok started',
  );

  if (nodeCount > 0) {
    const nodes = {
      apiVersion: 'v1',
      kind: 'List',
      items: nodeNames.map((name) => ({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            type: 'kwok',
          },
        },
        // No kwok taint: there are no real nodes to protect, and DaemonSet pods would not tolerate it.
        spec: {},
        status: {
          allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
          capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          phase: 'Running',
        },
      })),
    };
    kubectl(['create', '-f', '-'], JSON.stringify(nodes));
    say(`created ${nodeCount} fake nodes`);
  }

  // Ready means: every node has Ready=True and no taints (node-lifecycle removes the not-ready
  // taint that admission adds), and the default service account exists (pods need it).
  let pending = '';
  await waitFor(
    `${nodeCount} nodes Ready and untainted`,
    async () => {
      const r = await get(`${server}/api/v1/nodes`, tls);
      if (r.status !== 200) {
        pending = `GET nodes: ${r.status}`;
        return false;
      }
      const list = JSON.parse(r.body) as {
        items: {
          metadata: { name: string };
          spec?: { taints?: unknown[] };
          status?: { conditions?: { type: string; status: string }[] };
        }[];
      };
      const notReady = list.items.filter(
        (n) =>
          (n.spec?.taints?.length ?? 0) > 0 ||
          !n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      pending = `${notReady.length} of ${list.items.length} not ready: ${notReady
        .slice(0, 5)
        .map((n) => `${n.metadata.name} taints=${JSON.stringify(n.spec?.taints ?? [])}`)
        .join('; ')}`;
      return list.items.length === nodeCount && notReady.length === 0;
    },
    { timeoutMs, intervalMs: 500, component: kwok, lastError: () => pending },
  );
  await waitFor(
    'the default service account',
    async () =>
      (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls)).status ===
      200,
    { timeoutMs: 60_000, component: kcm },
  );
  for (const c of components) {
    if (!isOurs(c.pid, c.binary)) throw new StartError(`${c.name} exited`, c);
  }
  say(`cluster ready: ${nodeCount} nodes, logs in ${logs}`);
} catch (e) {
  await failAndExit(e);
}

process.stdout.write(`KUBECONFIG=${kubeconfig}\n`, () => process.exit(0));
