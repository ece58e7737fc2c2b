import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Mutable, Node, Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import { buildNodeToDaemonPods } from './nodepods.js';
import { formatDuration, isInBackoff, manage, nextBackoff, type ManageInput } from './manage.js';

const NOW = Date.UTC(2026, 0, 1, 0, 10);
const OK: Eligibility = { shouldRun: true, shouldContinueRunning: true, reason: '' };
const NO_SCHEDULE: Eligibility = {
  shouldRun: false,
  shouldContinueRunning: true,
  reason: 'taint t:NoSchedule is not tolerated (existing pods keep running)',
};
const GONE: Eligibility = {
  shouldRun: false,
  shouldContinueRunning: false,
  reason: 'taint t:NoExecute is not tolerated',
};

const ds: DaemonSet = {
  metadata: { name: 'foo', namespace: 'default', uid: 'u' },
  spec: { minReadySeconds: 0 } as never,
};

interface P {
  name: string;
  hash?: string;
  ready?: boolean;
  phase?: string;
  deleting?: boolean;
  created?: string;
  unbound?: boolean;
}

function pod(node: string, p: P): Pod {
  const out: Mutable<Pod> = {
    metadata: {
      name: p.name,
      namespace: 'default',
      uid: `uid-${p.name}`,
      labels: { 'controller-revision-hash': p.hash ?? 'new' },
    },
    spec: p.unbound
      ? {
          containers: [],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
                ],
              },
            },
          },
        }
      : { nodeName: node, containers: [] },
    status: {
      phase: p.phase ?? 'Running',
      conditions: p.ready
        ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }]
        : [],
    },
  };
  if (p.created) out.metadata!.creationTimestamp = p.created;
  if (p.deleting) out.metadata!.deletionTimestamp = '2026-01-01T00:05:00Z';
  return out;
}

function run(
  nodes: [string, Eligibility, P[]][],
  extra: Partial<ManageInput> = {},
  orphanPods: Pod[] = [],
) {
  const ns: Node[] = nodes.map(([name]) => ({ metadata: { name } }));
  const pods = [...nodes.flatMap(([name, , ps]) => ps.map((p) => pod(name, p))), ...orphanPods];
  return manage({
    ds,
    nodes: ns,
    eligibility: new Map(nodes.map(([name, e]) => [name, e])),
    nodeToPods: buildNodeToDaemonPods(pods, false),
    hash: 'new',
    now: NOW,
    surge: false,
    backoff: new Map(),
    backoffConfig: { initialMs: 1000, maxMs: 60_000 },
    ...extra,
  });
}

const deleted = (r: ReturnType<typeof manage>) => r.deletes.map((d) => d.pod.metadata?.name);

test('without surge: creates where missing, keeps the oldest of duplicates', () => {
  const r = run([
    ['empty', OK, []],
    [
      'dup',
      OK,
      [
        { name: 'b', created: '2026-01-01T00:00:02Z' },
        { name: 'a', created: '2026-01-01T00:00:02Z' },
        { name: 'old', created: '2026-01-01T00:00:01Z' },
      ],
    ],
  ]);
  assert.deepEqual(r.creates, [{ node: 'empty', reason: 'no daemon pod on an eligible node' }]);
  assert.deepEqual(deleted(r), ['a', 'b']);
  assert.equal(r.deletes[0]?.reason, 'duplicate: node has 3 pods, keeping the oldest old');
});

test('a NoSchedule-tainted node keeps its pod and gets none; a NoExecute one loses every pod quietly', () => {
  const r = run([
    ['keep', NO_SCHEDULE, [{ name: 'k' }]],
    ['none', NO_SCHEDULE, []],
    [
      'evict',
      GONE,
      [
        { name: 'e1' },
        { name: 'e2', phase: 'Failed' },
        { name: 'e3', phase: 'Succeeded' },
        { name: 'e4', deleting: true },
      ],
    ],
  ]);
  assert.deepEqual(r.creates, []);
  assert.deepEqual(deleted(r), ['e1', 'e2', 'e3']);
  assert.deepEqual(r.events, [], 'no events and no backoff outside shouldContinueRunning');
  assert.equal(r.backoffUpdates.size, 0);
  assert.equal(r.deletes[0]?.reason, 'node no longer eligible: taint t:NoExecute is not tolerated');
});

