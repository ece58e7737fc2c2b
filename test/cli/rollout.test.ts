/**
 * `everynode rollout` against the memory cluster with the real controller, for both the CRD and
 * apps/v1: scenario 58 (status wording), 87 (history and undo), 92 (restart).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import type { ControllerRevision, DaemonSet, Mutable } from '../../src/api/types.js';
import type { ResourceKind } from '../../src/cluster/port.js';
import {
  bindAll,
  dsFoo,
  harness,
  kubeletStep,
  node,
  type Harness,
} from '../../src/controller/testing.js';
import { rolloutStatus } from '../../src/engine/rolloutstatus.js';
import {
  RESTARTED_AT_ANNOTATION,
  RolloutError,
  controlledRevisions,
  displayName,
  parseName,
  rolloutHistory,
  rolloutRestart,
  rolloutStatusWatch,
  registerRollout,
  rolloutUndo,
  dryRunArgs,
  type RolloutTarget,
} from '../../src/cli/rollout.js';

const MODES = [
  { resource: 'crd', kind: 'EverynodeDaemonSet', apiVersion: 'apps.everynode.dev/v1alpha1' },
  { resource: 'native', kind: 'DaemonSet', apiVersion: 'apps/v1' },
] as const;

type Mode = (typeof MODES)[number];

interface World {
  readonly h: Harness;
  readonly t: RolloutTarget;
  readonly kind: ResourceKind;
  get(): Promise<DaemonSet>;
  /** Binds, readies and settles until the rollout is done. */
  converge(): Promise<void>;
  setImage(image: string, changeCause: string | null): Promise<void>;
}

async function world(mode: Mode, ds: DaemonSet = dsFoo()): Promise<World> {
  const h = harness({ dsKind: mode.kind });
  for (const n of ['node-1', 'node-2', 'node-3']) await h.cluster.create('Node', node(n));
  await h.cluster.create(mode.kind, { ...ds, apiVersion: mode.apiVersion });
  await h.controller.start();
  await h.settle();
  const t: RolloutTarget = {
    cluster: h.cluster,
    resource: mode.resource,
    namespace: 'default',
    name: 'foo',
  };
  const get = () => h.cluster.get<DaemonSet>(mode.kind, 'default', 'foo');
  const w: World = {
    h,
    t,
    kind: mode.kind,
    get,
    async converge() {
      for (let i = 0; i < 50; i++) {
        await bindAll(h.cluster);
        await kubeletStep(h.cluster, h.clock);
        await h.advance(1000);
        const cur = await get();
        if (cur.spec?.updateStrategy?.type === 'OnDelete' || rolloutStatus(cur).done) return;
      }
      assert.fail('the rollout did not finish');
    },
    async setImage(image, changeCause) {
      await h.cluster.patch(mode.kind, 'default', 'foo', {
        type: 'merge',
        body: {
          metadata: { annotations: { 'kubernetes.io/change-cause': changeCause } },
          spec: { template: { spec: { containers: [{ name: 'foo', image }] } } },
        },
      });
      await w.converge();
    },
  };
  await w.converge();
  return w;
}

/** Revisions 1, 2 and 3 (current), where 2 has change-cause v2 (scenario 87's setup). */
async function threeRevisions(mode: Mode): Promise<World> {
  const w = await world(mode);
  await w.setImage('foo/bar:v2', 'v2');
  await w.setImage('foo/bar:v3', null);
  return w;
}

async function revisionsOf(w: World): Promise<ControllerRevision[]> {
  const revs = await controlledRevisions(w.h.cluster, await w.get());
  return revs.sort((a, b) => a.revision - b.revision);
}

const imageOf = (ds: DaemonSet) => ds.spec?.template?.spec?.containers[0]?.image;

