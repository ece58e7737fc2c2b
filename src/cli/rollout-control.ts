/**
 * `everynode rollout pause|resume|promote|abort|retry|freeze|unfreeze`: everynode's rollout controls
 * (design section 5) as annotation patches on the DaemonSet, so RBAC needs only `patch` on
 * daemonsets and a GitOps tool that owns the spec is not fought. Each command has an undo:
 * pause/resume, freeze/unfreeze, abort/retry. abort and retry name the update revision's hash and
 * a fresh token, so the controller acts on each invocation once and ignores a stale one.
 */
import { randomBytes } from 'node:crypto';
import { isEverynodeResource, storedDefaults } from '../api/dsstrategy.js';
import { computeTemplateHash } from '../api/hash.js';
import { PROMOTE_ANNOTATION, rolloutSpecOf } from '../api/rolloutspec.js';
import type { DaemonSet } from '../api/types.js';
import type { Patch } from '../cluster/port.js';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  SUSPEND_ANNOTATION,
  progressingCondition,
  specPaused,
  suspendMode,
} from './rollout-conditions.js';
import { displayName, getDs, kindOf, RolloutError, type RolloutTarget } from './rollout-target.js';

/** kubectl's --dry-run strategies (the same as undo and restart). */
export type ControlDryRun = 'none' | 'client' | 'server';

/** The controls a user can give; each is one annotation set or removed. */
export type Control =
  'pause' | 'resume' | 'promote' | 'abort' | 'retry' | 'freeze' | 'scaleToZero' | 'unfreeze';

/** Options of rolloutControl. */
export interface ControlOptions {
  readonly dryRun?: ControlDryRun;
  /** The token written after the hash (abort, retry); a fresh random one by default. */
  readonly token?: string;
}

const SUFFIX: Record<ControlDryRun, string> = {
  none: '',
  client: ' (dry run)',
  server: ' (server dry run)',
};

/**
 * The hash of the DaemonSet's update revision: the one status.updateRevision names when the
 * controller has seen this generation (it also knows about hash collisions), else the hash the
 * controller will give the current template (collisionCount included; the CRD's template with
 * the pod defaults the controller applies).
 */