test('without surge a node with only a terminating pod waits; with surge it gets a pod now', () => {
  const nodes: [string, Eligibility, P[]][] = [['n', OK, [{ name: 'dying', deleting: true }]]];
  const plain = run(nodes);
  assert.deepEqual([plain.creates.length, plain.deletes.length], [0, 0]);
  assert.equal(plain.notes.get('n'), 'pod pending: waiting for the deletion of dying to finish');
  const surge = run(nodes, { surge: true });
  assert.equal(surge.creates.length, 1);
  assert.match(surge.creates[0]!.reason, /dying is terminating/);
  const tainted = run([['n', NO_SCHEDULE, [{ name: 'dying', deleting: true }]]], { surge: true });
  assert.equal(tainted.creates.length, 0, 'no create where shouldRun is false');
});

test('surge: keep oldest new and oldest old; the old one goes when unready or when the new is available', () => {
  const t = (s: number) => `2026-01-01T00:00:0${s}Z`;
  const bothReady = run(
    [
      [
        'n',
        OK,
        [
          { name: 'new1', ready: true, created: t(3) },
          { name: 'new2', created: t(4) },
          { name: 'old1', hash: 'h1', ready: true, created: t(1) },
          { name: 'old2', hash: 'h1', created: t(2) },
        ],
      ],
    ],
    { surge: true },
  );
  assert.deepEqual(deleted(bothReady), ['old2', 'new2', 'old1']);
  assert.equal(bothReady.deletes[2]?.reason, 'surge: new pod new1 is available');
  const oldUnready = run(
    [
      [
        'n',
        OK,
        [
          { name: 'new', created: t(2) },
          { name: 'old', hash: 'h1', created: t(1) },
        ],
      ],
    ],
    { surge: true },
  );
  assert.deepEqual(deleted(oldUnready), ['old']);
  assert.equal(
    oldUnready.deletes[0]?.reason,
    'surge: old pod is not Ready and the new pod new is on the node',
  );
  const waiting = run(
    [
      [
        'n',
        OK,
        [
          { name: 'new', created: t(2) },
          { name: 'old', hash: 'h1', ready: true, created: t(1) },
        ],
      ],
    ],
    { surge: true },
  );
  assert.deepEqual(deleted(waiting), []);
});

test('unbound pods pinned to missing nodes are deleted, bound and terminating ones are not', () => {
  const r = run([['here', OK, [{ name: 'h' }]]], {}, [
    pod('gone', { name: 'unbound', unbound: true }),
    pod('gone', { name: 'unbound-dying', unbound: true, deleting: true }),
    pod('gone', { name: 'bound' }),
  ]);
  assert.deepEqual(deleted(r), ['unbound']);
  assert.equal(r.deletes[0]?.node, 'gone');
});

test('failed pods: one delete per backoff window, with the remaining delay as requeue', () => {
  const nodes: [string, Eligibility, P[]][] = [
    [
      'n',
      OK,
      [
        { name: 'f1', phase: 'Failed' },
        { name: 'f2', phase: 'Failed' },
      ],
    ],
  ];
  const first = run(nodes);
  assert.deepEqual(deleted(first), ['f1']);
  assert.equal(first.events.length, 1);
  const entry = first.backoffUpdates.get('u/0/n')!;
  assert.deepEqual(entry, { delayMs: 1000, lastUpdateMs: NOW });
  assert.equal(first.requeueAfterMs, 1000, 'f2 waits for the window that f1 opened');
  const later = run(nodes, { backoff: new Map([['u/0/n', entry]]), now: NOW + 400 });
  assert.deepEqual([deleted(later), later.requeueAfterMs], [[], 600]);
  assert.equal(later.notes.get('n'), 'failed pod f1 is kept for 600ms more (backoff)');
});

test('backoff arithmetic: doubling, cap, expiry after twice the maximum', () => {
  const cfg = { initialMs: 1000, maxMs: 8000 };
  let e = nextBackoff(undefined, 0, cfg);
  assert.deepEqual(e, { delayMs: 1000, lastUpdateMs: 0 });
  for (const want of [2000, 4000, 8000, 8000]) {
    e = nextBackoff(e, e.lastUpdateMs + 10, cfg);
    assert.equal(e.delayMs, want);
  }
  assert.ok(isInBackoff(e, e.lastUpdateMs + 7999, cfg));
  assert.ok(!isInBackoff(e, e.lastUpdateMs + 8000, cfg));
  assert.deepEqual(
    nextBackoff(e, e.lastUpdateMs + 16_001, cfg).delayMs,
    1000,
    'fresh after 2 × max',
  );
  assert.ok(!isInBackoff(undefined, 0, cfg));
});

test('formatDuration', () => {
  assert.deepEqual([500, 1000, 2000, 64_000, 900_000, 3_600_000].map(formatDuration), [
    '500ms',
    '1s',
    '2s',
    '1m4s',
    '15m',
    '1h0m0s',
  ]);
});
