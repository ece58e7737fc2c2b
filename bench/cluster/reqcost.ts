/**
 * What one request and one watch event cost everynode's kube client (issue 15, R4), against a
 * running cluster (`npm run cluster:up -- --nodes 20` in the same EVERYNODE_CLUSTER_DIR):
 *
 *   npx tsx bench/cluster/reqcost.ts get 20 200     200 GETs of a Node at 20 per second
 *   npx tsx bench/cluster/reqcost.ts pods 20 150    150 pods created then deleted at 20 requests
 *                                                   per second, with a pod watch open
 *
 * After a warm-up (JIT) on a separate client, prints the CPU per request (per pod in `pods`:
 * two requests and the watch events they cause), user and system, the main thread's exact CPU
 * (schedstat), on-CPU slices (~wake-ups) per thread name, and the TLS sockets opened. A
 * diagnosis, not a benchmark with a target.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../../src/cluster/kube/cluster.js';

const [mode = 'get', qpsText = '20', countText = '200'] = process.argv.slice(2);
const qps = Number(qpsText);
const n = Number(countText);
if ((mode !== 'get' && mode !== 'pods') || !(qps > 0) || !(n > 0)) {
  console.error('usage: reqcost.ts get|pods <qps> <count>');
  process.exit(2);
}
let sockets = 0;
subscribe('net.client.socket', () => {
  sockets++;
});
const kc = new KubeConfig();
kc.loadFromFile(`${process.env.EVERYNODE_CLUSTER_DIR ?? '/tmp/everynode-cluster'}/kubeconfig`);
const c = new KubeCluster({ kubeConfig: kc, qps, burst: Math.max(1, Math.round(qps * 1.5)) });

/** The main thread's CPU ns and on-CPU slices. */
function mainThread(): { ns: number; slices: number } {
  const [ns, , slices] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(
    ' ',
  );
  return { ns: Number(ns), slices: Number(slices) };
}
/** On-CPU slices per thread name. */
function threadSlices(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of readdirSync('/proc/self/task')) {
    const name = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    const slices = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[2];
    out[name] = (out[name] ?? 0) + Number(slices);
  }
  return out;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let events = 0;
const w = await c.watch('Pod', { namespace: 'default', resourceVersion: '0' }, () => {
  events++;
});
const warm = new KubeCluster({ kubeConfig: kc, qps: 1000, burst: 1000 });
for (let i = 0; i < 3; i++)
  await Promise.all(Array.from({ length: 100 }, () => warm.get('Node', '', 'kwok-node-0')));
warm.close();
await sleep(2000);
events = 0;
sockets = 0;
const slices0 = threadSlices();
const cpu0 = process.cpuUsage();
const main0 = mainThread();
const wall0 = performance.now();
if (mode === 'get') {
  await Promise.all(Array.from({ length: n }, () => c.get('Node', '', 'kwok-node-0')));
} else {
  const names = Array.from({ length: n }, (_, i) => `reqcost-${process.pid}-${i}`);
  await Promise.all(
    names.map((name, i) =>
      c.create('Pod', {
        metadata: { name, namespace: 'default' },
        spec: {
          nodeName: `kwok-node-${i % 20}`,
          containers: [{ name: 'c', image: 'pause' }],
          terminationGracePeriodSeconds: 0,
        },
      }),
    ),
  );
  await Promise.all(
    names.map((name) => c.delete('Pod', 'default', name, { gracePeriodSeconds: 0 })),
  );
  await sleep(3000);
}
const cpu = process.cpuUsage(cpu0);
const main = mainThread();
const slices1 = threadSlices();
const per = mode === 'get' ? 'request' : 'pod';
console.log(
  JSON.stringify({
    mode,
    qps,
    n,
    wallS: Math.round(performance.now() - wall0) / 1000,
    socketsOpened: sockets,
    watchEvents: events,
    [`userMsPer${per}`]: +(cpu.user / 1000 / n).toFixed(3),
    [`systemMsPer${per}`]: +(cpu.system / 1000 / n).toFixed(3),
    [`mainThreadMsPer${per}`]: +((main.ns - main0.ns) / 1e6 / n).toFixed(3),
    [`mainSlicesPer${per}`]: +((main.slices - main0.slices) / n).toFixed(2),
    slicesByThread: Object.fromEntries(
      Object.entries(slices1).map(([k, v]) => [k, v - (slices0[k] ?? 0)]),
    ),
  }),
);
w.stop();
c.close();
