import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import {
  newDaemonSet,
  newNodes,
  newOwnedPod,
  sec,
  type StrategySpec,
} from '../../test/harness/fixtures.js';
import type { Eligibility } from './eligibility.js';
import {
  defaultUpdatePolicy,
  holdBackLast,
  rollingUpdate,
  type RollingUpdateInput,
  type UpdatePolicy,
} from './rollingupdate.js';

const NEW = 'hnew';
const OLD = 'hold';

function setup(strategy: StrategySpec, minReadySeconds = 0): DaemonSet {
  const ds = newDaemonSet({ strategy, minReadySeconds });
  // Pods are told apart by hash only in these tests: no template-generation match.
  delete ds.metadata!.annotations;
  return ds;
}

function eligibility(
  nodes: readonly Node[],
  notRun: readonly string[] = [],
): Map<string, Eligibility> {
  return new Map(
    nodes.map((n) => {
      const name = n.metadata!.name!;
      const run = !notRun.includes(name);
      return [name, { shouldRun: run, shouldContinueRunning: true, reason: run ? '' : 'taint' }];
    }),
  );
}

function input(
  ds: DaemonSet,
  nodes: readonly Node[],
  pods: readonly Pod[],
  opts: { now?: number; notRun?: readonly string[]; policy?: UpdatePolicy } = {},
): RollingUpdateInput {
  const map = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = p.spec?.nodeName ?? '';
    map.set(node, [...(map.get(node) ?? []), p]);
  }
  return {
    ds,
    nodes,
    eligibility: eligibility(nodes, opts.notRun),
    nodeToPods: map,
    hash: NEW,
    now: opts.now ?? sec(1000),
    ...(opts.policy ? { policy: opts.policy } : {}),
  };
}

const ready = (
  ds: DaemonSet,
  node: string,
  hash: string,
  extra: Parameters<typeof newOwnedPod>[2] = {},
) => newOwnedPod(ds, node, { hash, readySince: sec(0), name: `${node}-${hash}`, ...extra });
const unready = (
  ds: DaemonSet,
  node: string,
  hash: string,
  extra: Parameters<typeof newOwnedPod>[2] = {},
) => newOwnedPod(ds, node, { hash, name: `${node}-${hash}-unready`, ...extra });

test('maxUnavailable mode: available old pods go within the budget, in node-name order, with reasons', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 2 });
  const nodes = newNodes(12);
  const r = rollingUpdate(
    input(
      ds,
      nodes,
      nodes.map((n) => ready(ds, n.metadata!.name!, OLD)),
    ),
  );
  assert.deepEqual(r.createOnNodes, []);
  assert.deepEqual(
    r.deletePods.map((d) => [d.node, d.pod.metadata?.name, d.source]),
    [
      ['node-0', 'node-0-hold', 'rollingUpdate'],
      ['node-1', 'node-1-hold', 'rollingUpdate'],
    ],
  );
  assert.equal(r.deletePods[0]!.reason, 'old revision hold; within the maxUnavailable budget of 2');
  assert.equal(r.requeueAt, null);
});

test('maxUnavailable mode: duplicates, missing pods, old+new and unavailable new pods use the budget', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 4 });
  const nodes = newNodes(7);
  const pods = [
    ready(ds, 'node-0', OLD),
    ready(ds, 'node-0', OLD, { name: 'dup' }), // not ok
    // node-1: no pod at all (empty entry for a node that should run)
    ready(ds, 'node-2', OLD, { deleting: sec(1) }), // only terminating: counts as missing
    ready(ds, 'node-3', OLD),
    unready(ds, 'node-3', NEW), // both
    unready(ds, 'node-4', NEW), // only new, unavailable
    ready(ds, 'node-5', OLD),
    ready(ds, 'node-6', OLD),
  ];
  // 5 unavailable ≥ 4: no available old pod is touched.
  assert.deepEqual(rollingUpdate(input(ds, nodes, pods)).deletePods, []);
  const wider = setup({ type: 'RollingUpdate', maxUnavailable: 6 });
  assert.deepEqual(
    rollingUpdate(input(wider, nodes, pods)).deletePods.map((d) => d.node),
    ['node-5'],
  );
});

