/**
 * `npm run soak -- [--hours H] [--nodes N] [--seed S]`
 * (`npm run soak -- --cluster ...`: the same on a real control plane, scripts/soak-cluster.ts)
 *
 * The soak of issue 17 on the embedded cluster: the real controller process (ControllerProcess,
 * with leader election) over hours of virtual time, as fast as the CPU allows, with node churn
 * (a node joins or leaves every 20 s), template changes (one of two DaemonSets every 15 min) and
 * controller restarts (every 45 min). Every 5 virtual minutes it samples the heap (after a full
 * GC), RSS, the controller's caches, expectations, backoff entries and queue, and the Events the
 * API server holds. It fails (exit 1) when, after the first quarter (warm-up), the heap or RSS
 * keeps growing, a cache holds more than the cluster has, expectations or backoff outlive their
 * DaemonSets and nodes, Events grow past their TTL, or a timer or socket is left open at the end.
 */
import { parseArgs } from 'node:util';
import type { DaemonSet, Node } from '../src/api/types.js';
import type { KubeObject } from '../src/cluster/port.js';
import { nullLogger } from '../src/controller/logger.js';
import { ControllerProcess } from '../src/cli/run-process.js';
import { DEFAULT_KUBELET, EmbeddedCluster, nodeSpecs } from '../src/cli/run-embedded.js';

if (process.argv.includes('--cluster')) {
  // The soak on a real control plane (scripts/soak-cluster.ts) has options of its own; it exits.
  await import('./soak-cluster.js');
}

const { values: args } = parseArgs({
  options: {
    hours: { type: 'string', default: '4' },
    nodes: { type: 'string', default: '50' },
    seed: { type: 'string', default: '7' },
  },
});
const HOURS = Number(args.hours);
const NODES = Number(args.nodes);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc (npm run soak does)');
  process.exit(2);
}

let rng = Number(args.seed);
const random = (): number => {
  rng = (rng * 1_103_515_245 + 12_345) % 2_147_483_648;
  return rng / 2_147_483_648;
};

function ds(name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%' } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image }] },
      },
    },
  } as KubeObject;
}

interface Sample {
  readonly minute: number;
  readonly heapMB: number;
  readonly rssMB: number;
  readonly nodes: number;
  readonly pods: number;
  readonly cached: { nodes: number; pods: number; daemonSets: number; revisions: number };
  readonly expectations: number;
  readonly backoff: number;
  readonly queue: number;
  readonly events: number;
}

const handlesAtStart = activeHandles();
const wall0 = performance.now();
const embedded = new EmbeddedCluster({
  nodes: nodeSpecs(NODES),
  kubelet: DEFAULT_KUBELET,
  objects: [ds('agent', 'example/agent:0'), ds('logs', 'example/logs:0')].map((object) => ({
    object,
  })),
  dsKind: 'DaemonSet',
  seed: Number(args.seed),
  logger: nullLogger,
  manualClock: true,
});
await embedded.start();
const admin = embedded.memory.client('soak');

const newProcess = (n: number): ControllerProcess =>
  new ControllerProcess({
    cluster: embedded.cluster,
    clock: embedded.clock,
    logger: nullLogger,
    dsKind: 'DaemonSet',
    workers: 2,
    leaderElection: { namespace: 'kube-system', identity: `soak-${n}` },
  });
let restarts = 0;
let proc = newProcess(restarts);
await proc.start();

/** Lets every write, watch event and sync that the last step started run to the end. */
async function settle(): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 10_000 && quiet < 3; i++) {
    await embedded.memory.idle();
    await new Promise((r) => setImmediate(r));
    quiet = proc.controller === undefined || proc.controller.isIdle() ? quiet + 1 : 0;
  }
}

