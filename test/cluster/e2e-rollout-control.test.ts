/**
 * Issue 11 on the real control plane, for everynode's CRD and for native apps/v1 DaemonSets (the
 * rollout.everynode.dev/strategy annotation): a paused rollout where a joining node gets the
 * stable revision (its pod's controller-revision-hash and image), resume; a partition, where
 * `everynode rollout status` exits 0; a progress deadline that passes (`kubectl wait
 * --for=condition=Progressing=False`, `rollout status` exits 1 with kubectl's words) and an
 * abort back to the stable revision; and kube-apiserver refusing a CRD with a bad new field.
 * Lean on purpose: one controller per mode, the harness's kwok nodes and one that joins per
 * mode, 10 s deadlines, and everything concurrent: the modes, and the tests within a mode (each
 * DaemonSet keeps to the base nodes by a label, only the paused one may go to its mode's joiner;
 * every wait is asynchronous, so one test's `kubectl wait` does not hold up the others).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, Mutable, Pod } from '../../src/api/types.js';
import {
  closeApi,
  createDs,
  createNode,
  deleteNode,
  dropNamespaces,
  dsManifest,
  dsResource,
  Everynode,
  getDs,
  imageOf,
  installCrd,
  livePods,
  modes,
  nodeOf,
  readyNodes,
  root,
  setImage,
  waitRolledOut,
  waitUntil,
  type Mode,
} from './helpers.js';
import { cachePaths } from '../../scripts/cluster/lib.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';
/** Matches the harness's bad-image pattern: kwok keeps the pod in ImagePullBackOff. */
const BAD = 'registry.invalid/agent:does-not-exist';
const HASH = 'controller-revision-hash';

const run = promisify(execFile);

/** A child process's exit code, stdout and stderr, without blocking the test process. */
async function exec(cmd: string, args: readonly string[]) {
  try {
    const r = await run(cmd, args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

/** `everynode rollout ...` (a failure is an answer here). */
function rollout(mode: Mode, ns: string, args: readonly string[]) {
  return exec(process.execPath, [
    join(root, 'bin', 'everynode.js'),
    'rollout',
    ...args,
    '-n',
    ns,
    '--resource',
    mode,
    '--kubeconfig',
    process.env.KUBECONFIG!,
  ]);
}

const kubectlBin = existsSync(join(cachePaths().bin, 'kubectl'))
  ? join(cachePaths().bin, 'kubectl')
  : 'kubectl';

/** kubectl wait on a condition of the DaemonSet; throws when it does not hold in time. */
async function kubectlWait(mode: Mode, ns: string, name: string, cond: string, timeout = '90s') {
  const r = await exec(kubectlBin, [
    '-n',
    ns,
    'wait',
    `--for=condition=${cond}`,
    `${dsResource(mode)}/${name}`,
    `--timeout=${timeout}`,
  ]);
  assert.equal(r.code, 0, `kubectl wait --for=condition=${cond}: ${r.stderr}`);
  return r.stdout;
}

/** The label every base node gets: the test's DaemonSets keep to these nodes. */
const BASE = 'e2e-rc';
/** The label of a mode's joining node. */
const JOIN = 'e2e-rc-join';

/**
 * The test DaemonSet of a mode on the base nodes only; `joinable`: also on the mode's joining
 * node (node affinity terms are ORed).
 */
function manifest(mode: Mode, ns: string, name: string, joinable = false): DaemonSet {
  const ds = structuredClone(
    dsManifest(mode, ns, name, { maxUnavailable: 1 }),
  ) as Mutable<DaemonSet>;
  const term = (key: string, value: string) => ({
    matchExpressions: [{ key, operator: 'In', values: [value] }],
  });
  ds.spec!.template.spec!.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [term(BASE, 'yes'), ...(joinable ? [term(JOIN, mode)] : [])],
      },
    },
  };
  return ds;
}

/**
 * A test DaemonSet with rollout fields: on the CRD in its spec, on apps/v1 as the strategy
 * annotation (the same JSON keys, rollingUpdate.partition under rollingUpdate).
 */
