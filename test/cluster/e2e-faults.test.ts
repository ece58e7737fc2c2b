/**
 * Faults on the real control plane, each in the middle of a rolling update of one DaemonSet over
 * every fake node of the cluster (issue 17): everynode SIGKILLed and restarted three times; the
 * leader frozen (SIGSTOP) past its Lease and resumed after the standby took over; kube-apiserver
 * restarted; etcd restarted; every watch ended with 410 Gone for a while (relists); 429s and
 * 503s for a while; a server that stops answering mid-request for a while. After each: no node
 * ever had two pods (no surge is configured), never more nodes without a Ready pod than
 * maxUnavailable allows, exactly one new pod per node (none created or deleted needlessly), the
 * rollout finished and the status says so.
 *
 * The DaemonSet is everynode's CRD, as deploy/ installs it; EVERYNODE_FAULTS_MODE=native runs the
 * same faults on an apps/v1 DaemonSet (the cluster's kube-controller-manager runs without its own
 * DaemonSet controller).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { RealClock } from '../../src/clock/clock.js';
import { Informer } from '../../src/controller/informer.js';
import { readState, stateDir } from '../../scripts/cluster/lib.js';
import type {
  Cluster,
  KubeObject,
  ListOptions,
  ResourceKind,
  WatchEvent,
  WatchOptions,
} from '../../src/cluster/port.js';
import { startFaultProxy, type Fault, type FaultProxy } from './faultproxy.js';
import {
  api,
  closeApi,
  createDs,
  dropNamespaces,
  dsManifest,
  Everynode,
  imageOf,
  nodeOf,
  readyNodes,
  restartComponent,
  installCrd,
  setBuiltinDaemonSetController,
  type Mode,
  setImage,
  waitRolledOut,
  waitUntil,
} from './helpers.js';
import { freshNamespace, skipReason } from './kubectl.js';

const NAME = 'agent';
const MODE: Mode = process.env.EVERYNODE_FAULTS_MODE === 'native' ? 'native' : 'crd';
/** maxUnavailable of the test DaemonSet: a quarter of the nodes at a time keeps rollouts short. */
const MAX_UNAVAILABLE = '25%';

const isReady = (p: Pod): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The DaemonSet's pods through an Informer (which relists across apiserver and etcd restarts),
 * with the rollout invariants checked after every change. A pod created and deleted entirely
 * inside a gap in the watch (a restart) is not seen; everything else is.
 */
class Invariants {
  maxPodsPerNode = 0;
  maxNodesWithoutReady = 0;
  /** Pod UIDs first seen since reset(), with their image. */
  readonly created = new Map<string, string | undefined>();
  private readonly informer: Informer<Pod>;

