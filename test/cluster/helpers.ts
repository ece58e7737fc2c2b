/**
 * Shared pieces of the real-cluster end-to-end tests (test/cluster/e2e-*.test.ts): `everynode run`
 * as a child process, an API client for the test itself, DaemonSet manifests for both resource
 * modes, fake nodes, a pod recorder that checks rollout invariants on every watch event, and
 * restarts of control-plane components (kube-apiserver, kube-controller-manager) in place.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import type { Watch } from '../../src/cluster/port.js';
import {
  type ClusterState,
  componentArgs,
  flagValue,
  get,
  readState,
  restartComponent as restartInPlace,
  stateDir,
} from '../../scripts/cluster/lib.js';
import { kubectl, kubectlJson } from './kubectl.js';

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The two ways everynode reads DaemonSets. */
export type Mode = 'crd' | 'native';
/** Both modes, for tests that run once per mode. */
export const modes: readonly Mode[] = ['crd', 'native'];

/** kubectl's resource name for the DaemonSets of a mode. */
export const dsResource = (mode: Mode): string =>
  mode === 'native' ? 'daemonsets.apps' : 'daemonsets.apps.everynode.dev';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let client: KubeCluster | undefined;
/** One KubeCluster for the test process, on the test cluster's kubeconfig. */
export function api(): KubeCluster {
  if (!client) {
    const kc = new KubeConfig();
    kc.loadFromFile(process.env.KUBECONFIG!);
    client = new KubeCluster({ kubeConfig: kc, qps: 100, burst: 200 });
  }
  return client;
}
/** Closes the shared client (call from a file's last `after`). */
export function closeApi(): void {
  client?.close();
  client = undefined;
}

/** Polls an async check until it returns a truthy value; throws naming `what` after timeoutMs. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  intervalMs = 300,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = '';
    } catch (e) {
      last = ` (last error: ${(e as Error).message})`;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s: ${what}${last}`);
    await sleep(intervalMs);
  }
}

/** Installs everynode's CRD (idempotent) and waits until it is served. */
export async function installCrd(): Promise<void> {
  kubectl(['apply', '-f', join(root, 'deploy', 'crd.yaml')]);
  // Polled rather than `kubectl wait --for=condition=Established`, which fails at once ("<nil> is
  // of the type <nil>") when it reads the CRD before kube-apiserver has written any condition.
  await waitUntil('the CRD is Established', () => {
    const crd = kubectlJson(['get', 'crd/daemonsets.apps.everynode.dev', '-o', 'json']) as {
      status?: { conditions?: readonly { type?: string; status?: string }[] };
    };
    const conditions = crd.status?.conditions ?? [];
    return Promise.resolve(conditions.some((c) => c.type === 'Established' && c.status === 'True'));
  });
  await waitUntil('the CRD is served', async () => {
    await api().list('EverynodeDaemonSet', { namespace: 'default' });
    return true;
  });
}

/** Options for a test DaemonSet. */
export interface DsOptions {
  readonly image?: string;
  readonly strategy?: 'RollingUpdate' | 'OnDelete';
  readonly maxUnavailable?: number | string;
  readonly maxSurge?: number | string;
  readonly minReadySeconds?: number;
  readonly nodeSelector?: Record<string, string>;
}

/**
 * A DaemonSet manifest in the mode's apiVersion. The CRD gets no server-side defaults, so it is
 * written as a user would (no rollingUpdate block unless asked): the controller must default it.
 */
export function dsManifest(mode: Mode, ns: string, name: string, o: DsOptions = {}): DaemonSet {
  const rolling =
    o.maxUnavailable !== undefined || o.maxSurge !== undefined
      ? {
          rollingUpdate: {
            ...(o.maxUnavailable !== undefined ? { maxUnavailable: o.maxUnavailable } : {}),
            ...(o.maxSurge !== undefined ? { maxSurge: o.maxSurge } : {}),
          },
        }
      : {};
  return {
    apiVersion: mode === 'native' ? 'apps/v1' : 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.strategy === 'OnDelete'
        ? { updateStrategy: { type: 'OnDelete' } }
        : Object.keys(rolling).length > 0
          ? { updateStrategy: { type: 'RollingUpdate', ...rolling } }
          : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          containers: [{ name: 'c', image: o.image ?? 'registry.invalid/agent:1' }],
        },
      },
    },
  };
}

