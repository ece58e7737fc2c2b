import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import { colors } from '../sim/report/format.js';
import { renderTree } from './rollout-tree.js';

const uid = 'ds-uid';
const ds: DaemonSet = {
  metadata: { name: 'node-exporter', namespace: 'monitoring', uid, generation: 2 },
  spec: {
    selector: { matchLabels: { app: 'ne' } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'ne' } },
      spec: { containers: [{ name: 'c', image: 'ne:2' }] },
    },
  },
  status: {
    desiredNumberScheduled: 5,
    currentNumberScheduled: 5,
    numberMisscheduled: 0,
    numberReady: 3,
    updatedNumberScheduled: 3,
    numberAvailable: 3,
    numberUnavailable: 2,
    observedGeneration: 2,
  },
};
const rev = (n: number, hash: string, image: string): ControllerRevision => ({
  metadata: {
    name: `node-exporter-${hash}`,
    namespace: 'monitoring',
    labels: { 'controller-revision-hash': hash },
  },
  revision: n,
  data: { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } },
});
const ready = [
  { type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T00:00:00Z' },
] as const;
function pod(name: string, node: string, hash: string, status: Pod['status']): Pod {
  return {
    metadata: {
      name,
      namespace: 'monitoring',
      labels: { app: 'ne', 'controller-revision-hash': hash },
    },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
    status,
  };
}
const pods: Pod[] = [
  pod('ne-aaaaa', 'node-1', 'h2', { phase: 'Running', conditions: [...ready] }),
  pod('ne-bbbbb', 'node-2', 'h2', {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'c',
        image: 'x',
        imageID: '',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  }),
  pod('ne-ccccc', 'node-10', 'h2', { phase: 'Pending' }),
  pod('ne-ddddd', 'node-3', 'h1', { phase: 'Running', conditions: [...ready] }),
  pod('ne-eeeee', 'node-4', 'h1', { phase: 'Running', conditions: [...ready] }),
];

test('rollout status tree: revision → nodes, failing and not-ready nodes first, marks', () => {
  const lines = renderTree(
    {
      ds,
      revisions: [rev(1, 'h1', 'ne:1'), rev(2, 'h2', 'ne:2')],
      pods,
      statusLine:
        'Waiting for daemon set "node-exporter" rollout to finish: 3 out of 5 new pods have been updated...',
      now: Date.parse('2026-12-01T00:01:00Z'),
      width: 100,
      height: 40,
    },
    colors(false),
  );
  const text = lines.join('\n');
  assert.match(text, /Status: +◌ Progressing +desired 5 · updated 3/);
  const r2 = lines.findIndex((l) => l.includes('revision 2'));
  const r1 = lines.findIndex((l) => l.includes('revision 1'));
  assert.ok(r2 > 0 && r1 > r2, 'newest revision first');
  assert.match(lines[r2]!, /» revision 2 +node-exporter-h2 +ne:2 +3 nodes +\(update revision\)/);
  assert.match(lines[r2 + 1]!, /├── ✖ node-2 +ne-bbbbb +CrashLoopBackOff \(4 restarts\)/);
  assert.match(
    lines[r2 + 2]!,
    /├── ◌ node-10 +ne-ccccc +Pending, not yet bound|├── ◌ node-10 +ne-ccccc +Pending/,
  );
  assert.match(lines[r2 + 3]!, /└── ✔ node-1 +ne-aaaaa +available/);
  assert.match(lines[r1 + 1]!, /├── ○ node-3 +ne-ddddd +running/);
  assert.match(lines.at(-1)!, /^Waiting for daemon set/);
});

test('rollout status tree: fits 80 columns and a short terminal', () => {
  const many = Array.from({ length: 40 }, (_, i) =>
    pod(`ne-${String(i).padStart(5, 'x')}`, `a-very-long-node-name-in-zone-b-${i}`, 'h1', {
      phase: 'Running',
      conditions: [...ready],
    }),
  );
  const lines = renderTree(
    {
      ds,
      revisions: [
        rev(1, 'h1', 'registry.example.com/monitoring/node-exporter:v1.8.1'),
        rev(2, 'h2', 'ne:2'),
      ],
      pods: many,
      statusLine:
        'Waiting for daemon set "node-exporter" rollout to finish: 0 out of 40 new pods have been updated...',
      now: Date.parse('2026-12-01T00:01:00Z'),
      width: 79,
      height: 23,
    },
    colors(false),
  );
  assert.ok(lines.length <= 23, `${lines.length} lines`);
  for (const l of lines) assert.ok(l.length <= 79, l);
  assert.ok(lines.some((l) => /└── … \d+ more \(all fine\)/.test(l)));
});

test('rollout status tree: stable vs update revision, pinned nodes and the phase (issue 11)', () => {
  const revs = [
    {
      ...rev(1, 'h1', 'ne:1'),
      metadata: { ...rev(1, 'h1', 'ne:1').metadata, creationTimestamp: '2026-12-01T00:00:00Z' },
    },
    {
      ...rev(2, 'h2', 'ne:2'),
      metadata: { ...rev(2, 'h2', 'ne:2').metadata, creationTimestamp: '2026-12-01T00:00:30Z' },
    },
  ];
  const at = (p: Pod, t: string): Pod => ({
    ...p,
    metadata: { ...p.metadata, creationTimestamp: t },
  });
  const paused: DaemonSet = {
    ...ds,
    apiVersion: 'apps.everynode.dev/v1alpha1',
    metadata: { ...ds.metadata, annotations: { 'rollout.everynode.dev/paused': 'true' } },
    status: {
      ...ds.status!,
      updateRevision: 'node-exporter-h2',
      stableRevision: 'node-exporter-h1',
      rollout: { phase: 'Paused' },
      conditions: [{ type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused' }],
    },
  };
  const lines = renderTree(
    {
      ds: paused,
      revisions: revs,
      pods: [
        at(pods[0]!, '2026-12-01T00:00:40Z'),
        // node-3's pod is older than revision 2: not updated yet; node-9 joined while paused.
        at(pods[3]!, '2026-12-01T00:00:05Z'),
        at(
          pod('ne-zzzzz', 'node-9', 'h1', { phase: 'Running', conditions: [...ready] }),
          '2026-12-01T00:00:50Z',
        ),
      ],
      statusLine:
        'Waiting for daemon set "node-exporter" rollout to finish: 1 out of 5 new pods have been updated... (paused)',
      now: Date.parse('2026-12-01T00:01:00Z'),
      width: 120,
      height: 40,
    },
    colors(false),
  );
  const text = lines.join('\n');
  assert.match(
    text,
    /Rollout: +phase Paused · paused \(rollout\.everynode\.dev\/paused\) · Progressing Unknown \(RolloutPaused\)/,
  );
  assert.match(text, /Status: +⏸ Paused/);
  assert.match(text, /» revision 2 .*\(update revision\)/);
  assert.match(text, /revision 1 .*\(stable revision\)/);
  assert.match(text, /node-9 +ne-zzzzz +running +pinned to stable \(paused\)/);
  assert.doesNotMatch(
    lines.find((l) => l.includes('node-3'))!,
    /pinned/,
  );
});

test('rollout status tree of an apps/v1 DaemonSet: the stable revision from the rollout record', () => {
  // apps/v1 status has no stableRevision: the controller records it on the update revision.
  const r2 = rev(2, 'h2', 'ne:2');
  const recorded = {
    ...r2,
    metadata: {
      ...r2.metadata,
      annotations: {
        'rollout.everynode.dev/state': JSON.stringify({ revision: 2, stable: 'node-exporter-h1' }),
      },
    },
  };
  const native: DaemonSet = {
    ...ds,
    apiVersion: 'apps/v1',
    metadata: { ...ds.metadata, annotations: { 'rollout.everynode.dev/paused': 'true' } },
  };
  const lines = renderTree(
    {
      ds: native,
      revisions: [rev(1, 'h1', 'ne:1'), recorded],
      pods,
      statusLine:
        'Waiting for daemon set "node-exporter" rollout to finish: 3 out of 5 new pods have been updated... (paused)',
      now: Date.parse('2026-12-01T00:01:00Z'),
      width: 120,
      height: 40,
    },
    colors(false),
  );
  const text = lines.join('\n');
  assert.match(text, /» revision 2 .*\(update revision\)/);
  assert.match(text, /revision 1 .*\(stable revision\)/);
  assert.match(text, /Rollout: +paused \(rollout\.everynode\.dev\/paused\)/);
});
