/**
 * A converged embedded cluster built quickly: nodes and DaemonSets are created through the port,
 * a set-up controller (workers 0, no burst cap) creates every pod in one sync, then each pod is
 * bound and given the status the simulated kubelet writes for a ready pod, and a last sync writes
 * the DaemonSet status. The objects are the ones the simulation would produce, without running
 * thousands of virtual instants to get there.
 */
import type { Pod } from '../../src/api/types.js';
import { getTargetNodeName } from '../../src/api/pod.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { Cluster } from '../../src/cluster/port.js';
import { DaemonSetController } from '../../src/controller/controller.js';
import { createNodes } from '../../src/sim/actions.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { pendingStatus, readyStatus, runningStatus } from '../../src/sim/podstatus.js';
import { seededRandom } from '../../src/sim/random.js';
import { daemonSetManifest, type BenchDaemonSet } from './sim.js';

/** A cluster where every DaemonSet runs one ready pod of its current revision on every node. */
export interface ConvergedCluster {
  readonly clock: VirtualClock;
  readonly memory: MemoryCluster;
  /** "namespace/name" of every DaemonSet. */
  readonly keys: readonly string[];
}

/** Builds the cluster; see the file comment. */
export async function convergedCluster(
  nodes: number,
  daemonSets: readonly BenchDaemonSet[],
): Promise<ConvergedCluster> {
  const clock = new VirtualClock();
  const rng = seededRandom(7);
  const memory = new MemoryCluster({ clock, random: () => rng.next() });
  const setup: Cluster = memory.client('setup');
  const zones = ['zone-a', 'zone-b', 'zone-c'];
  await createNodes(
    { cluster: setup, clock },
    Array.from({ length: nodes }, (_, i) => ({
      name: `node-${String(i + 1).padStart(5, '0')}`,
      labels: { 'topology.kubernetes.io/zone': zones[i % 3]! },
      taints: [],
      pods: 110,
      ready: true,
    })),
  );
  const keys: string[] = [];
  for (const d of daemonSets) {
    const m = daemonSetManifest(d) as { metadata: { namespace: string; name: string } };
    await setup.create('DaemonSet', m as never);
    keys.push(`${m.metadata.namespace}/${m.metadata.name}`);
  }
  const ctl = new DaemonSetController({ cluster: setup, clock, workers: 0, burstReplicas: 1e9 });
  await ctl.start();
  for (const k of keys) await ctl.syncDaemonSet(k);
  await memory.idle();
  let ip = 0;
  for (const pod of (await setup.list<Pod>('Pod')).items) {
    const t = getTargetNodeName(pod);
    if (!('node' in t)) continue;
    const bound = await setup.patch<Pod>('Pod', pod.metadata!.namespace!, pod.metadata!.name!, {
      type: 'merge',
      body: { spec: { nodeName: t.node } },
    });
    const now = clock.now();
    const n = ip++;
    const s1 = pendingStatus(
      bound,
      now,
      '10.0.0.1',
      `10.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`,
    );
    const s2 = runningStatus({ ...bound, status: s1 }, now);
    const s3 = readyStatus({ ...bound, status: s2 }, now);
    await setup.updateStatus('Pod', { ...bound, status: s3 });
  }
  await memory.idle();
  for (const k of keys) await ctl.syncDaemonSet(k);
  await memory.idle();
  await ctl.stop();
  return { clock, memory, keys };
}