/** Creates a DaemonSet with kubectl (as a user would). */
export function createDs(ds: DaemonSet): void {
  kubectl(['create', '-f', '-'], JSON.stringify(ds));
}

/** Sets the image of container `c` (a new template: a new revision). */
export function setImage(mode: Mode, ns: string, name: string, image: string): void {
  const patch = { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } };
  // Custom resources take no strategic merge: replace the containers list whole.
  kubectl(['-n', ns, 'patch', dsResource(mode), name, '--type=merge', '-p', JSON.stringify(patch)]);
}

/** Reads a DaemonSet of the mode. */
export function getDs(mode: Mode, ns: string, name: string): Promise<DaemonSet> {
  return api().get<DaemonSet>(mode === 'native' ? 'DaemonSet' : 'EverynodeDaemonSet', ns, name);
}

/** The DaemonSet's live pods (not terminating). */
export async function livePods(ns: string, name: string): Promise<Pod[]> {
  const l = await api().list<Pod>('Pod', { namespace: ns, labelSelector: `app=${name}` });
  return l.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The names of the schedulable test nodes (Ready, no NoSchedule/NoExecute taint). */
export async function readyNodes(): Promise<string[]> {
  const l = await api().list<{
    metadata?: { name?: string };
    spec?: { taints?: { effect: string }[]; unschedulable?: boolean };
    status?: { conditions?: { type: string; status: string }[] };
  }>('Node');
  return l.items
    .filter(
      (n) =>
        !n.spec?.unschedulable &&
        !(n.spec?.taints ?? []).length &&
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .map((n) => n.metadata!.name!)
    .sort();
}

const isReady = (p: Pod): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The image of a pod's container `c`. */
export const imageOf = (p: Pod): string | undefined => p.spec?.containers?.[0]?.image;

/** The node a DaemonSet pod is for: its bound node, else its required node-affinity term. */
export function nodeOf(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms =
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  for (const t of terms)
    for (const f of t.matchFields ?? [])
      if (f.key === 'metadata.name' && f.values?.[0]) return f.values[0];
  return undefined;
}

/**
 * Waits until the DaemonSet runs one Ready pod of `image` on exactly `nodes` and its status says
 * so (observed generation current, every counter equal to the node count). Pods on the `gone`
 * (deleted) nodes are left out. Returns the pods.
 */
export async function waitRolledOut(
  mode: Mode,
  ns: string,
  name: string,
  nodes: readonly string[],
  image: string,
  timeoutMs = 90_000,
  gone: readonly string[] = [],
): Promise<Pod[]> {
  let detail = '';
  return waitUntil(
    `${ns}/${name} runs ${image} on ${nodes.join(',')}`,
    async () => {
      // Pods of deleted nodes are kube-controller-manager's PodGC's to remove (after 40 s).
      const pods = (await livePods(ns, name)).filter((p) => !gone.includes(nodeOf(p) ?? ''));
      const on = pods.map((p) => nodeOf(p) ?? '?').sort();
      const ds = await getDs(mode, ns, name);
      const s = ds.status;
      const n = nodes.length;
      detail = `pods on [${on.join(',')}], images [${pods.map(imageOf).join(',')}], ready ${pods.filter(isReady).length}, status ${JSON.stringify(s ?? {})}`;
      const ok =
        JSON.stringify(on) === JSON.stringify([...nodes].sort()) &&
        pods.every((p) => isReady(p) && imageOf(p) === image) &&
        (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1) &&
        s?.desiredNumberScheduled === n &&
        s.currentNumberScheduled === n &&
        s.updatedNumberScheduled === n &&
        s.numberReady === n &&
        (s.numberAvailable ?? 0) === n &&
        (s.numberMisscheduled ?? 0) === 0;
      return ok ? pods : undefined;
    },
    timeoutMs,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last seen: ${detail}`);
  });
}

/** Creates a fake node that kwok manages (Ready within seconds), labelled like the harness's. */
export function createNode(name: string, labels: Record<string, string> = {}): void {
  const node = {
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
        ...labels,
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      phase: 'Running',
    },
  };
  kubectl(['create', '-f', '-'], JSON.stringify(node));
}

/** Deletes a node (ignoring one that is already gone). */
export function deleteNode(name: string): void {
  kubectl(['delete', 'node', name, '--ignore-not-found', '--wait=false']);
}

/** Marks a pod Failed through the status subresource, as a kubelet would. */
export function failPod(ns: string, name: string): void {
  kubectl([
    '-n',
    ns,
    'patch',
    'pod',
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { phase: 'Failed', reason: 'E2E', message: 'failed by the test' } }),
  ]);
}

/** One pod as the recorder last saw it. */
interface Seen {
  readonly node: string | undefined;
  readonly ready: boolean;
  readonly terminating: boolean;
  readonly image: string | undefined;
}

/**
 * Watches one DaemonSet's pods (label app=<name>) and, after every event, counts per node the pods that are not
 * terminating and the Ready ones, so that rollout invariants are checked at every step instead
 * of at a few samples: the most nodes ever without a Ready pod, the most pods ever on one node,
 * and every pod UID ever created.
 */
export class PodRecorder {
  private readonly pods = new Map<string, Seen>();
  /** The most nodes (of `nodes`) that had no Ready pod at once. */
  maxNodesWithoutReady = 0;
  /** The most non-terminating pods on one node at once. */
  maxPodsPerNode = 0;
  /** Every pod UID ever seen, with its image. */
  readonly created = new Map<string, string | undefined>();
  private watch: Watch | undefined;

  constructor(
    private readonly ns: string,
    private readonly app: string,
    private readonly nodes: readonly string[],
  ) {}

  /** Lists, then watches from the list's version. */
  async start(): Promise<void> {
    const labelSelector = `app=${this.app}`;
    const l = await api().list<Pod>('Pod', { namespace: this.ns, labelSelector });
    for (const p of l.items) this.see(p, false);
    this.watch = await api().watch<Pod>(
      'Pod',
      { namespace: this.ns, labelSelector, resourceVersion: l.resourceVersion },
      (ev) => {
        if (ev.type === 'BOOKMARK') return;
        this.see(ev.object, ev.type === 'DELETED');
      },
    );
    this.watch.done.catch(() => undefined);
  }

  stop(): void {
    this.watch?.stop();
  }

  private see(p: Pod, deleted: boolean): void {
    const uid = p.metadata!.uid!;
    if (deleted) this.pods.delete(uid);
    else
      this.pods.set(uid, {
        node: nodeOf(p),
        ready: isReady(p),
        terminating: p.metadata?.deletionTimestamp !== undefined,
        image: imageOf(p),
      });
    if (!deleted) this.created.set(uid, imageOf(p));
    const live = [...this.pods.values()].filter((s) => !s.terminating);
    let without = 0;
    for (const n of this.nodes) {
      const on = live.filter((s) => s.node === n);
      this.maxPodsPerNode = Math.max(this.maxPodsPerNode, on.length);
      if (!on.some((s) => s.ready)) without++;
    }
    this.maxNodesWithoutReady = Math.max(this.maxNodesWithoutReady, without);
  }

  /** Resets the maxima (after the first rollout, before the one under test). */
  reset(): void {
    this.maxNodesWithoutReady = 0;
    this.maxPodsPerNode = 0;
  }
}

/** `everynode run` as a child process, its JSON log lines kept in memory and in a file. */
export class Everynode {
  readonly lines: Record<string, unknown>[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private buf = '';

  constructor(
    readonly label: string,
    args: readonly string[],
  ) {
    const logFile = join(stateDir(), 'logs', `everynode-${label}-${Date.now()}.log`);
    const out = createWriteStream(logFile);
    this.child = spawn(
      process.execPath,
      [
        join(root, 'bin', 'everynode.js'),
        'run',
        '--kubeconfig',
        process.env.KUBECONFIG!,
        '--metrics-addr',
        '127.0.0.1:0',
        '--log-format',
        'json',
        ...args,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onData = (d: Buffer): void => {
      out.write(d);
      this.buf += d.toString('utf8');
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        out.end();
        resolve(code);
      });
    });
  }

  /** Starts `everynode run --resource <mode> -n <ns>` plus extra flags. */
  static start(label: string, mode: Mode, ns: string, extra: readonly string[] = []): Everynode {
    return new Everynode(label, ['--resource', mode, '-n', ns, ...extra]);
  }

  /** True while the process runs. */
  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for a log line whose msg contains `text` (failing early if the process exits). */
  async waitForLog(text: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
    return waitUntil(
      `everynode ${this.label} logs "${text}"`,
      () => {
        const hit = this.lines.find((l) => typeof l.msg === 'string' && l.msg.includes(text));
        if (hit) return hit;
        if (!this.running())
          throw new Error(`exited with ${this.child.exitCode}; last log: ${this.tail()}`);
        return undefined;
      },
      timeoutMs,
      200,
    );
  }

  /** Fetches /metrics from the process (the port it logged), as Prometheus text. */
  async metrics(): Promise<string> {
    const served = await this.waitForLog('serving /metrics');
    const r = await get(`http://127.0.0.1:${String(served.port)}/metrics`);
    if (r.status !== 200) throw new Error(`GET /metrics: ${r.status} ${r.body.slice(0, 200)}`);
    return r.body;
  }

  /** Waits until the process has completed at least `n` successful syncs (from /metrics). */
  async waitForSyncs(n = 1, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `everynode ${this.label} completes ${n} syncs`,
      async () => {
        const m = /^controller_runtime_reconcile_total\{[^}]*result="success"[^}]*\} (\d+)/m.exec(
          await this.metrics(),
        );
        return Number(m?.[1] ?? 0) >= n;
      },
      timeoutMs,
    );
  }

  /** The last log lines, for failure messages. */
  tail(n = 8): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  /** Sends a signal and waits for the exit code (SIGKILL after 20 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running()) this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** The running test cluster's state (pids, kubeconfig) as cluster:up recorded it. */
