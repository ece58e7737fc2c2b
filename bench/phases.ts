/**
 * Diagnostic (not one of B1–B5): where one steady-state reconcile of a DaemonSet over N nodes
 * spends its time, phase by phase, on the controller's own caches of a converged cluster.
 * Usage: node --import tsx bench/phases.ts [--nodes 10000] [--runs 20]
 */
import type { Pod } from '../src/api/types.js';
import { labelSelectorAsSelector } from '../src/api/labels.js';
import { DaemonSetController } from '../src/controller/controller.js';
import {
  INDEX_CONTROLLER_UID,
  INDEX_NAMESPACE,
  INDEX_ORPHAN_NAMESPACE,
} from '../src/controller/informer.js';
import { claimObjects } from '../src/engine/claim.js';
import { buildNodeDecisions } from '../src/engine/decisions.js';
import { makeEligibilityChecker, type Eligibility } from '../src/engine/eligibility.js';
import { constructHistory } from '../src/engine/history.js';
import { DEFAULT_BACKOFF, manage } from '../src/engine/manage.js';
import { buildNodeToDaemonPods } from '../src/engine/nodepods.js';
import { reconcile } from '../src/engine/reconcile.js';
import { rollingUpdate } from '../src/engine/rollingupdate.js';
import { computeStatus } from '../src/engine/status.js';
import { argValue } from './lib/child.js';
import { cpuMs, percentile } from './lib/common.js';
import { convergedCluster } from './lib/populate.js';

const nodes = Number(argValue('--nodes') ?? 10000);
const runs = Number(argValue('--runs') ?? 20);
const { clock, memory, keys } = await convergedCluster(nodes, [{ name: 'agent' }]);
const controller = new DaemonSetController({ cluster: memory.client('c'), clock, workers: 0 });
await controller.start();
const c = controller.caches;
const ds = c.daemonSets.get(keys[0]!)!;
const ns = ds.metadata!.namespace!;
const nodeList = c.nodes.list();
// The pods a sync may claim, read as the controller reads them (its own by controller UID, then
// the namespace's orphans): the pod cache keeps no namespace index.
const claimable = (): Pod[] => {
  const owned = c.pods.byIndex(INDEX_CONTROLLER_UID, ds.metadata!.uid!);
  const orphans = c.pods.byIndex(INDEX_ORPHAN_NAMESPACE, ns);
  return orphans.length === 0 ? owned : owned.concat(orphans);
};
const pods = claimable();
const revisions = c.revisions.byIndex(INDEX_NAMESPACE, ns);
const now = clock.now();

function time(label: string, f: () => unknown): void {
  for (let i = 0; i < 3; i++) f();
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    f();
    cpu.push(cpuMs() - c0);
  }
  console.log(
    `${label.padEnd(34)} ${percentile(cpu, 50).toFixed(2).padStart(8)} ms CPU (p50 of ${runs})`,
  );
}

const selector = labelSelectorAsSelector(ds.spec?.selector);
const claim = claimObjects(ds, selector, pods, 'Pod');
const hist = constructHistory(ds, revisions, claim.claimed);
const hash = hist.current.hash;
const checker = makeEligibilityChecker(ds);
const eligibility = new Map<string, Eligibility>();
const eligibilityAt = nodeList.map((n) => {
  const e = checker(n);
  eligibility.set(n.metadata!.name!, e);
  return e;
});
const nodeToPods = buildNodeToDaemonPods(claim.claimed, false);
const base = { ds, nodes: nodeList, eligibility, eligibilityAt, nodeToPods, hash, now };

console.log(
  `${nodes} nodes, ${pods.length} pods the DaemonSet may claim, machine load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
);
time('snapshot: nodes.list()', () => c.nodes.list());
time('snapshot: claimable pods', claimable);
time('reconcile (live)', () =>
  reconcile({ ds, nodes: nodeList, pods, revisions, now, backoff: new Map() }, { mode: 'live' }),
);
time('claimObjects (pods)', () => claimObjects(ds, selector, pods, 'Pod'));
time('constructHistory', () => constructHistory(ds, revisions, claim.claimed));
time('eligibility (all nodes)', () => nodeList.map((n) => checker(n)));
time('buildNodeToDaemonPods', () => buildNodeToDaemonPods(claim.claimed, false));
time('manage', () =>
  manage({ ...base, surge: false, backoff: new Map(), backoffConfig: DEFAULT_BACKOFF }),
);
time('rollingUpdate', () => rollingUpdate(base));
time('computeStatus', () => computeStatus({ ...base, updateObservedGen: true }));
time('buildNodeDecisions', () =>
  buildNodeDecisions({ ...base, creates: [], deletes: [], notes: new Map() }),
);
const cpu: number[] = [];
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs();
  await controller.syncDaemonSet(keys[0]!);
  cpu.push(cpuMs() - c0);
}
console.log(
  `${'syncDaemonSet'.padEnd(34)} ${percentile(cpu, 50).toFixed(2).padStart(8)} ms CPU (p50 of ${runs})`,
);
await controller.stop();
