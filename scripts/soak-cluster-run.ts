/**
 * The real-control-plane soak's body (scripts/soak-cluster.ts starts the cluster and calls
 * soak()): the churn, the invariants and the controller's resource figures. See soak-cluster.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Pod } from '../src/api/types.js';
import { RealClock } from '../src/clock/clock.js';
import { Informer, isTombstone } from '../src/controller/informer.js';
import type {
  Cluster,
  KubeObject,
  ListOptions,
  ResourceKind,
  WatchEvent,
  WatchOptions,
} from '../src/cluster/port.js';
import { readState, stateDir } from './cluster/lib.js';
import { heapMB, procFigures, report, type RoundLine, type Sample } from './soak-cluster-report.js';
import {
  api,
  closeApi,
  createDs,
  createNode,
  deleteNode,
  dropNamespaces,
  dsManifest,
  Everynode,
  getDs,
  imageOf,
  installCrd,
  nodeOf,
  setBuiltinDaemonSetController,
  setImage,
  waitUntil,
  type Mode,
} from '../test/cluster/helpers.js';
import { freshNamespace, kubectl } from '../test/cluster/kubectl.js';

const LABEL = 'soak.everynode.dev/logs';
/** The DaemonSets: `agent` on every node, `logs` on the nodes labelled LABEL=true. */
const DS = ['agent', 'logs'] as const;
type DsName = (typeof DS)[number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isReady = (p: Pod): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const live = (p: Pod): boolean => p.metadata?.deletionTimestamp == null;
const dsOf = (p: Pod): DsName | undefined => {
  const app = p.metadata?.labels?.app;
  return app === 'agent' || app === 'logs' ? app : undefined;
};

export interface SoakOptions {
  readonly rounds: number;
  readonly mode: Mode;
  readonly seed: number;
  readonly say: (msg: string) => void;
}

/** Runs the soak; resolves with the exit status (0 passed, 1 a check failed). */
export async function soak(o: SoakOptions): Promise<number> {
  const { say, mode } = o;
  let rng = o.seed;
  const random = (): number => {
    rng = (rng * 1_103_515_245 + 12_345) % 2_147_483_648;
    return rng / 2_147_483_648;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const failures: string[] = [];
  const fail = (msg: string): void => {
    if (failures.length < 50) failures.push(msg);
    say(`FAIL ${msg}`);
  };

  mkdirSync(join(stateDir(), 'logs'), { recursive: true });
  if (mode === 'crd') await installCrd();
  else if (readState() !== undefined) await setBuiltinDaemonSetController(false);
  const ns = await freshNamespace('soak');

  // The model: which nodes exist and which carry the label (set before each API change, so an
  // event caused by a change always finds the model already changed).
  const nodeList = (await api().list<Node>('Node')).items;
  const present = new Map<string, boolean>();
  for (const n of nodeList) {
    if ((n.spec?.taints ?? []).length > 0 || n.spec?.unschedulable) continue;
    present.set(n.metadata!.name!, n.metadata?.labels?.[LABEL] === 'true');
  }
  const base = present.size;
  const image: Record<DsName, string> = {
    agent: 'registry.invalid/agent:1',
    logs: 'registry.invalid/logs:1',
  };
  const eligible = (ds: DsName, node: string): boolean =>
    present.has(node) && (ds === 'agent' || present.get(node) === true);
  const setLabel = (node: string, on: boolean): void => {
    present.set(node, on);
    kubectl(['label', 'node', node, `${LABEL}=${on ? 'true' : 'false'}`, '--overwrite']);
  };
  for (const n of [...present.keys()].filter((_, i) => i % 2 === 0)) setLabel(n, true);

  // Invariants on every watch event of the namespace's pods.
  let created = 0;
  let deleted = 0;
  const seenDeleting = new Set<string>();
  const reported = new Set<string>();
  const informer = new Informer<Pod>({
    cluster: {
      list: (k: ResourceKind, lo: ListOptions) => api().list(k, lo),
      watch: (k: ResourceKind, wo: WatchOptions, h: (e: WatchEvent<KubeObject>) => void) =>
        api().watch(k, wo, h),
    } as unknown as Cluster,
    kind: 'Pod',
    clock: new RealClock(),
    namespace: ns,
    watchTimeoutMs: 60_000,
    backoff: { initialMs: 200, maxMs: 2000, jitter: 0.2 },
  });
  const checkDuplicates = (): void => {
    const per = new Map<string, string[]>();
    for (const p of informer.store.list()) {
      const ds = dsOf(p);
      if (ds === undefined || !live(p)) continue;
      const key = `${ds} on ${nodeOf(p) ?? '?'}`;
      per.set(key, [...(per.get(key) ?? []), p.metadata!.name!]);
    }
    for (const [key, names] of per) {
      const id = `${key}: ${names.join(', ')}`;
      if (names.length > 1 && !reported.has(id)) {
        reported.add(id);
        fail(`two live pods of ${id}`);
      }
    }
  };
  const onGone = (p: Pod): void => {
    const uid = p.metadata?.uid ?? '';
    if (seenDeleting.has(uid)) return;
    seenDeleting.add(uid);
    deleted++;
    const ds = dsOf(p);
    const node = nodeOf(p) ?? '?';
    if (ds === undefined) return;
    const others = informer.store
      .list()
      .filter((q) => q !== p && dsOf(q) === ds && live(q) && nodeOf(q) === node);
    if (imageOf(p) === image[ds] && eligible(ds, node) && others.length === 0)
      fail(`lost pod: ${p.metadata?.name} (${ds}, current template) deleted from ${node}`);
  };
  informer.addEventHandler({
    onAdd: (p) => {
      created++;
      if (!live(p)) onGone(p);
      checkDuplicates();
    },
    onUpdate: (_, p) => {
      if (!live(p)) onGone(p);
      checkDuplicates();
    },
    onDelete: (x) => {
      onGone(isTombstone(x) ? x.obj : x);
      checkDuplicates();
    },
  });
  informer.start();
  await informer.waitForSync();

  for (const ds of DS)
    createDs(
      dsManifest(mode, ns, ds, {
        image: image[ds],
        maxUnavailable: '25%',
        ...(ds === 'logs' ? { nodeSelector: { [LABEL]: 'true' } } : {}),
      }),
    );

  const procs: Everynode[] = [];
  const startController = (): Everynode => {
    const c = Everynode.start(`soak-${procs.length}`, mode, ns, [
      '--leader-elect',
      '--leader-election-namespace',
      ns,
      '--lease-duration',
      '8s',
      '--request-timeout',
      '10s',
    ]);
    procs.push(c);
    return c;
  };
  let proc = startController();

  /** Waits until both DaemonSets run one Ready current pod on exactly their eligible nodes. */
  const converge = async (
    round: number,
    start = Date.now(),
  ): Promise<{ s: number; pods: Record<DsName, number> }> => {
    const pods = { agent: 0, logs: 0 };
    let detail = '';
    let lastNote = start;
    try {
      await waitUntil(
        `round ${round}: both DaemonSets converged`,
        async () => {
          const nodes = new Set(
            (await api().list<Node>('Node')).items.map((n) => n.metadata!.name!),
          );
          const all = (await api().list<Pod>('Pod', { namespace: ns })).items;
          for (const ds of DS) {
            const want = [...present.keys()].filter((n) => eligible(ds, n)).sort();
            // Pods of deleted nodes are PodGC's to remove (kube-controller-manager, after 40 s).
            const mine = all.filter((p) => dsOf(p) === ds && live(p) && nodes.has(nodeOf(p) ?? ''));
            const on = mine.map((p) => nodeOf(p)!).sort();
            const d = await getDs(mode, ns, ds);
            const s = d.status;
            const n = want.length;
            detail = `${ds}: want ${n} nodes, pods on ${on.length} (${mine.filter(isReady).length} ready, images ${[...new Set(mine.map(imageOf))].join(',')}), status ${JSON.stringify(s ?? {})}`;
            const ok =
              JSON.stringify(on) === JSON.stringify(want) &&
              mine.every((p) => isReady(p) && imageOf(p) === image[ds]) &&
              (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
              s?.desiredNumberScheduled === n &&
              s.currentNumberScheduled === n &&
              s.updatedNumberScheduled === n &&
              (s.numberAvailable ?? 0) === n &&
              (s.numberMisscheduled ?? 0) === 0;
            if (!ok) {
              // A slow convergence says what it is waiting for, every 15 s.
              if (Date.now() - lastNote > 15_000) {
                lastNote = Date.now();
                say(
                  `round ${round}: waiting ${((lastNote - start) / 1000).toFixed(0)} s; ${detail}`,
                );
              }
              return false;
            }
            pods[ds] = n;
          }
          return true;
        },
        180_000,
        500,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${detail}`, { cause: e });
    }
    return { s: (Date.now() - start) / 1000, pods };
  };

  const samples: Sample[] = [];
  const sample = async (round: number): Promise<Sample | undefined> => {
    const p = proc;
    const index = procs.indexOf(p);
    const f = p.child.pid === undefined ? undefined : procFigures(p.child.pid);
    if (f === undefined) return undefined;
    const s = { round, proc: index, ...f, heapMB: await heapMB(p) };
    samples.push(s);
    return s;
  };

  const lines: RoundLine[] = [];
  let nextNode = 1;
  let version = 1;
  let joins = 0;
  let leaves = 0;
  let relabels = 0;
  let restarts = 0;
  let round = 0;
  // The controller's RSS, fds and heap every 10 s (after each round's first 10 s).
  const sampler = setInterval(() => {
    void sample(round);
  }, 10_000);
  say(`${base} nodes, namespace ${ns}, ${o.rounds} rounds of 60 s, resource ${mode}`);
  await converge(0);
  for (round = 1; round <= o.rounds; round++) {
    const what: string[] = [];
    created = 0;
    deleted = 0;
    const roundStart = Date.now();
    const at = async (s: number): Promise<void> => {
      const wait = roundStart + s * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    };
    if (round % 2 === 0) {
      const ds = DS[(round / 2) % 2]!;
      image[ds] = `registry.invalid/${ds}:${++version}`;
      setImage(mode, ns, ds, image[ds]);
      what.push(`template ${ds}`);
    }
    if (round >= 2 && round <= 4) {
      await at(4);
      const signal = round === 3 ? 'SIGTERM' : 'SIGKILL';
      const code = await proc.stop(signal);
      if (signal === 'SIGTERM' && code !== 0) fail(`controller exited ${code} after SIGTERM`);
      proc = startController();
      restarts++;
      what.push(signal);
    }
    for (const s of [0, 10, 20, 30]) {
      await at(s + 1);
      const names = [...present.keys()];
      if (names.length <= base * 0.85 || (names.length < base * 1.15 && random() < 0.5)) {
        const name = `soak-node-${nextNode++}`;
        const labelled = random() < 0.5;
        present.set(name, labelled);
        createNode(name, labelled ? { [LABEL]: 'true' } : {});
        joins++;
      } else {
        const victim = pick(names);
        present.delete(victim);
        deleteNode(victim);
        leaves++;
      }
      if (s === 0 || s === 20) {
        const n = pick([...present.keys()]);
        setLabel(n, !present.get(n));
        relabels++;
      }
    }
    const lastChurn = Date.now();
    const c = await converge(round, lastChurn);
    checkDuplicates();
    const smp = samples.at(-1);
    lines.push({
      round,
      what: what.join(', ') || '-',
      nodes: present.size,
      pods: c.pods,
      convergeS: c.s,
      created,
      deleted,
      sample: smp,
    });
    say(
      `round ${round}: ${what.join(', ') || 'churn'}; converged ${c.s.toFixed(1)} s after the last change; ` +
        `${present.size} nodes, pods ${c.pods.agent}/${c.pods.logs}; created ${created}, deleted ${deleted}; ` +
        (smp
          ? `RSS ${smp.rssMB.toFixed(1)} MB, fds ${smp.fds}, heap ${smp.heapMB?.toFixed(1) ?? '?'} MB`
          : 'no sample'),
    );
    await at(60);
  }

  clearInterval(sampler);
  const code = await proc.stop('SIGTERM');
  if (code !== 0) fail(`the last controller exited ${code} after SIGTERM`);
  await informer.stop();
  dropNamespaces([ns]);
  closeApi();

  const judged = report({
    lines,
    samples,
    lastProc: procs.length - 1,
    fail,
    summary:
      `${o.rounds} rounds (${o.rounds} min of churn), ${base} nodes at start: ${joins} joins, ${leaves} leaves, ` +
      `${relabels} label flips, ${version - 1} template changes, ${restarts} controller restarts`,
  });
  if (failures.length > 0) {
    console.log(`\nFAILED:\n- ${failures.join('\n- ')}`);
    return 1;
  }
  console.log(
    'soak passed: one pod per eligible node after every round, never two, none lost; ' +
      (judged ? 'RSS and fds flat' : 'too short to judge RSS and fds (use --minutes 6 or more)'),
  );
  return 0;
}