for (const mode of MODES) {
  describe(`everynode rollout (--resource ${mode.resource})`, () => {
    test('owner references carry the DaemonSet apiVersion', async () => {
      const w = await world(mode);
      const pods = await w.h.pods();
      assert.equal(pods.length, 3);
      for (const p of pods)
        assert.equal(p.metadata?.ownerReferences?.[0]?.apiVersion, mode.apiVersion);
      for (const r of await revisionsOf(w))
        assert.equal(r.metadata?.ownerReferences?.[0]?.apiVersion, mode.apiVersion);
      await w.h.controller.stop();
    });

    test('scenario 87a: history lists revisions with their change-cause', async () => {
      const w = await threeRevisions(mode);
      const out = await rolloutHistory(w.t);
      assert.equal(
        out,
        `${displayName(w.t)}\nREVISION  CHANGE-CAUSE\n1         <none>\n2         v2\n3         <none>\n\n`,
      );
      const one = await rolloutHistory(w.t, 2);
      assert.match(one, new RegExp(`^${displayName(w.t)} with revision #2\nPod Template:\n`));
      assert.match(one, /image: foo\/bar:v2/);
      await assert.rejects(rolloutHistory(w.t, 7), {
        message: 'unable to find the specified revision',
      });
      await w.h.controller.stop();
    });

    test('scenario 87b-d: undo, skipped undo, missing revision', async () => {
      const w = await threeRevisions(mode);
      assert.equal(
        await rolloutUndo(w.t, 3),
        `${displayName(w.t)} skipped rollback (current template already matches revision 3)\n`,
      );
      await assert.rejects(rolloutUndo(w.t, 9), (e: unknown) => {
        assert.ok(e instanceof RolloutError);
        assert.equal(e.message, 'unable to find specified revision 9 in history');
        assert.equal(e.exitCode, 1);
        return true;
      });
      assert.equal(await rolloutUndo(w.t), `${displayName(w.t)} rolled back\n`);
      assert.equal(imageOf(await w.get()), 'foo/bar:v2');
      await w.converge();
      const revs = await revisionsOf(w);
      // Revision 2 became current again and was renumbered 4; its pods were not replaced.
      assert.deepEqual(
        revs.map((r) => r.revision),
        [1, 3, 4],
      );
      assert.equal(revs[2]?.metadata?.annotations?.['kubernetes.io/change-cause'], 'v2');
      await w.h.controller.stop();
    });

    test('scenario 87: undo --dry-run prints the target revision and template, writes nothing', async () => {
      const w = await threeRevisions(mode);
      const before = await w.get();
      const revsBefore = await revisionsOf(w);
      // The previous revision (2), in the form `history --revision 2` prints, marked as a dry run.
      const out = await rolloutUndo(w.t, 0, { dryRun: true });
      const history = await rolloutHistory(w.t, 2);
      assert.equal(
        out,
        history.replace(/^(.*with revision #2)\n/, '$1 (dry run)\n'),
        'the same text as history --revision 2',
      );
      assert.match(
        out,
        new RegExp(`^${displayName(w.t)} with revision #2 \\(dry run\\)\nPod Template:\n`),
      );
      assert.match(out, /image: foo\/bar:v2/);
      assert.doesNotMatch(out, /foo\/bar:v3/);
      // --to-revision picks that revision.
      const one = await rolloutUndo(w.t, 1, { dryRun: true });
      assert.match(one, /with revision #1 \(dry run\)\n/);
      assert.match(one, /image: foo\/bar\n/);
      // A revision the template already matches is skipped, as without --dry-run.
      assert.equal(
        await rolloutUndo(w.t, 3, { dryRun: true }),
        `${displayName(w.t)} skipped rollback (current template already matches revision 3) (dry run)\n`,
      );
      // Errors exactly as without --dry-run.
      await assert.rejects(rolloutUndo(w.t, 9, { dryRun: true }), (e: unknown) => {
        assert.ok(e instanceof RolloutError);
        assert.equal(e.message, 'unable to find specified revision 9 in history');
        assert.equal(e.exitCode, 1);
        return true;
      });
      // Nothing was written: the DaemonSet and its revisions are as they were, even after the
      // controller has had time to act on a change.
      await w.h.settle();
      const after = await w.get();
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
      assert.equal(imageOf(after), 'foo/bar:v3');
      assert.deepEqual(await revisionsOf(w), revsBefore);
      await w.h.controller.stop();
    });

    test('scenario 87: undo --dry-run=server sends the patch as a dry run: validated, nothing stored', async () => {
      const w = await threeRevisions(mode);
      const before = await w.get();
      assert.equal(
        await rolloutUndo(w.t, 0, { dryRun: 'server' }),
        `${displayName(w.t)} rolled back (server dry run)\n`,
      );
      await w.h.settle();
      const after = await w.get();
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
      assert.equal(imageOf(after), 'foo/bar:v3');
      // Errors exactly as without --dry-run.
      await assert.rejects(rolloutUndo(w.t, 9, { dryRun: 'server' }), RolloutError);
      await w.h.controller.stop();
    });

    test('scenario 92: restart --dry-run (client, server) changes nothing; a missing DaemonSet fails', async () => {
      const w = await world(mode);
      const before = await w.get();
      for (const dryRun of ['client', 'server'] as const) {
        assert.equal(
          await rolloutRestart(w.t, w.h.clock, { dryRun }),
          `${displayName(w.t)} restarted (${dryRun === 'server' ? 'server ' : ''}dry run)\n`,
        );
        await assert.rejects(
          rolloutRestart({ ...w.t, name: 'nope' }, w.h.clock, { dryRun }),
          /not found/i,
        );
      }
      await w.h.settle();
      const after = await w.get();
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
      assert.equal(
        after.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION],
        undefined,
      );
      await w.h.controller.stop();
    });

    test('scenario 87e: undo --dry-run with a single revision fails as undo does', async () => {
      const w = await world(mode);
      await assert.rejects(rolloutUndo(w.t, 0, { dryRun: true }), {
        message: 'no last revision to roll back to',
      });
      await w.h.controller.stop();
    });

    test('scenario 87e: undo with a single revision', async () => {
      const w = await world(mode);
      await assert.rejects(rolloutUndo(w.t), { message: 'no last revision to roll back to' });
      await w.h.controller.stop();
    });

    test('scenario 92: restart stamps restartedAt and replaces every pod', async () => {
      const w = await world(mode);
      const before = new Set((await w.h.pods()).map((p) => p.metadata?.name));
      assert.equal(await rolloutRestart(w.t, w.h.clock), `${displayName(w.t)} restarted\n`);
      const ds = await w.get();
      const stamp = ds.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
      assert.equal(stamp, new Date(w.h.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      await w.converge();
      assert.equal((await revisionsOf(w)).length, 2);
      const after = await w.h.pods(true);
      assert.equal(after.length, 3);
      for (const p of after) assert.ok(!before.has(p.metadata?.name));
      await w.h.controller.stop();
    });

    test('scenario 58: status follows the rollout to "successfully rolled out"', async () => {
      const w = await world(mode);
      const lines: string[] = [];
      const opts = { watch: true, clock: w.h.clock, write: (s: string) => lines.push(s) };
      await rolloutStatusWatch(w.t, opts);
      assert.deepEqual(lines, ['daemon set "foo" successfully rolled out\n']);
      lines.length = 0;
      await w.h.cluster.patch(w.kind, 'default', 'foo', {
        type: 'merge',
        body: {
          spec: { template: { spec: { containers: [{ name: 'foo', image: 'foo/bar:v2' }] } } },
        },
      });
      const watching = rolloutStatusWatch(w.t, opts);
      await w.converge();
      await watching;
      assert.ok(lines.length >= 2, lines.join(''));
      for (const l of lines.slice(0, -1)) {
        assert.match(
          l,
          /^(Waiting for daemon set spec update to be observed\.\.\.|Waiting for daemon set "foo" rollout to finish: (\d+ out of 3 new pods have been updated|\d+ of 3 updated pods are available)\.\.\.)\n$/,
        );
      }
      assert.equal(lines.at(-1), 'daemon set "foo" successfully rolled out\n');
      await w.h.controller.stop();
    });

    test('scenario 58: --watch=false prints once; --timeout; OnDelete is an error', async () => {
      const w = await world(mode);
      await w.h.controller.stop();
      await w.h.cluster.patch(w.kind, 'default', 'foo', {
        type: 'merge',
        body: {
          spec: { template: { spec: { containers: [{ name: 'foo', image: 'foo/bar:v2' }] } } },
        },
      });
      const lines: string[] = [];
      const write = (s: string) => lines.push(s);
      await rolloutStatusWatch(w.t, { watch: false, clock: w.h.clock, write });
      assert.deepEqual(lines, ['Waiting for daemon set spec update to be observed...\n']);
      const waiting = rolloutStatusWatch(w.t, {
        watch: true,
        timeoutMs: 5000,
        clock: w.h.clock,
        write,
      });
      await w.h.settle();
      w.h.clock.advance(5000);
      await assert.rejects(waiting, { message: 'timed out waiting for the condition' });
      await w.h.cluster.patch(w.kind, 'default', 'foo', {
        type: 'merge',
        body: { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null } } },
      });
      await assert.rejects(rolloutStatusWatch(w.t, { watch: true, clock: w.h.clock, write }), {
        message: 'rollout status is only available for RollingUpdate strategy type',
      });
    });

    test('a missing DaemonSet is the server NotFound', async () => {
      const w = await world(mode);
      await assert.rejects(rolloutHistory({ ...w.t, name: 'nope' }), (e: unknown) => {
        assert.match((e as Error).message, /"nope" not found/);
        return true;
      });
      await w.h.controller.stop();
    });
  });
}

test('names: kubectl-style type/name forms', () => {
  assert.equal(parseName('foo'), 'foo');
  assert.equal(parseName('daemonset/foo'), 'foo');
  assert.equal(parseName('ds/foo'), 'foo');
  assert.equal(parseName('daemonset.apps.everynode.dev/foo'), 'foo');
  assert.equal(parseName('ends/foo'), 'foo', "the CRD's short name");
  assert.equal(parseName('eds/foo'), 'foo', 'the short name before ends, still accepted');
  assert.throws(() => parseName('deployment/foo'), RolloutError);
  assert.equal(displayName({ resource: 'crd', name: 'foo' }), 'daemonset.apps.everynode.dev/foo');
  assert.equal(displayName({ resource: 'native', name: 'foo' }), 'daemonset.apps/foo');
  const ds = dsFoo() as Mutable<DaemonSet>;
  assert.equal(ds.metadata?.name, 'foo');
});

test('--dry-run flag forms: bare, =client, =none, =server, before the name', async () => {
  assert.deepEqual(dryRunArgs('foo', undefined), { name: 'foo', dryRun: 'none' });
  assert.deepEqual(dryRunArgs('foo', 'client'), { name: 'foo', dryRun: 'client' });
  assert.deepEqual(dryRunArgs('foo', 'none'), { name: 'foo', dryRun: 'none' });
  assert.deepEqual(dryRunArgs('foo', 'server'), { name: 'foo', dryRun: 'server' });
  // `undo --dry-run ds/foo`: commander hands the name over as the option's value.
  assert.deepEqual(dryRunArgs(undefined, 'ds/foo'), { name: 'ds/foo', dryRun: 'client' });
  assert.throws(() => dryRunArgs('foo', 'bar'), /--dry-run: expected none, client or server/);
  assert.throws(() => dryRunArgs(undefined, undefined), /missing required argument 'name'/);
  // Through commander, for undo and restart: a bad value is refused before any cluster access.
  const program = new Command().exitOverride();
  registerRollout(program);
  for (const cmd of ['undo', 'restart']) {
    await assert.rejects(
      program.parseAsync(['rollout', cmd, 'foo', '--dry-run', 'bad'], { from: 'user' }),
      /--dry-run: expected none, client or server, got "bad"/,
    );
  }
});