function withRollout(
  mode: Mode,
  ds: DaemonSet,
  f: { partition?: number; progressDeadlineSeconds?: number },
): DaemonSet {
  const out = structuredClone(ds) as Mutable<DaemonSet>;
  if (mode === 'crd') {
    const spec = out.spec as Mutable<DaemonSet>['spec'] & Record<string, unknown>;
    if (f.progressDeadlineSeconds !== undefined)
      spec.progressDeadlineSeconds = f.progressDeadlineSeconds;
    if (f.partition !== undefined)
      spec.updateStrategy = {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, partition: f.partition },
      };
    return out;
  }
  const json: Record<string, unknown> = {};
  if (f.progressDeadlineSeconds !== undefined)
    json.progressDeadlineSeconds = f.progressDeadlineSeconds;
  if (f.partition !== undefined) json.rollingUpdate = { partition: f.partition };
  out.metadata = {
    ...out.metadata,
    annotations: { 'rollout.everynode.dev/strategy': JSON.stringify(json) },
  };
  return out;
}

const condition = (ds: DaemonSet, type: string) =>
  ds.status?.conditions?.find((c) => c.type === type);

/** The pods' revision hashes by node. */
async function hashes(ns: string, name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await livePods(ns, name))
    out.set(nodeOf(p) ?? '?', p.metadata?.labels?.[HASH] ?? '');
  return out;
}

const ready = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const hashOfImage = (pods: readonly Pod[], image: string): string =>
  pods.find((p) => imageOf(p) === image)?.metadata?.labels?.[HASH] ?? '';