  constructor(
    ns: string,
    private readonly nodes: readonly string[],
  ) {
    this.informer = new Informer<Pod>({
      // The informer lists and watches only; this DaemonSet's pods only.
      cluster: {
        list: (k: ResourceKind, o: ListOptions) =>
          api().list(k, { ...o, labelSelector: `app=${NAME}` }),
        watch: (k: ResourceKind, o: WatchOptions, h: (e: WatchEvent<KubeObject>) => void) =>
          api().watch(k, { ...o, labelSelector: `app=${NAME}` }, h),
      } as unknown as Cluster,
      kind: 'Pod',
      clock: new RealClock(),
      namespace: ns,
      watchTimeoutMs: 60_000,
      backoff: { initialMs: 200, maxMs: 2000, jitter: 0.2 },
    });
    this.informer.addEventHandler({
      onAdd: (p) => {
        this.created.set(p.metadata!.uid!, imageOf(p));
        this.check();
      },
      onUpdate: () => {
        this.check();
      },
      onDelete: () => {
        this.check();
      },
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  reset(): void {
    this.maxPodsPerNode = 0;
    this.maxNodesWithoutReady = 0;
    this.created.clear();
  }

  /** Pods of `image` that are not terminating. */
  updated(image: string): number {
    return this.informer.store
      .list()
      .filter((p) => imageOf(p) === image && p.metadata?.deletionTimestamp === undefined).length;
  }

  private check(): void {
    const perNode = new Map<string, { live: number; ready: boolean }>();
    for (const p of this.informer.store.list()) {
      if (p.metadata?.deletionTimestamp !== undefined) continue;
      const n = nodeOf(p) ?? '?';
      const e = perNode.get(n) ?? { live: 0, ready: false };
      e.live++;
      e.ready ||= isReady(p);
      perNode.set(n, e);
    }
    let without = 0;
    for (const n of this.nodes) {
      const e = perNode.get(n);
      this.maxPodsPerNode = Math.max(this.maxPodsPerNode, e?.live ?? 0);
      if (!e?.ready) without++;
    }
    this.maxNodesWithoutReady = Math.max(this.maxNodesWithoutReady, without);
  }
}

describe('faults on the real control plane, mid-rollout', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  const running: Everynode[] = [];
  let nodes: string[] = [];
  let ns = '';
  let inv: Invariants;
  let version = 1;
  let dir = '';
  let proxy: FaultProxy | undefined;
  const image = (v: number): string => `registry.invalid/agent:${v}`;
  const budget = (): number => Math.floor(nodes.length / 4);

  const start = (label: string, extra: readonly string[] = []): Everynode => {
    const c = Everynode.start(label, MODE, ns, ['--request-timeout', '5s', ...extra]);
    running.push(c);
    return c;
  };
  const stopAll = async (): Promise<void> => {
    for (const c of running.splice(0)) await c.stop('SIGKILL');
  };

  /** Waits until the rollout to `img` has replaced at least `share` of the nodes (and not all). */
  const progressed = (img: string, share: number): Promise<boolean> =>
    waitUntil(
      `${Math.round(share * 100)}% of the nodes run ${img}`,
      () => {
        const n = inv.updated(img);
        return n >= Math.max(1, Math.floor(nodes.length * share)) ? true : undefined;
      },
      180_000,
      50,
    );

  /** Rolls out the next image with `fault` injected once it is under way; checks the invariants. */
  const rollout = async (what: string, fault: (img: string) => Promise<void>): Promise<void> => {
    const img = image(++version);
    inv.reset();
    const t0 = Date.now();
    setImage(MODE, ns, NAME, img);
    await progressed(img, 0.05);
    assert.ok(inv.updated(img) < nodes.length, `${what}: the rollout finished before the fault`);
    await fault(img);
    await waitRolledOut(MODE, ns, NAME, nodes, img, 300_000);
    const fresh = [...inv.created.values()];
    process.stderr.write(
      `[faults] ${what}: rolled out ${nodes.length} nodes in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `max pods per node ${inv.maxPodsPerNode}, max nodes without a ready pod ${inv.maxNodesWithoutReady} (budget ${budget()}), ` +
        `pods created ${fresh.length}\n`,
    );
    assert.equal(inv.maxPodsPerNode, 1, `${what}: a node had two pods`);
    assert.ok(
      inv.maxNodesWithoutReady <= budget(),
      `${what}: ${inv.maxNodesWithoutReady} nodes down at once`,
    );
    assert.equal(
      fresh.length,
      nodes.length,
      `${what}: ${fresh.length} pods created for ${nodes.length} nodes`,
    );
    assert.ok(
      fresh.every((i) => i === img),
      `${what}: a pod of an old image was created`,
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-faults-'));
    // Native mode needs kube-controller-manager's own DaemonSet controller off (a no-op when it is).
    if (MODE === 'native') await setBuiltinDaemonSetController(false);
    else await installCrd();
    nodes = await readyNodes();
    ns = await freshNamespace('faults');
    namespaces.push(ns);
    createDs(dsManifest(MODE, ns, NAME, { image: image(1), maxUnavailable: MAX_UNAVAILABLE }));
    inv = new Invariants(ns, nodes);
    await inv.start();
    start('first');
    await waitRolledOut(MODE, ns, NAME, nodes, image(1), 300_000);
  });
  after(async () => {
    await stopAll();
    await inv.stop();
    await proxy?.close();
    dropNamespaces(namespaces);
    closeApi();
    rmSync(dir, { recursive: true, force: true });
  });

  test('everynode SIGKILLed and restarted three times', async () => {
    await rollout('SIGKILL x3', async (img) => {
      for (let i = 1; i <= 3; i++) {
        await progressed(img, 0.05 + 0.2 * i);
        await stopAll();
        start(`kill-${i}`);
      }
    });
  });

  test('the leader frozen (SIGSTOP) past its Lease, resumed after the standby took over', async () => {
    await stopAll();
    const a = start('le-a', ['--leader-elect', '--lease-duration', '6s']);
    await a.waitForLog('became leader');
    const b = start('le-b', ['--leader-elect', '--lease-duration', '6s']);
    await b.waitForLog('attempting to acquire the leader lease');
    await rollout('leader frozen', async (img) => {
      a.child.kill('SIGSTOP');
      await b.waitForLog('became leader', 60_000);
      await progressed(img, 0.5);
      a.child.kill('SIGCONT');
      // It must notice it lost the Lease and exit 1, having written nothing meanwhile.
      assert.equal(
        await Promise.race([a.exited, new Promise((r) => setTimeout(r, 30_000, 'running'))]),
        1,
      );
    });
  });

  test('kube-apiserver restarted', async () => {
    await stopAll();
    start('apiserver');
    await rollout('kube-apiserver restart', () => restartComponent('kube-apiserver'));
  });

  test('etcd restarted', async () => {
    await rollout('etcd restart', () => restartComponent('etcd'));
  });

  const throughProxy = async (what: string, fault: Fault, forMs: number): Promise<void> => {
    await stopAll();
    proxy ??= await startFaultProxy(readState()!.apiserver, join(stateDir(), 'pki'), dir);
    const p = proxy;
    start(`proxy-${what.replace(/[^a-z0-9]+/gi, '-')}`, ['--kubeconfig', p.kubeconfig]);
    await rollout(what, async () => {
      p.set(fault);
      await new Promise((r) => setTimeout(r, forMs));
      p.set(undefined);
    });
    process.stderr.write(`[faults] ${what}: proxy ${JSON.stringify(p.counts)}\n`);
  };

  test('every watch ended with 410 Gone for 8 s (relists)', async () => {
    await throughProxy('410 Gone', { gone: true }, 8000);
    assert.ok(proxy!.counts.gone > 0);
  });

  test('429 and 503 for 10 s', async () => {
    await throughProxy('429/503', { throttle: 0.3, unavailable: 0.2 }, 10_000);
    assert.ok(proxy!.counts.throttled > 0 && proxy!.counts.unavailable > 0);
  });

  test('a server that stops answering mid-request for 8 s', async () => {
    await throughProxy('silent', { silent: true }, 8000);
    assert.ok(proxy!.counts.silenced > 0);
  });
});
