/**
 * Issue 12's removal budget on the real control plane, for everynode's CRD and for a native
 * apps/v1 DaemonSet (the strategy annotation): three kwok nodes of a pool lose the pool's label at
 * once; with `removalBudget {maxRemovals: 1, periodSeconds: 12, delaySeconds: 3}` their pods go
 * one at a time, the first no sooner than the delay and each next one no sooner than a period
 * after the one before (upstream would delete all three in one sync); a Normal Event
 * RemovalDeferred is recorded, and the CRD's status counts status.pendingRemovals. Both modes run
 * concurrently, each with its own nodes, namespace and controller (~40 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, Event, Mutable } from '../../src/api/types.js';
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
  installCrd,
  livePods,
  modes,
  waitUntil,
  type Mode,
} from './helpers.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const BUDGET = { maxRemovals: 1, periodSeconds: 12, delaySeconds: 3 };

function manifest(mode: Mode, ns: string, pool: string): DaemonSet {
  const ds = structuredClone(
    dsManifest(mode, ns, 'agent', { maxUnavailable: 1, nodeSelector: { 'e2e-rb-pool': pool } }),
  ) as Mutable<DaemonSet>;
  if (mode === 'crd') (ds.spec as Record<string, unknown>).removalBudget = BUDGET;
  else
    ds.metadata = {
      ...ds.metadata,
      annotations: { 'rollout.everynode.dev/strategy': JSON.stringify({ removalBudget: BUDGET }) },
    };
  return ds;
}

describe('e2e: removal budget', { skip: skipReason, concurrency: true }, () => {
  const namespaces: string[] = [];
  const nodes: string[] = [];
  before(async () => {
    await installCrd();
  });
  after(() => {
    dropNamespaces(namespaces);
    for (const n of nodes) deleteNode(n);
    closeApi();
  });

  for (const mode of modes) {
    test(`--resource ${mode}: a relabelled pool loses one pod per period, after the delay`, async () => {
      const pool = `pool-${mode}`;
      const mine = [1, 2, 3].map((i) => `e2e-rb-${mode}-${i}`);
      for (const n of mine) {
        createNode(n, { 'e2e-rb-pool': pool });
        nodes.push(n);
      }
      const ns = await freshNamespace(`e2e-rb-${mode}`);
      namespaces.push(ns);
      const ctl = Everynode.start(`removal-budget-${mode}`, mode, ns);
      try {
        await ctl.waitForLog('daemonset controller started');
        createDs(manifest(mode, ns, pool));
        await waitUntil('a pod on each pool node', async () =>
          (await livePods(ns, 'agent')).length === 3 ? true : undefined,
        );
        kubectl(['label', 'node', ...mine, 'e2e-rb-pool-']);
        const relabelled = Date.now();
        // Each drop of the live pod count, timed from the relabel.
        const drops: number[] = [];
        const sizes: number[] = [];
        let count = 3;
        await waitUntil(
          'all three pods gone, one at a time',
          async () => {
            const now = (await livePods(ns, 'agent')).length;
            if (now < count) {
              drops.push(Date.now() - relabelled);
              sizes.push(count - now);
              count = now;
            }
            return now === 0 ? true : undefined;
          },
          90_000,
        );
        assert.deepEqual(sizes, [1, 1, 1], `pods gone per drop at ${drops.join(', ')} ms`);
        assert.ok(drops[0]! >= BUDGET.delaySeconds * 1000 - 500, `first after ${drops[0]} ms`);
        // A period between removals (the window's times are whole seconds, rounded up).
        for (let i = 1; i < drops.length; i++)
          assert.ok(
            drops[i]! - drops[i - 1]! >= BUDGET.periodSeconds * 1000 - 1500,
            `removals at ${drops.join(', ')} ms`,
          );
        const events = (await api().list<Event>('Event', { namespace: ns })).items;
        assert.ok(
          events.some((e) => e.reason === 'RemovalDeferred'),
          `events: ${events.map((e) => e.reason).join(', ')}`,
        );
        if (mode === 'crd') {
          const ds = await getDs(mode, ns, 'agent');
          assert.equal(ds.status?.pendingRemovals, 0);
          assert.ok((ds.status?.removals?.length ?? 0) >= 1, JSON.stringify(ds.status));
        }
      } finally {
        assert.equal(await ctl.stop(), 0);
      }
    });
  }
});
