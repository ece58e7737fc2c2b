/**
 * `everynode plan ds/NAME` against the real control plane (issue 16): an apps/v1 DaemonSet with
 * no pods yet (the built-in DaemonSet controller is off and no everynode runs here) plans a pod
 * on every fake node; `-f` with a changed image plans a new revision; nothing is written.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '../../src/cli/plan.js';
import { createDs, dropNamespaces, dsManifest, getDs } from './helpers.js';
import { expectedNodes, freshNamespace, skipReason } from './kubectl.js';

interface PlanJson {
  nodes: { name: string; shouldRun: boolean }[];
  create: { node: string }[];
  history: { createRevision: { revision: number } | null };
}

describe('plan against the live cluster', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'everynode-plan-live-'));
  after(() => {
    dropNamespaces(namespaces);
    rmSync(dir, { recursive: true, force: true });
  });

  test('plan ds/NAME and ds/NAME -f changed.yaml read the cluster and write nothing', async () => {
    const ns = await freshNamespace('plan-live');
    namespaces.push(ns);
    const ds = dsManifest('native', ns, 'agent');
    createDs(ds);
    const before = await getDs('native', ns, 'agent');
    const run = async (extra: object): Promise<PlanJson> => {
      let out = '';
      await runPlan(
        {
          target: 'ds/agent',
          namespace: ns,
          kubeconfig: process.env.KUBECONFIG,
          output: 'json',
          ...extra,
        },
        { stdout: { write: (s: string) => (out += s) } },
      );
      return JSON.parse(out) as PlanJson;
    };
    const plan = await run({});
    assert.equal(plan.nodes.length, expectedNodes);
    assert.equal(plan.create.length, expectedNodes, 'a pod for every node, none exists yet');
    const changed = dsManifest('native', ns, 'agent', { image: 'registry.invalid/agent:2' });
    const file = join(dir, 'agent.json');
    writeFileSync(file, JSON.stringify(changed));
    const next = await run({ filename: file });
    assert.ok(next.history.createRevision !== null, 'the changed template needs a new revision');
    const afterPlan = await getDs('native', ns, 'agent');
    assert.equal(
      afterPlan.metadata?.resourceVersion,
      before.metadata?.resourceVersion,
      'nothing written',
    );
  });
});