test('maxUnavailable mode: unavailable old pods are replaced without budget', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 1 });
  const nodes = newNodes(4);
  const pods = [
    unready(ds, 'node-0', NEW),
    unready(ds, 'node-1', OLD),
    unready(ds, 'node-2', OLD),
    ready(ds, 'node-3', OLD),
  ];
  const r = rollingUpdate(input(ds, nodes, pods));
  assert.deepEqual(
    r.deletePods.map((d) => [d.node, d.reason]),
    [
      ['node-1', 'old revision hold, pod unavailable: replaced without budget'],
      ['node-2', 'old revision hold, pod unavailable: replaced without budget'],
    ],
  );
});

test('maxUnavailable mode: a node the DaemonSet is leaving goes first among candidates', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 1 });
  const nodes = newNodes(3);
  const pods = nodes.map((n) => ready(ds, n.metadata!.name!, OLD));
  const r = rollingUpdate(input(ds, nodes, pods, { notRun: ['node-2'] }));
  assert.deepEqual(
    r.deletePods.map((d) => d.node),
    ['node-2'],
  );
});

test('maxUnavailable mode: the policy seam decides which candidates go', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 2 });
  const nodes = newNodes(5);
  const pods = nodes.map((n) => ready(ds, n.metadata!.name!, OLD));
  const reverse: UpdatePolicy = {
    ...defaultUpdatePolicy,
    name: 'reverse',
    select: (cs, n) => [...cs].reverse().slice(0, n),
  };
  const r = rollingUpdate(input(ds, nodes, pods, { policy: reverse }));
  assert.deepEqual(
    r.deletePods.map((d) => d.node),
    ['node-4', 'node-3'],
  );
});

test('the release set: holdBackLast(2) never updates the last two nodes in either mode', () => {
  const nodes = newNodes(5);
  const mu = setup({ type: 'RollingUpdate', maxUnavailable: 5 });
  const pods = nodes.map((n) => ready(mu, n.metadata!.name!, OLD));
  const r = rollingUpdate(input(mu, nodes, pods, { policy: holdBackLast(2) }));
  assert.deepEqual(
    r.deletePods.map((d) => d.node),
    ['node-0', 'node-1', 'node-2'],
  );
  const surge = setup({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 5 });
  const old = nodes.map((n) => ready(surge, n.metadata!.name!, OLD));
  const s = rollingUpdate(input(surge, nodes, old, { policy: holdBackLast(2) }));
  assert.deepEqual(
    s.createOnNodes.map((c) => c.node),
    ['node-0', 'node-1', 'node-2'],
  );
  // A held node that should no longer run the pod is not held: its pod leaves anyway.
  const leaving = rollingUpdate(
    input(mu, nodes, pods, { policy: holdBackLast(2), notRun: ['node-4'] }),
  );
  assert.ok(leaving.deletePods.some((d) => d.node === 'node-4'));
});

test('minReadySeconds: requeueAt is when the earliest Ready new pod becomes available (strictly after)', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 1 }, 15);
  const nodes = newNodes(3);
  const pods = [
    ready(ds, 'node-0', NEW, { readySince: sec(300) }),
    ready(ds, 'node-1', NEW, { readySince: sec(305) }),
    ready(ds, 'node-2', OLD),
  ];
  const r = rollingUpdate(input(ds, nodes, pods, { now: sec(310) }));
  assert.equal(r.requeueAt, sec(315) + 1);
  assert.deepEqual(r.deletePods, []);
  const later = rollingUpdate(input(ds, nodes, pods, { now: sec(315) + 1 }));
  assert.equal(later.requeueAt, sec(320) + 1);
  assert.equal(rollingUpdate(input(ds, nodes, pods, { now: sec(321) })).requeueAt, null);
});

test('surge mode: new pods beside available old pods within maxSurge, in node-name order', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 2 });
  const nodes = newNodes(5);
  const r = rollingUpdate(
    input(
      ds,
      nodes,
      nodes.map((n) => ready(ds, n.metadata!.name!, OLD)),
    ),
  );
  assert.deepEqual(r.createOnNodes, [
    { node: 'node-0', reason: 'surge: new pod beside the available old pod (maxSurge 2)' },
    { node: 'node-1', reason: 'surge: new pod beside the available old pod (maxSurge 2)' },
  ]);
  assert.deepEqual(r.deletePods, []);
});

