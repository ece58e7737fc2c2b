/**
 * The two timed phases of the side-by-side benchmark: R1 creates a DaemonSet and waits until
 * every node runs an available pod of it; R2 changes its image and waits for the rolling update
 * (maxUnavailable 10%) to finish. "Done" is judged as `kubectl rollout status` judges it.
 */
import type { DaemonSet } from '../../src/api/types.js';
import { sleep } from '../../scripts/cluster/lib.js';
import { type BenchCluster, api } from './cluster.js';

const NS = 'default';
const NAME = 'bench';
const PATH = `/apis/apps/v1/namespaces/${NS}/daemonsets`;

/** The DaemonSet of the benchmark, with the given image. */
export function daemonSet(image: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: NAME, namespace: NS },
    spec: {
      selector: { matchLabels: { app: NAME } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'pause', image }],
        },
      },
    },
  };
}

/** The images of R1 and R2 (kwok never pulls them). */
export const IMAGES = ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.10'] as const;

/** How far a rollout has come, from the DaemonSet's status. */
export interface Progress {
  readonly generation: number;
  readonly observedGeneration: number;
  readonly desired: number;
  readonly updated: number;
  readonly available: number;
}

async function progress(c: BenchCluster): Promise<Progress | undefined> {
  const r = await api(c, 'GET', `${PATH}/${NAME}`);
  if (r.status !== 200) return undefined;
  const ds = JSON.parse(r.body) as DaemonSet;
  const s = ds.status;
  return {
    generation: ds.metadata?.generation ?? 0,
    observedGeneration: s?.observedGeneration ?? 0,
    desired: s?.desiredNumberScheduled ?? 0,
    updated: s?.updatedNumberScheduled ?? 0,
    available: s?.numberAvailable ?? 0,
  };
}

/** True when the rollout is complete on all `nodes` nodes, as `kubectl rollout status` says. */
export function rolledOut(p: Progress, nodes: number): boolean {
  return (
    p.observedGeneration >= p.generation &&
    p.desired === nodes &&
    p.updated === nodes &&
    p.available === nodes
  );
}

/**
 * Polls the DaemonSet every 250 ms until rolled out; resolves with the epoch ms of the first poll
 * that saw it done. Calls `tick` about every 10 s with the latest progress.
 */
export async function waitRolledOut(
  c: BenchCluster,
  nodes: number,
  timeoutMs: number,
  tick: (p: Progress | undefined) => void,
): Promise<number> {
  const start = Date.now();
  let lastTick = start;
  for (;;) {
    const p = await progress(c);
    const now = Date.now();
    if (p && rolledOut(p, nodes)) return now;
    if (now - lastTick >= 10_000) {
      tick(p);
      lastTick = now;
    }
    if (now - start > timeoutMs) {
      throw new Error(`not rolled out after ${timeoutMs / 1000}s: ${JSON.stringify(p)}`);
    }
    await sleep(250);
  }
}

/** R1's action: create the DaemonSet. */
export async function createDaemonSet(c: BenchCluster): Promise<void> {
  const r = await api(c, 'POST', PATH, daemonSet(IMAGES[0]));
  if (r.status !== 201) throw new Error(`create DaemonSet: ${r.status} ${r.body.slice(0, 300)}`);
}

/** R2's action: change the image (a new template, so a new revision). */
export async function updateImage(c: BenchCluster): Promise<void> {
  const patch = {
    spec: { template: { spec: { containers: [{ name: 'pause', image: IMAGES[1] }] } } },
  };
  const r = await api(
    c,
    'PATCH',
    `${PATH}/${NAME}`,
    patch,
    'application/strategic-merge-patch+json',
  );
  if (r.status !== 200) throw new Error(`patch DaemonSet: ${r.status} ${r.body.slice(0, 300)}`);
}