export function updateRevisionHash(ds: DaemonSet): string {
  const name = ds.metadata?.name ?? '';
  const status = ds.status as { updateRevision?: string; collisionCount?: number } | undefined;
  const observed = (ds.status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
  const rev = status?.updateRevision;
  if (observed && typeof rev === 'string' && rev.startsWith(`${name}-`)) {
    return rev.slice(name.length + 1);
  }
  // The CRD's server does not default a pod template; the controller does before hashing.
  const template = isEverynodeResource(ds) ? storedDefaults(ds).spec?.template : ds.spec?.template;
  return computeTemplateHash(template ?? {}, status?.collisionCount);
}

/** A fresh token: 8 hex digits, so two invocations within one second still differ. */
export function freshToken(): string {
  return randomBytes(4).toString('hex');
}

function annotations(ds: DaemonSet): Readonly<Record<string, string>> {
  return ds.metadata?.annotations ?? {};
}

/** The DaemonSet's stable revision's hash, when status names one. */
function stableHash(ds: DaemonSet): string | undefined {
  const name = ds.metadata?.name ?? '';
  const rev = (ds.status as { stableRevision?: string } | undefined)?.stableRevision;
  if (typeof rev !== 'string' || rev === '') return undefined;
  return rev.startsWith(`${name}-`) ? rev.slice(name.length + 1) : rev;
}

interface Planned {
  /** The annotation changes: a value sets it, null removes it. */
  readonly set: Readonly<Record<string, string | null>>;
  /** What the command prints after the object's name. */
  readonly done: string;
}

/**
 * What a control does to this DaemonSet, or a RolloutError saying why it makes no sense now
 * (kubectl's "already paused" / "not paused" and their kin), so a mistyped command is not a
 * silent no-op.
 */
export function planControl(ds: DaemonSet, control: Control, token: string): Planned {
  const a = annotations(ds);
  const name = ds.metadata?.name ?? '';
  const quoted = `daemon set "${name}"`;
  switch (control) {
    case 'pause':
      if (a[PAUSED_ANNOTATION] === 'true') throw new RolloutError(`${quoted} is already paused`);
      return { set: { [PAUSED_ANNOTATION]: 'true' }, done: 'paused' };
    case 'resume': {
      const spec = specPaused(ds);
      if (a[PAUSED_ANNOTATION] === undefined) {
        throw new RolloutError(
          spec === undefined
            ? `${quoted} is not paused`
            : `${quoted} is paused by ${spec} in its spec, not by ${PAUSED_ANNOTATION}; set it to false in the manifest to resume`,
        );
      }
      if (spec !== undefined) {
        // The annotation goes, but the spec still holds the rollout: say so rather than pretend.
        return {
          set: { [PAUSED_ANNOTATION]: null },
          done: `resumed from ${PAUSED_ANNOTATION}, but still paused by ${spec} in its spec`,
        };
      }
      return { set: { [PAUSED_ANNOTATION]: null }, done: 'resumed' };
    }
    case 'abort': {
      const hash = updateRevisionHash(ds);
      const stable = stableHash(ds);
      if (stable !== undefined && stable === hash) {
        throw new RolloutError(
          `${quoted} has no rollout in progress: its update revision ${hash} is the stable one`,
        );
      }
      return {
        set: { [ABORT_ANNOTATION]: `${hash}/${token}` },
        done: `aborted: pods of revision ${hash} go back to ${stable === undefined ? 'the stable revision' : `stable revision ${stable}`}`,
      };
    }
    case 'promote': {
      // Issue 12: releases the canary or wave that awaits promotion (or will, once baked).
      const hash = updateRevisionHash(ds);
      const steps = rolloutSpecOf(ds).spec.steps;
      if (steps.canary === undefined && steps.waves === undefined)
        throw new RolloutError(`${quoted} has no canary or waves to promote`);
      const stable = stableHash(ds);
      if (stable !== undefined && stable === hash)
        throw new RolloutError(
          `${quoted} has no rollout in progress: its update revision ${hash} is the stable one`,
        );
      const cond = progressingCondition(ds);
      const waiting =
        cond?.reason === 'AwaitingPromotion' ? '' : ' (it is released once it has baked)';
      return {
        set: { [PROMOTE_ANNOTATION]: `${hash}/${token}` },
        done: `promoted: the step of revision ${hash} awaiting promotion goes on${waiting}`,
      };
    }
    case 'retry': {
      const hash = updateRevisionHash(ds);
      const cond = progressingCondition(ds);
      const stuck = ['RolloutAborted', 'ProgressDeadlineExceeded', 'HealthGateFailed'];
      if (cond !== undefined && !(cond.status === 'False' && stuck.includes(cond.reason ?? ''))) {
        throw new RolloutError(
          `${quoted} has nothing to retry: its rollout is ${cond.reason ?? cond.status} (retry follows an abort, a passed progress deadline or a failed health gate)`,
        );
      }
      return { set: { [RETRY_ANNOTATION]: `${hash}/${token}` }, done: `retrying revision ${hash}` };
    }
    case 'freeze':
    case 'scaleToZero': {
      const mode = control === 'freeze' ? 'Freeze' : 'ScaleToZero';
      if (a[SUSPEND_ANNOTATION] === mode)
        throw new RolloutError(`${quoted} is already suspended (${mode})`);
      return {
        set: { [SUSPEND_ANNOTATION]: mode },
        done: mode === 'Freeze' ? 'frozen' : 'scaled to zero',
      };
    }
    case 'unfreeze': {
      if (a[SUSPEND_ANNOTATION] === undefined) {
        // Without the annotation, what suspends is the spec (or the strategy annotation).
        const spec = suspendMode(ds);
        throw new RolloutError(
          spec === undefined
            ? `${quoted} is not suspended`
            : `${quoted} is suspended by its spec (${spec}), not by ${SUSPEND_ANNOTATION}; clear it in the manifest`,
        );
      }
      return { set: { [SUSPEND_ANNOTATION]: null }, done: 'unfrozen' };
    }
  }
}

/**
 * A patch of metadata.annotations only: a strategic merge for apps/v1 (kubectl's) and a merge
 * patch for the custom resource; a null value removes the key in both. No resourceVersion: the
 * controls are independent of whatever else changes meanwhile.
 */
function annotationPatch(t: RolloutTarget, set: Readonly<Record<string, string | null>>): Patch {
  const body = { metadata: { annotations: { ...set } } };
  return t.resource === 'native' ? { type: 'strategic', body } : { type: 'merge', body };
}

/**
 * Reads the DaemonSet, decides the annotation change for `control`, and patches it (server dry
 * run: sent with dryRun=All; client: nothing sent). Returns kubectl-style output, e.g.
 * `daemonset.apps/foo paused`. Throws RolloutError when the control makes no sense now.
 */
export async function rolloutControl(
  t: RolloutTarget,
  control: Control,
  opts: ControlOptions = {},
): Promise<string> {
  const ds = await getDs(t);
  const planned = planControl(ds, control, opts.token ?? freshToken());
  const dryRun = opts.dryRun ?? 'none';
  if (dryRun !== 'client') {
    const patch = annotationPatch(t, planned.set);
    await t.cluster.patch(
      kindOf(t),
      t.namespace,
      t.name,
      dryRun === 'server' ? { ...patch, dryRun: true } : patch,
    );
  }
  return `${displayName(t)} ${planned.done}${SUFFIX[dryRun]}\n`;
}