test('surge mode: unavailable new pods use the surge budget; available ones retire the old pod', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 2 });
  const nodes = newNodes(5);
  const pods = [
    ready(ds, 'node-0', OLD),
    unready(ds, 'node-0', NEW), // surging, not available: numSurge 1
    ready(ds, 'node-1', OLD),
    ready(ds, 'node-1', NEW), // available: the old pod goes
    ready(ds, 'node-2', OLD),
    ready(ds, 'node-3', OLD),
    unready(ds, 'node-4', OLD), // old unavailable: new pod at once
  ];
  const r = rollingUpdate(input(ds, nodes, pods));
  assert.deepEqual(
    r.createOnNodes.map((c) => c.node),
    ['node-4', 'node-2'],
  );
  assert.match(r.createOnNodes[0]!.reason, /old pod unavailable/);
  assert.deepEqual(
    r.deletePods.map((d) => [d.node, d.pod.metadata?.name]),
    [['node-1', 'node-1-hold']],
  );
  assert.match(
    r.deletePods[0]!.reason,
    /^surge: new pod node-1-hnew is available, old revision hold goes$/,
  );
});

test('surge mode: pods on nodes the DaemonSet leaves go only while more are available than desired', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 });
  const nodes = newNodes(6);
  const pods = nodes.map((n) => ready(ds, n.metadata!.name!, OLD));
  const r = rollingUpdate(input(ds, nodes, pods, { notRun: ['node-0'] }));
  assert.deepEqual(
    r.deletePods.map((d) => [d.node, d.reason]),
    [['node-0', 'node no longer eligible and more pods available (6) than desired (5)']],
  );
  assert.deepEqual(
    r.createOnNodes.map((c) => c.node),
    ['node-1'],
  );
  // With one eligible node unavailable, 5 available = 5 desired: the leaving node keeps its pod.
  const pods2 = [...pods.slice(0, 5), unready(ds, 'node-5', OLD)];
  const r2 = rollingUpdate(input(ds, nodes, pods2, { notRun: ['node-0'] }));
  assert.deepEqual(
    r2.deletePods.map((d) => d.node),
    [],
  );
  // An unavailable old pod on a leaving node goes at once.
  const pods3 = [unready(ds, 'node-0', OLD), ...pods.slice(1)];
  const r3 = rollingUpdate(input(ds, nodes, pods3, { notRun: ['node-0'] }));
  assert.deepEqual(
    r3.deletePods.map((d) => d.node),
    ['node-0'],
  );
  assert.match(r3.deletePods[0]!.reason, /should no longer run it/);
});

test('surge mode: duplicates count against maxSurge; a missing node is an error', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 });
  const nodes = newNodes(3);
  const dup = [
    ready(ds, 'node-0', NEW),
    ready(ds, 'node-0', NEW, { name: 'dup' }),
    ready(ds, 'node-1', OLD),
  ];
  assert.deepEqual(rollingUpdate(input(ds, nodes, dup)).createOnNodes, []);
  const ghost = [ready(ds, 'node-0', OLD), ready(ds, 'gone', OLD)];
  assert.throws(() => rollingUpdate(input(ds, nodes, ghost)), /node "gone" .*not in the node list/);
  // maxUnavailable mode treats it as any other node (one the DaemonSet is leaving, so first).
  const mu = setup({ type: 'RollingUpdate', maxUnavailable: 1 });
  const all = [...nodes.map((n) => ready(mu, n.metadata!.name!, OLD)), ready(mu, 'gone', OLD)];
  assert.deepEqual(
    rollingUpdate(input(mu, nodes, all)).deletePods.map((d) => d.node),
    ['gone'],
  );
});

test('a malformed budget fails the rolling update with the field named', () => {
  const ds = setup({ type: 'RollingUpdate', maxUnavailable: 'lots' });
  assert.throws(
    () => rollingUpdate(input(ds, newNodes(1), [])),
    /spec\.updateStrategy\.rollingUpdate\.maxUnavailable/,
  );
});
