/**
 * Steps of handing a DaemonSet from one controller to another on the real control plane, as the
 * README describes them (e2e-takeover.test.ts), and what is checked around them: the pods by
 * uid, the ControllerRevisions by name and number, and a sign that a controller has synced.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { defaultDaemonSet } from '../../src/api/defaults.js';
import { revisionDataBytes } from '../../src/api/hash.js';
import type { ControllerRevision, DaemonSet, Pod } from '../../src/api/types.js';
import { api, dsResource, getDs, livePods, root, waitUntil, type Mode } from './helpers.js';
import { kubectl } from './kubectl.js';
import { rawRevisionData } from './rawrevision.js';

/** `everynode rollout ...` for a DaemonSet of the mode; stdout. */
export function everynodeRollout(mode: Mode, ns: string, args: readonly string[]): string {
  return execFileSync(
    process.execPath,
    [
      join(root, 'bin', 'everynode.js'),
      'rollout',
      ...args,
      '-n',
      ns,
      '--resource',
      mode,
      '--kubeconfig',
      process.env.KUBECONFIG!,
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

/** The DaemonSet's ControllerRevisions (label app=<name>) as `name@revision`, by revision. */
export async function revisionList(ns: string, name: string): Promise<string[]> {
  return (await revisions(ns, name)).map((r) => `${r.metadata?.name}@${r.revision}`);
}

/** The DaemonSet's ControllerRevisions, by revision. */
export async function revisions(ns: string, name: string): Promise<ControllerRevision[]> {
  const l = await api().list<ControllerRevision>('ControllerRevision', {
    namespace: ns,
    labelSelector: `app=${name}`,
  });
  return [...l.items].sort((a, b) => a.revision - b.revision);
}

/** The uids of the DaemonSet's live pods, sorted. */
export async function podUids(ns: string, name: string): Promise<string[]> {
  return (await livePods(ns, name)).map((p: Pod) => p.metadata!.uid!).sort();
}

/**
 * Moves a DaemonSet between apps/v1 and everynode's custom resource as the README says: read it,
 * change the apiVersion, leave out status, uid, resourceVersion, creationTimestamp and
 * generation, delete the old object orphaning its pods and revisions, apply the new one.
 */
export function moveDaemonSet(from: Mode, to: Mode, ns: string, name: string): void {
  const ds = JSON.parse(kubectl(['-n', ns, 'get', dsResource(from), name, '-o', 'json'])) as {
    metadata: Record<string, unknown>;
    status?: unknown;
    apiVersion: string;
  };
  ds.apiVersion = to === 'crd' ? 'apps.everynode.dev/v1alpha1' : 'apps/v1';
  delete ds.status;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'])
    Reflect.deleteProperty(ds.metadata, k);
  kubectl(['-n', ns, 'delete', dsResource(from), name, '--cascade=orphan', '--timeout=60s']);
  kubectl(['apply', '-f', '-'], JSON.stringify(ds));
}

/**
 * Writes a wrong count into the DaemonSet's status (numberMisscheduled 7): a controller that
 * syncs the DaemonSet writes it back, which tells that it has looked at it (a sync with nothing
 * to do is otherwise invisible).
 */
export function nudgeStatus(mode: Mode, ns: string, name: string): void {
  kubectl([
    '-n',
    ns,
    'patch',
    dsResource(mode),
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { numberMisscheduled: 7 } }),
  ]);
}

/** Waits until a controller has synced the DaemonSet: a status with no leftover nudge. */
export async function waitSynced(
  mode: Mode,
  ns: string,
  name: string,
  desired: number,
  timeoutMs = 60_000,
): Promise<DaemonSet> {
  return waitUntil(
    `a controller syncs ${ns}/${name}`,
    async () => {
      const ds = await getDs(mode, ns, name);
      const s = ds.status;
      return s !== undefined &&
        (s.numberMisscheduled ?? 0) === 0 &&
        s.desiredNumberScheduled === desired &&
        (s.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1)
        ? ds
        : undefined;
    },
    timeoutMs,
  );
}

/**
 * Checks that the current revision of a DaemonSet carries, byte for byte, the data
 * kube-controller-manager computes for it (getPatch), read from the server in protobuf form.
 */
export async function assertUpstreamBytes(mode: Mode, ns: string, name: string): Promise<void> {
  const ds = await getDs(mode, ns, name);
  const revs = await revisions(ns, name);
  const current = revs[revs.length - 1]!;
  const stored = await rawRevisionData(process.env.KUBECONFIG!, ns, current.metadata!.name!);
  const expected = revisionDataBytes(defaultDaemonSet(ds));
  assert.equal(stored.toString('utf8'), expected, `${ns}/${current.metadata?.name}`);
  assert.ok(stored.equals(Buffer.from(expected, 'utf8')));
}
