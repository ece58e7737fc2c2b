// Issue 17 item 2: defence in depth. An object that bypassed validation (it cannot come through
// any of everynode's inputs, which all validate now) still never leads to a delete: the engine
// refuses to plan a DaemonSet whose node affinity or tolerations validation refuses, and a node
// whose taints cannot be read gets no new pod while the other nodes go on. Before: operator Near
// read as "matches no node" (every pod deleted), a toleration operator Bogus as "not tolerated",
// a taint effect Bogus was ignored (a pod placed on a tainted node), and taints: null threw a
// TypeError that stopped every DaemonSet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidNodeSelectorError } from '../../src/api/nodeaffinity.js';
import { InvalidTolerationError } from '../../src/api/taints.js';
import type { DaemonSet, Node, Pod } from '../../src/api/types.js';
import { reconcile } from '../../src/engine/reconcile.js';
import type { Snapshot } from '../../src/engine/types.js';
import { newDaemonSet, newNodes, newOwnedPod } from '../harness/fixtures.js';

function snapshot(ds: DaemonSet, nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
  return { ds, nodes, pods, revisions: [], now: 0, backoff: new Map() };
}

function withRunningPods(ds: DaemonSet, nodes: readonly Node[]): Pod[] {
  return nodes.map((n) => newOwnedPod(ds, n.metadata!.name!));
}

test('a node affinity operator Near (bypassing validation) is an error, not "matches no node"', () => {
  const ds = newDaemonSet();
  ds.spec!.template.spec!.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] }],
      },
    },
  };
  const nodes = newNodes(4);
  for (const mode of ['live', 'harness'] as const) {
    assert.throws(
      () => reconcile(snapshot(ds, nodes, withRunningPods(ds, nodes)), { mode }),
      InvalidNodeSelectorError,
    );
  }
});

test('nodeSelectorTerms "oops" is an error, not read character by character', () => {
  const ds = newDaemonSet();
  ds.spec!.template.spec!.affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'oops' } },
  } as never;
  const nodes = newNodes(2);
  assert.throws(
    () => reconcile(snapshot(ds, nodes, withRunningPods(ds, nodes)), { mode: 'live' }),
    /nodeSelectorTerms: Invalid value: "oops": must be a list/,
  );
});

test('a toleration operator Bogus is an error when a tainted node is met', () => {
  const ds = newDaemonSet();
  ds.spec!.template.spec!.tolerations = [
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Bogus' },
  ];
  const nodes = newNodes(3);
  nodes[1]!.spec = {
    taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
  };
  assert.throws(() => reconcile(snapshot(ds, nodes), { mode: 'live' }), InvalidTolerationError);
});

test('taints: null is no taints; a taint effect Bogus makes that node malformed, others go on', () => {
  const ds = newDaemonSet();
  const nodes = newNodes(3);
  nodes[0]!.spec = { taints: null } as never;
  nodes[1]!.spec = {
    taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'Bogus' }],
  };
  const running = newOwnedPod(ds, 'node-1');
  const plan = reconcile(snapshot(ds, nodes, [running]), { mode: 'live' });
  assert.deepEqual(plan.creates.map((c) => c.node).sort(), ['node-0', 'node-2']);
  assert.deepEqual(plan.deletes, [], 'the pod on the malformed node is kept');
  const decision = plan.nodes.find((n) => n.name === 'node-1');
  assert.equal(decision?.shouldRun, false);
  assert.equal(decision?.shouldContinueRunning, true);
  assert.match(
    decision?.reason ?? '',
    /malformed node: spec\.taints\[0\] \(node-role\.kubernetes\.io\/control-plane\) has the effect "Bogus"/,
  );
});
