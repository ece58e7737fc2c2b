/**
 * B4: the controller's heap with 100k cached pods (10k nodes, ten DaemonSets). Objects come from
 * a wire-like port (bench/lib/wire.ts: fresh JSON per list, pods as kube-apiserver and the
 * kubelet make them), so nothing is shared with an in-process API server. Measured with
 * --expose-gc: heapUsed after a full GC, before and after the caches fill. Three measurements:
 * the pod informer alone with the controller's trimPod and indexes, the same without trimming,
 * and the whole controller (nodes, DaemonSets, revisions, pods, handlers) per cached pod.
 */
import type { Pod } from '../src/api/types.js';
import { DaemonSetController } from '../src/controller/controller.js';
import {
  byControllerUID,
  byNamespace,
  Informer,
  INDEX_CONTROLLER_UID,
  INDEX_NAMESPACE,
  INDEX_NODE,
  podByNode,
  trimPod,
} from '../src/controller/informer.js';
import { VirtualClock } from '../src/sim/clock.js';
import { argValue } from './lib/child.js';
import { atMost, info, isQuick, note, report } from './lib/common.js';
import { WireCluster } from './lib/wire.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('B4 needs node --expose-gc');
const heap = (): number => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

const nodes = Number(argValue('--nodes') ?? (isQuick() ? 500 : 10000));
const daemonSets = Number(argValue('--daemonsets') ?? 10);
const wire = new WireCluster(nodes, daemonSets);
const clock = new VirtualClock();

async function podInformer(trim: boolean): Promise<{ bytes: number; pods: number }> {
  const h0 = heap();
  const inf = new Informer<Pod>({
    cluster: wire,
    clock,
    kind: 'Pod',
    ...(trim ? { transform: trimPod } : {}),
    indexers: {
      [INDEX_NAMESPACE]: byNamespace,
      [INDEX_NODE]: podByNode,
      [INDEX_CONTROLLER_UID]: byControllerUID,
    },
  });
  inf.start();
  await inf.waitForSync();
  const bytes = heap() - h0;
  const pods = inf.store.size();
  await inf.stop();
  return { bytes, pods };
}

const trimmed = await podInformer(true);
note(
  `B4 pod cache (trimmed): ${Math.round(trimmed.bytes / trimmed.pods)} B per pod over ${trimmed.pods} pods`,
);
const untrimmed = await podInformer(false);
note(`B4 pod cache (untrimmed): ${Math.round(untrimmed.bytes / untrimmed.pods)} B per pod`);

const h0 = heap();
const controller = new DaemonSetController({ cluster: wire, clock, workers: 0 });
await controller.start();
const whole = heap() - h0;
const stats = controller.stats();
await controller.stop();
const pods = stats.cached.pods;
note(
  `B4 whole controller: ${Math.round(whole / pods)} B per cached pod (${pods} pods, ${stats.cached.nodes} nodes)`,
);

report({
  id: 'B4',
  title: `controller heap with ${pods} cached pods (${nodes} nodes, ${daemonSets} DaemonSets)`,
  quick: isQuick(),
  figures: [
    atMost(
      'whole controller heap per cached pod (nodes, indexes and all)',
      whole / pods,
      'B',
      2048,
    ),
    info('pod cache per pod (trimPod, 3 indexes)', trimmed.bytes / trimmed.pods, 'B'),
    info('pod cache per pod without trimming', untrimmed.bytes / untrimmed.pods, 'B'),
    info('pod JSON on the wire', wire.podWireBytes(), 'B'),
    info('whole controller heap', whole / 2 ** 20, 'MiB'),
  ],
  details: {
    nodes,
    daemonSets,
    pods,
    cachedNodes: stats.cached.nodes,
    wholeBytes: whole,
    trimmed,
    untrimmed,
  },
});