describe(
  'e2e: rollout control (pause, partition, deadline, abort)',
  { skip: skipReason, concurrency: true },
  () => {
    const namespaces: string[] = [];
    let nodes: string[] = [];
    before(async () => {
      await installCrd();
      nodes = await readyNodes();
      kubectl(['label', 'node', ...nodes, `${BASE}=yes`, '--overwrite']);
    });
    after(() => {
      dropNamespaces(namespaces);
      kubectl(['label', 'node', ...nodes, `${BASE}-`]);
      closeApi();
    });

    test('kube-apiserver refuses a CRD DaemonSet with a bad rollout field (CEL)', () => {
      const bad = (spec: Record<string, unknown>, strategy?: Record<string, unknown>) => {
        const ds = structuredClone(dsManifest('crd', 'default', 'cel')) as Mutable<DaemonSet>;
        Object.assign(ds.spec!, spec);
        if (strategy) ds.spec!.updateStrategy = strategy;
        try {
          kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(ds));
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      };
      assert.match(
        bad({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, partition: '150%' } }),
        /partition/,
      );
      assert.match(bad({ suspend: 'Sleep' }), /suspend/);
      assert.match(
        bad({ minReadySeconds: 30, progressDeadlineSeconds: 30 }),
        /progressDeadlineSeconds/,
      );
      assert.equal(bad({ paused: true, progressDeadlineSeconds: 60 }), '', 'a valid one is taken');
    });

    for (const mode of modes) {
      describe(`--resource ${mode}`, { concurrency: true }, () => {
        let ns = '';
        let ctl: Everynode | undefined;
        before(async () => {
          ns = await freshNamespace(`e2e-rc-${mode}`);
          namespaces.push(ns);
          ctl = Everynode.start(`rollout-control-${mode}`, mode, ns);
          await ctl.waitForLog('daemonset controller started');
        });
        after(async () => {
          assert.equal(await ctl?.stop(), 0);
        });

        test('paused: nothing rolls, a joining node gets the stable revision; resume finishes', async () => {
          const joiner = `e2e-rc-join-${mode}`;
          createDs(manifest(mode, ns, 'paused', true));
          const first = await waitRolledOut(mode, ns, 'paused', nodes, V1);
          const stable = hashOfImage(first, V1);
          const r = await rollout(mode, ns, ['pause', 'paused']);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /paused\n$/);
          setImage(mode, ns, 'paused', V2);
          await waitUntil('the pause is observed', async () => {
            const ds = await getDs(mode, ns, 'paused');
            const p = condition(ds, 'Progressing');
            return (
              (ds.status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1) &&
              p?.status === 'Unknown' &&
              p.reason === 'RolloutPaused'
            );
          });
          await kubectlWait(mode, ns, 'paused', 'Progressing=Unknown', '30s');
          try {
            createNode(joiner, { [JOIN]: mode });
            const pinned = await waitUntil(`a pod on ${joiner}`, async () =>
              (await livePods(ns, 'paused')).find((p) => nodeOf(p) === joiner),
            );
            assert.equal(pinned.metadata?.labels?.[HASH], stable, 'the joining node runs stable');
            assert.equal(imageOf(pinned), V1);
            const all = await hashes(ns, 'paused');
            assert.deepEqual([...new Set(all.values())], [stable], 'no pod moved while paused');
            const s = await rollout(mode, ns, ['status', 'paused', '--watch=false']);
            assert.match(s.stdout, /\(paused\)\n$/);
            assert.equal((await rollout(mode, ns, ['resume', 'paused'])).code, 0);
            await waitRolledOut(mode, ns, 'paused', [...nodes, joiner], V2);
          } finally {
            deleteNode(joiner);
          }
        });

        test('a partition of 1: two nodes updated, the last one keeps stable; rollout status exits 0', async () => {
          createDs(withRollout(mode, manifest(mode, ns, 'part'), { partition: 1 }));
          const first = await waitRolledOut(mode, ns, 'part', nodes, V1);
          const stable = hashOfImage(first, V1);
          setImage(mode, ns, 'part', V2);
          await kubectlWait(mode, ns, 'part', 'Progressing=True');
          await waitUntil('the rollout stops at the partition', async () => {
            const ds = await getDs(mode, ns, 'part');
            return condition(ds, 'Progressing')?.reason === 'PartitionRolledOut';
          });
          const s = await rollout(mode, ns, ['status', 'part', '--timeout=60s']);
          assert.equal(s.code, 0, s.stderr);
          assert.match(
            s.stdout,
            /daemon set "part" rolled out to its partition: 2 of 3 pods updated/,
          );
          const byNode = await hashes(ns, 'part');
          const last = [...nodes].sort().at(-1)!;
          assert.equal(
            byNode.get(last),
            stable,
            `${last}, the tail of the node order, keeps stable`,
          );
          assert.equal([...byNode.values()].filter((h) => h !== stable).length, nodes.length - 1);
        });

        test('a deadline that passes, then abort back to the stable revision', async () => {
          createDs(
            withRollout(mode, manifest(mode, ns, 'late'), {
              progressDeadlineSeconds: 10,
            }),
          );
          const first = await waitRolledOut(mode, ns, 'late', nodes, V1);
          const stable = hashOfImage(first, V1);
          setImage(mode, ns, 'late', BAD);
          await kubectlWait(mode, ns, 'late', 'Progressing=False');
          const ds = await getDs(mode, ns, 'late');
          assert.equal(condition(ds, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
          const s = await rollout(mode, ns, ['status', 'late']);
          assert.equal(s.code, 1);
          assert.equal(s.stderr, 'error: daemon set "late" exceeded its progress deadline\n');
          const a = await rollout(mode, ns, ['abort', 'late']);
          assert.equal(a.code, 0, a.stderr);
          // Back on the stable revision everywhere; updated counts the update revision's pods: 0.
          await waitUntil('every node runs a Ready stable pod again', async () => {
            const pods = await livePods(ns, 'late');
            const cur = await getDs(mode, ns, 'late');
            return (
              pods.length === nodes.length &&
              pods.every((p) => imageOf(p) === V1 && ready(p)) &&
              cur.status?.numberAvailable === nodes.length &&
              (cur.status.updatedNumberScheduled ?? 0) === 0
            );
          });
          const back = await hashes(ns, 'late');
          assert.deepEqual([...new Set(back.values())], [stable]);
          await waitUntil('Progressing False, RolloutAborted', async () => {
            const cur = await getDs(mode, ns, 'late');
            return condition(cur, 'Progressing')?.reason === 'RolloutAborted';
          });
          const after = await rollout(mode, ns, ['status', 'late']);
          assert.equal(after.code, 1);
          assert.match(after.stderr, /^error: daemon set "late" rollout was aborted/);
        });
      });
    }
  },
);
