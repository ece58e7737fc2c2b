/**
 * `everynode rollout pause|resume|abort|retry|freeze|unfreeze` (design section 5) as annotation
 * patches on the memory API server, for the CRD and apps/v1; and `rollout status` on the
 * conditions of section 4 (exit 1 past the deadline, on a failed gate, after an abort; done at a
 * partition; paused and suspended shown while it waits).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { storedDefaults } from '../../src/api/dsstrategy.js';
import { computeTemplateHash } from '../../src/api/hash.js';
import type { DaemonSet, DaemonSetCondition } from '../../src/api/types.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { Cluster } from '../../src/cluster/port.js';
import { dsFoo } from '../../src/controller/testing.js';
import { registerRollout, RolloutError, type RolloutTarget } from '../../src/cli/rollout.js';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  STRATEGY_ANNOTATION,
  SUSPEND_ANNOTATION,
  controlledRolloutStatus,
} from '../../src/cli/rollout-conditions.js';
import { planControl, rolloutControl, updateRevisionHash } from '../../src/cli/rollout-control.js';

const MODES = [
  { resource: 'crd', kind: 'EverynodeDaemonSet', apiVersion: 'apps.everynode.dev/v1alpha1' },
  { resource: 'native', kind: 'DaemonSet', apiVersion: 'apps/v1' },
] as const;

async function setup(mode: (typeof MODES)[number], ds: DaemonSet = dsFoo()) {
  const cluster = new MemoryCluster({ clock: new VirtualClock(0) });
  await cluster.create(mode.kind, { ...ds, apiVersion: mode.apiVersion });
  const t: RolloutTarget = { cluster, resource: mode.resource, namespace: 'default', name: 'foo' };
  const annotations = async () =>
    (await cluster.get<DaemonSet>(mode.kind, 'default', 'foo')).metadata?.annotations ?? {};
  return { cluster, t, annotations };
}

for (const mode of MODES) {
  describe(`rollout controls (--resource ${mode.resource})`, () => {
    test('pause and resume set and remove rollout.everynode.dev/paused; twice is an error', async () => {
      const { t, annotations } = await setup(mode);
      const name =
        mode.resource === 'crd' ? 'daemonset.apps.everynode.dev/foo' : 'daemonset.apps/foo';
      assert.equal(await rolloutControl(t, 'pause'), `${name} paused\n`);
      assert.equal((await annotations())[PAUSED_ANNOTATION], 'true');
      await assert.rejects(rolloutControl(t, 'pause'), (e: unknown) => {
        assert.ok(e instanceof RolloutError);
        assert.equal(e.message, 'daemon set "foo" is already paused');
        assert.equal(e.exitCode, 1);
        return true;
      });
      assert.equal(await rolloutControl(t, 'resume'), `${name} resumed\n`);
      assert.equal((await annotations())[PAUSED_ANNOTATION], undefined);
      await assert.rejects(rolloutControl(t, 'resume'), /daemon set "foo" is not paused/);
    });

    test('abort and retry carry the update revision hash and a fresh token each time', async () => {
      const { t, annotations, cluster } = await setup(mode);
      const ds = await cluster.get<DaemonSet>(mode.kind, 'default', 'foo');
      const hash = computeTemplateHash(ds.spec!.template, undefined);
      assert.equal(updateRevisionHash(ds), hash);
      const out = await rolloutControl(t, 'abort');
      assert.match(
        out,
        new RegExp(`aborted: pods of revision ${hash} go back to the stable revision`),
      );
      const first = (await annotations())[ABORT_ANNOTATION]!;
      assert.match(first, new RegExp(`^${hash}/[0-9a-f]{8}$`));
      await rolloutControl(t, 'abort');
      const second = (await annotations())[ABORT_ANNOTATION]!;
      assert.notEqual(second, first, 'each invocation acts once: a new token');
      assert.equal(
        await rolloutControl(t, 'retry', { token: 'tok1' }).then(String),
        `${t.resource === 'crd' ? 'daemonset.apps.everynode.dev' : 'daemonset.apps'}/foo retrying revision ${hash}\n`,
      );
      assert.equal((await annotations())[RETRY_ANNOTATION], `${hash}/tok1`);
    });

    test('freeze, freeze --scale-to-zero and unfreeze', async () => {
      const { t, annotations } = await setup(mode);
      assert.match(await rolloutControl(t, 'freeze'), /foo frozen\n$/);
      assert.equal((await annotations())[SUSPEND_ANNOTATION], 'Freeze');
      await assert.rejects(rolloutControl(t, 'freeze'), /already suspended \(Freeze\)/);
      assert.match(await rolloutControl(t, 'scaleToZero'), /foo scaled to zero\n$/);
      assert.equal((await annotations())[SUSPEND_ANNOTATION], 'ScaleToZero');
      assert.match(await rolloutControl(t, 'unfreeze'), /foo unfrozen\n$/);
      assert.equal((await annotations())[SUSPEND_ANNOTATION], undefined);
      await assert.rejects(rolloutControl(t, 'unfreeze'), /is not suspended/);
    });

    test('--dry-run=server validates and stores nothing; client sends nothing', async () => {
      const { t, annotations, cluster } = await setup(mode);
      const sent: string[] = [];
      const spy: Cluster = Object.create(cluster) as Cluster;
      spy.patch = (kind, ns, name, patch) => {
        sent.push(patch.dryRun === true ? 'dry' : 'real');
        return cluster.patch(kind, ns, name, patch);
      };
      const st: RolloutTarget = { ...t, cluster: spy };
      assert.match(
        await rolloutControl(st, 'pause', { dryRun: 'server' }),
        /paused \(server dry run\)\n$/,
      );
      assert.match(
        await rolloutControl(st, 'freeze', { dryRun: 'client' }),
        /frozen \(dry run\)\n$/,
      );
      assert.deepEqual(sent, ['dry']);
      const a = await annotations();
      assert.equal(a[PAUSED_ANNOTATION], undefined);
      assert.equal(a[SUSPEND_ANNOTATION], undefined);
    });
  });
}

const withStatus = (over: {
  conditions?: DaemonSetCondition[];
  extra?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  annotations?: Record<string, string>;
  updated?: number;
}): DaemonSet => {
  const base = dsFoo();
  // As read from the API server: everynode's CRD (apiVersion typed loosely while api/types.ts
  // gains the CRD's group).
  const apiVersion = 'apps.everynode.dev/v1alpha1' as unknown as DaemonSet['apiVersion'];
  return {
    ...base,
    apiVersion,
    metadata: { ...base.metadata, generation: 2, annotations: over.annotations ?? {} },
    spec: { ...base.spec!, ...over.spec },
    status: {
      observedGeneration: 2,
      desiredNumberScheduled: 5,
      currentNumberScheduled: 5,
      numberMisscheduled: 0,
      numberReady: 5,
      numberAvailable: 5,
      updatedNumberScheduled: over.updated ?? 2,
      conditions: over.conditions ?? [],
      ...over.extra,
    },
  };
};

const progressing = (status: 'True' | 'False' | 'Unknown', reason: string, message = '') => [
  { type: 'Progressing', status, reason, message },
];

test("rollout status: exits 1 with kubectl's wording past the progress deadline", () => {
  assert.throws(
    () =>
      controlledRolloutStatus(
        withStatus({ conditions: progressing('False', 'ProgressDeadlineExceeded') }),
      ),
    (e: unknown) =>
      e instanceof RolloutError &&
      e.exitCode === 1 &&
      e.message === 'daemon set "foo" exceeded its progress deadline',
  );
  assert.throws(
    () =>
      controlledRolloutStatus(
        withStatus({
          conditions: progressing(
            'False',
            'RolloutAborted',
            'aborted by rollout.everynode.dev/abort',
          ),
        }),
      ),
    /daemon set "foo" rollout was aborted: aborted by rollout.everynode.dev\/abort/,
  );
  assert.throws(
    () =>
      controlledRolloutStatus(
        withStatus({
          conditions: progressing('False', 'HealthGateFailed', 'CrashLoopBackOff on n-3'),
        }),
      ),
    /daemon set "foo" failed a health gate: CrashLoopBackOff on n-3/,
  );
});

test('rollout status: done at the partition, with a message saying so', () => {
  const s = controlledRolloutStatus(
    withStatus({
      conditions: progressing('True', 'PartitionRolledOut'),
      extra: { rollout: { phase: 'Partitioned', partitioned: 3 } },
    }),
  );
  assert.deepEqual(s, {
    done: true,
    message:
      'daemon set "foo" rolled out to its partition: 2 of 5 pods updated, 3 nodes keep the stable revision',
  });
});

test('rollout status: paused and suspended are shown while it waits; a stale condition waits for the generation', () => {
  const paused = controlledRolloutStatus(
    withStatus({ annotations: { [PAUSED_ANNOTATION]: 'true' } }),
  );
  assert.equal(paused.done, false);
  assert.match(paused.message, /2 out of 5 new pods have been updated\.\.\. \(paused\)$/);
  const bySpec = controlledRolloutStatus(
    withStatus({ conditions: progressing('Unknown', 'RolloutPaused'), spec: { paused: true } }),
  );
  assert.match(bySpec.message, /\(paused\)$/);
  const frozen = controlledRolloutStatus(
    withStatus({ annotations: { [SUSPEND_ANNOTATION]: 'Freeze' } }),
  );
  assert.match(frozen.message, /\(suspended: Freeze\)$/);
  // The deadline condition of generation 1 says nothing about generation 3.
  const stale = withStatus({ conditions: progressing('False', 'ProgressDeadlineExceeded') });
  const newer = { ...stale, metadata: { ...stale.metadata, generation: 3 } };
  assert.equal(
    controlledRolloutStatus(newer).message,
    'Waiting for daemon set spec update to be observed...',
  );
});

test('rollout status: a canary, a wave, node-caused unavailability and deferred removals are said while it waits', () => {
  const baking = controlledRolloutStatus(
    withStatus({
      conditions: progressing(
        'True',
        'CanaryBaking',
        'the canary (2 nodes) is updated and bakes until 2026-12-08T01:10:00Z',
      ),
      extra: { rollout: { wave: { index: 0, name: 'canary', nodes: 2, updated: 2 } } },
    }),
  );
  assert.deepEqual(baking, {
    done: false,
    message:
      'Waiting for daemon set "foo" rollout to finish: 2 out of 5 new pods have been updated... (the canary (2 nodes) is updated and bakes until 2026-12-08T01:10:00Z)',
  });
  const wave = controlledRolloutStatus(
    withStatus({
      conditions: progressing('True', 'RollingUpdate', 'rolling'),
      extra: {
        rollout: { wave: { index: 2, name: 'zone-b', nodes: 3, updated: 1 } },
        numberUnavailableNodeCaused: 1,
        pendingRemovals: 4,
      },
    }),
  );
  assert.match(
    wave.message,
    /\.\.\. \(wave zone-b: 1 of 3 nodes updated; 1 unavailable pod is on impaired nodes; 4 removals wait for the removal budget\)$/,
  );
  // Scaled to zero, "0 of 0" is done, and the line says why nothing runs.
  const zero = controlledRolloutStatus(
    withStatus({ annotations: { [SUSPEND_ANNOTATION]: 'ScaleToZero' }, updated: 5 }),
  );
  assert.deepEqual(zero, {
    done: true,
    message: 'daemon set "foo" successfully rolled out (suspended: ScaleToZero, no pods run)',
  });
});

test("rollout status: without everynode's conditions, exactly kubectl's answer", () => {
  const s = controlledRolloutStatus(withStatus({ updated: 5 }));
  assert.deepEqual(s, { done: true, message: 'daemon set "foo" successfully rolled out' });
});

test("abort right after a template change: the CRD's hash is the controller's (pod defaults applied)", () => {
  const ds: DaemonSet = {
    ...dsFoo(),
    apiVersion: 'apps.everynode.dev/v1alpha1',
    metadata: { name: 'foo', namespace: 'default', generation: 3 },
    // As kube-apiserver stores a custom resource: the template without pod defaults.
    spec: {
      selector: { matchLabels: { app: 'foo' } },
      template: {
        metadata: { labels: { app: 'foo' } },
        spec: { containers: [{ name: 'c', image: 'x:2' }] },
      },
    },
    status: {
      observedGeneration: 2,
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberMisscheduled: 0,
      numberReady: 1,
      updateRevision: 'foo-old',
    },
  };
  const defaulted = storedDefaults(ds).spec!.template;
  assert.equal(updateRevisionHash(ds), computeTemplateHash(defaulted, undefined));
  assert.notEqual(updateRevisionHash(ds), computeTemplateHash(ds.spec!.template, undefined));
});

test('controls refuse what makes no sense now: abort with no rollout, retry with nothing failed, resume of a spec pause', () => {
  const stableIsUpdate = withStatus({
    extra: { updateRevision: 'foo-abc', stableRevision: 'foo-abc' },
  });
  assert.throws(
    () => planControl(stableIsUpdate, 'abort', 't'),
    /has no rollout in progress: its update revision abc is the stable one/,
  );
  const rolling = withStatus({ conditions: progressing('True', 'RevisionUpdated') });
  assert.throws(
    () => planControl(rolling, 'retry', 't'),
    /has nothing to retry: its rollout is RevisionUpdated/,
  );
  const aborted = withStatus({
    conditions: progressing('False', 'RolloutAborted'),
    extra: { updateRevision: 'foo-def' },
  });
  assert.deepEqual(planControl(aborted, 'retry', 't').set, { [RETRY_ANNOTATION]: 'def/t' });
  const specPaused = withStatus({ spec: { paused: true } });
  assert.throws(
    () => planControl(specPaused, 'resume', 't'),
    /is paused by spec.paused in its spec/,
  );
  const kruise = withStatus({
    spec: {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, paused: true } },
    },
    annotations: { [PAUSED_ANNOTATION]: 'true' },
  });
  assert.match(
    planControl(kruise, 'resume', 't').done,
    /still paused by spec.updateStrategy.rollingUpdate.paused/,
  );
  // A native DaemonSet paused by its strategy annotation; suspended by it, unfreeze says so.
  const native: DaemonSet = {
    ...withStatus({
      annotations: {
        [STRATEGY_ANNOTATION]: '{"paused":true,"suspend":"Freeze"}',
        [PAUSED_ANNOTATION]: 'true',
      },
    }),
    apiVersion: 'apps/v1',
  };
  assert.match(
    planControl(native, 'resume', 't').done,
    /still paused by the rollout.everynode.dev\/strategy annotation \(spec.paused\)/,
  );
  assert.throws(
    () => planControl(native, 'unfreeze', 't'),
    /is suspended by its spec \(Freeze\), not by rollout.everynode.dev\/suspend/,
  );
});

test('promote (issue 12): names the update revision; refused without a canary or waves, or with no rollout', () => {
  const rolling = withStatus({ conditions: progressing('True', 'RevisionUpdated') });
  assert.throws(() => planControl(rolling, 'promote', 't'), /has no canary or waves to promote/);
  const canary = {
    updateStrategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, canary: { count: 1, promotion: 'Manual' } },
    },
  };
  const waiting = withStatus({
    spec: canary,
    conditions: progressing('True', 'AwaitingPromotion'),
    extra: { updateRevision: 'foo-def', stableRevision: 'foo-abc' },
  });
  assert.deepEqual(planControl(waiting, 'promote', 't').set, {
    'rollout.everynode.dev/promote': 'def/t',
  });
  const done = withStatus({
    spec: canary,
    extra: { updateRevision: 'foo-abc', stableRevision: 'foo-abc' },
  });
  assert.throws(() => planControl(done, 'promote', 't'), /has no rollout in progress/);
});

test('through commander: every control takes --dry-run like undo and restart; freeze takes --scale-to-zero', async () => {
  const program = new Command().exitOverride();
  registerRollout(program);
  const rollout = program.commands.find((c) => c.name() === 'rollout')!;
  const names = rollout.commands.map((c) => c.name());
  for (const sub of ['pause', 'resume', 'promote', 'abort', 'retry', 'freeze', 'unfreeze']) {
    assert.ok(names.includes(sub), sub);
    await assert.rejects(
      program.parseAsync(['rollout', sub, 'foo', '--dry-run', 'bad'], { from: 'user' }),
      /--dry-run: expected none, client or server, got "bad"/,
    );
  }
  const freeze = rollout.commands.find((c) => c.name() === 'freeze')!;
  assert.ok(freeze.options.some((o) => o.long === '--scale-to-zero'));
});