export function clusterState(): ClusterState {
  const s = readState();
  if (!s) throw new Error(`no cluster state in ${stateDir()}`);
  return s;
}

/**
 * Restarts one control-plane component in place with its arguments changed by `edit` (see
 * restartComponent in scripts/cluster/lib.ts, which this wraps); resolves once it serves again.
 */
export async function restartComponent(
  name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok',
  edit: (args: string[]) => string[] = (a) => a,
): Promise<void> {
  await restartInPlace(name, { edit, timeoutMs: 60_000 });
}

/** Whether kube-controller-manager currently runs its DaemonSet controller (from its arguments). */
export function builtinDaemonSetControllerOn(): boolean {
  const kcm = clusterState().components.find((c) => c.name === 'kube-controller-manager');
  const controllers = flagValue(kcm ? componentArgs(kcm) : [], '--controllers') ?? '*';
  return !controllers.split(',').includes('-daemonset-controller');
}

/**
 * Restarts kube-controller-manager with the built-in DaemonSet controller on or off (nothing to
 * do when it already is). Everything else kube-controller-manager runs stays on.
 */
export async function setBuiltinDaemonSetController(on: boolean): Promise<void> {
  if (builtinDaemonSetControllerOn() === on) return;
  await restartInPlace('kube-controller-manager', {
    flags: { '--controllers': on ? '*' : '*,-daemonset-controller' },
  });
}

/** Deletes namespaces without waiting (best effort). */
export function dropNamespaces(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    try {
      kubectl(['delete', 'namespace', ns, '--wait=false']);
    } catch {
      // already gone
    }
  }
}