let nextNode = NODES + 1;
let version = 0;
const samples: Sample[] = [];
const totalSeconds = Math.round(HOURS * 3600);
for (let s = 1; s <= totalSeconds; s++) {
  embedded.advance(1000);
  await settle();
  if (s % 20 === 0) {
    const nodes = (await admin.list<Node>('Node')).items;
    // Join when below the size, leave when above; either at random in between.
    if (nodes.length <= NODES * 0.9 || (nodes.length < NODES * 1.1 && random() < 0.5)) {
      await admin.create('Node', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `churn-${nextNode++}`, labels: {} },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      } as KubeObject);
    } else {
      const victim = nodes[Math.floor(random() * nodes.length)]!;
      await admin.delete('Node', '', victim.metadata!.name!);
    }
  }
  if (s % 900 === 0) {
    const name = version % 2 === 0 ? 'agent' : 'logs';
    const cur = await admin.get<DaemonSet>('DaemonSet', 'default', name);
    const tpl = cur.spec!.template;
    await admin.update('DaemonSet', {
      ...cur,
      spec: {
        ...cur.spec!,
        template: {
          ...tpl,
          spec: {
            ...tpl.spec!,
            containers: [{ name: 'c', image: `example/${name}:${++version}` }],
          },
        },
      },
    });
  }
  if (s % 2700 === 0) {
    await proc.shutdown();
    proc = newProcess(++restarts);
    await proc.start();
  }
  if (s % 300 === 0) {
    gc();
    const mem = process.memoryUsage();
    const st = proc.controller?.stats();
    const pods = (await admin.list('Pod')).items.length;
    samples.push({
      minute: s / 60,
      heapMB: mem.heapUsed / 2 ** 20,
      rssMB: mem.rss / 2 ** 20,
      nodes: (await admin.list('Node')).items.length,
      pods,
      cached: st?.cached ?? { nodes: 0, pods: 0, daemonSets: 0, revisions: 0 },
      expectations: st?.expectations ?? 0,
      backoff: st?.backoffEntries ?? 0,
      queue: (st?.queueDepth ?? 0) + (st?.delayed ?? 0),
      events: (await admin.list('Event')).items.length,
    });
  }
}
await proc.shutdown();
embedded.stop();
await new Promise((r) => setTimeout(r, 100));
const handlesAtEnd = activeHandles();

function activeHandles(): number {
  const p = process as unknown as { _getActiveHandles(): unknown[] };
  return p._getActiveHandles().length;
}

const fmt = (n: number): string => n.toFixed(1);
console.log(
  'minute  heap MB  rss MB  nodes  pods  cached n/p/ds/rev   exp  backoff  queue  events',
);
for (const x of samples) {
  console.log(
    `${String(x.minute).padStart(6)}  ${fmt(x.heapMB).padStart(7)}  ${fmt(x.rssMB).padStart(6)}  ` +
      `${String(x.nodes).padStart(5)}  ${String(x.pods).padStart(4)}  ` +
      `${[x.cached.nodes, x.cached.pods, x.cached.daemonSets, x.cached.revisions].join('/').padStart(16)}  ` +
      `${String(x.expectations).padStart(4)}  ${String(x.backoff).padStart(7)}  ${String(x.queue).padStart(5)}  ${String(x.events).padStart(6)}`,
  );
}

const failures: string[] = [];
const quarter = Math.floor(samples.length / 4);
const second = samples.slice(quarter, 2 * quarter);
const last = samples.slice(-quarter);
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const [what, key, slackMB] of [
  ['heap', 'heapMB', 3],
  ['RSS', 'rssMB', 15],
] as const) {
  const a = median(second.map((x) => x[key]));
  const b = median(last.map((x) => x[key]));
  if (b > a * 1.15 + slackMB)
    failures.push(
      `${what} grew after warm-up: median ${fmt(a)} MB in the second quarter, ${fmt(b)} MB in the last`,
    );
}
for (const x of samples) {
  if (x.cached.nodes > x.nodes + 1)
    failures.push(`minute ${x.minute}: ${x.cached.nodes} nodes cached, ${x.nodes} exist`);
  if (x.cached.pods > x.pods + 2)
    failures.push(`minute ${x.minute}: ${x.cached.pods} pods cached, ${x.pods} exist`);
  // revisionHistoryLimit 10: at most 11 per DaemonSet.
  if (x.cached.revisions > 22)
    failures.push(`minute ${x.minute}: ${x.cached.revisions} revisions cached`);
  if (x.expectations > 2)
    failures.push(`minute ${x.minute}: ${x.expectations} expectations for 2 DaemonSets`);
  if (x.backoff > 2 * x.nodes) failures.push(`minute ${x.minute}: ${x.backoff} backoff entries`);
}
// Events live an hour (the API server's --event-ttl); after the first hour their count is flat.
const hourOn = samples.filter((x) => x.minute > 90);
if (hourOn.length > 2) {
  const a = median(hourOn.slice(0, Math.ceil(hourOn.length / 2)).map((x) => x.events));
  const b = median(hourOn.slice(Math.ceil(hourOn.length / 2)).map((x) => x.events));
  if (b > a * 1.5 + 50) failures.push(`Events grew past their TTL: median ${a}, then ${b}`);
}
if (handlesAtEnd > handlesAtStart)
  failures.push(`${handlesAtEnd - handlesAtStart} handles (timers, sockets) left open at the end`);

console.log(
  `\n${HOURS} virtual hours, ${NODES} nodes, ${version} template changes, ${restarts} controller restarts, ` +
    `${samples.length} samples in ${((performance.now() - wall0) / 1000).toFixed(0)} s wall; ` +
    `handles ${handlesAtStart} at start, ${handlesAtEnd} at the end`,
);
if (failures.length > 0) {
  console.log(`\nFAILED:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(
  'soak passed: heap and RSS flat after warm-up, caches and maps bounded, nothing left open',
);
