/**
 * The rollout policy factory: from a DaemonSet, its rollout spec (api/rolloutspec.ts), its
 * revisions and its durable record (rolloutrecord.ts), what this sync's planning may do
 * (shared/spec/rollout-features.md §1, §3; docs/adr/2026-12-08-rollout-control.md):
 *
 * - the **target** revision the rolling update drives nodes to: the update revision, or the
 *   stable one while the rollout is aborted (going back is a normal rolling update);
 * - the **update policy**: the node order and the size of the release set (paused: 0; a partition
 *   p: desired − p, updated nodes counted first; else all);
 * - the **pin**: the stable revision, which a node outside the release set gets when it needs a
 *   pod (pinning), so a held rollout never spreads the untested template;
 * - **suspend**: Freeze (no pod writes) or ScaleToZero (no node should run a pod);
 * - the controls acted on now (abort, retry), each once per distinct value and only for the
 *   update revision's hash.
 *
 * Both planning paths call decideRollout once per sync, before planning; nothing here reads pods
 * or nodes. Issue 12 plugs in here: canary nodes and waves are an order (`compare` over names) and
 * a release prefix that grows as gates open; a gate failure sets `aborted` or holds like a pause.
 */
import {
  controlAnnotation,
  CONTROL_NAMES,
  hasStepFields,
  resolvePartition,
  rolloutSpecOf,
  usesRolloutFeatures,
  type ControlName,
  type RolloutSpec,
  type SuspendMode,
} from '../api/rolloutspec.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  type ControllerRevision,
  type DaemonSet,
  type Pod,
  type PodTemplateSpec,
  type RolloutFailure,
} from '../api/types.js';
import type { FieldError } from '../api/fielderrors.js';
import { revisionRef } from './history.js';
import { EMPTY_RECORD, readRecord, type RolloutRecord } from './rolloutrecord.js';
import type { StepsOutcome } from './rollout/outcome.js';
import type { RevisionRef } from './types.js';
import { compareNodeNames, defaultUpdatePolicy, type UpdatePolicy } from './updatepolicy.js';
import { deepFreeze } from '../api/freeze.js';

/** Why nodes outside the release set are held. */
export type HoldReason =
  | 'paused'
  | 'partition'
  | 'noStableRevision'
  /** Issue 12 (engine/rollout/stage.ts): outside the canary, an unopened wave, a gate's pause. */
  | 'canary'
  | 'waves'
  | 'healthGate';

/** A revision pods can be built from: its ref and its template. */
export interface RevisionSource {
  readonly ref: RevisionRef;
  readonly template: PodTemplateSpec;
}

/** What one sync's planning may do (this module's header). */
export interface RolloutDecision {
  /** False for an apps/v1 DaemonSet without rollout annotations: plain apps/v1, nothing added. */
  readonly features: boolean;
  readonly spec: RolloutSpec;
  readonly annotationErrors: readonly FieldError[];
  /** The record as stored. */
  readonly record: RolloutRecord;
  /** The revision matching the template. */
  readonly update: RevisionRef;
  /** The stable revision, when recorded and still present. */
  readonly stable: RevisionSource | undefined;
  /** The update revision differs from the one the record was written for. */
  readonly newRollout: boolean;
  /** Control values acted on in this sync, by control. */
  readonly acted: Readonly<Partial<Record<ControlName, string>>>;
  /** The rollout of the update revision is aborted (after this sync's controls). */
  readonly aborted: boolean;
  /** Why, when aborted or failed (carried into status.rollout.failure). */
  readonly failure: RolloutFailure | undefined;
  /** The revision the rolling update drives nodes to: update, or stable while aborted. */
  readonly target: RevisionRef;
  /** The target's template when it is not the DaemonSet's (aborted). */
  readonly targetTemplate: PodTemplateSpec | undefined;
  /** What a held node that needs a pod gets (the stable revision), when it differs from the target. */
  readonly pin: RevisionSource | undefined;
  /** Why nodes are held (undefined: every node is released). */
  readonly hold: HoldReason | undefined;
  readonly suspend: SuspendMode | undefined;
  /** The rolling update's order and release set. */
  readonly policy: UpdatePolicy;
  /** A stable revision must be inferred from the pods, which the input did not give. */
  readonly stableUnknown: boolean;
  /** Canary, waves and gates, when the steps stage (engine/rollout/stage.ts) acted. */
  readonly steps?: StepsOutcome;
}

/** What decideRollout reads. */
export interface RolloutInput {
  readonly ds: DaemonSet;
  /** The DaemonSet's claimed revisions (the update revision among them once it exists). */
  readonly revisions: readonly ControllerRevision[];
  /** The update revision as history plans it (possibly still to be created). */
  readonly update: RevisionRef;
  readonly now: number;
  /**
   * The claimed pods, for inferring a stable revision that was never recorded; the incremental
   * planner passes none and declines when one is needed (stableUnknown).
   */
  readonly pods?: readonly Pod[];
  /** Overrides the policy the spec implies (tests, the controller's updatePolicy option). */
  readonly policy?: UpdatePolicy | undefined;
  /**
   * Plan as plain apps/v1: no rollout spec, record or status is read or written (the faithful
   * property test compares every plan with this one).
   */
  readonly plain?: boolean;
}

const templates = new WeakMap<object, PodTemplateSpec | null>();

/** A revision's template (its data without `$patch`), or undefined when the data has none. */
export function revisionTemplate(rev: ControllerRevision): PodTemplateSpec | undefined {
  const hit = templates.get(rev);
  if (hit !== undefined) return hit ?? undefined;
  const data: unknown = rev.data;
  const spec = isObject(data) ? data.spec : undefined;
  const raw = isObject(spec) ? spec.template : undefined;
  let out: PodTemplateSpec | null = null;
  if (isObject(raw)) {
    const { $patch: _, ...template } = raw;
    // Frozen, so the pod factory may keep its prepared template for this object.
    out = deepFreeze(structuredClone(template));
  }
  templates.set(rev, out);
  return out ?? undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when a control's value names the update revision (its hash or its name). */
function forUpdate(revision: string, update: RevisionRef): boolean {
  return revision === update.hash || revision === update.name;
}

/** The policy for a release count rule (order: natural names; issue 12 adds canary and waves). */
function releasePolicy(name: string, released: (desired: number) => number): UpdatePolicy {
  return Object.freeze({ name, compare: compareNodeNames, orderKey: 'natural', released });
}

const PAUSED_POLICY: UpdatePolicy = Object.freeze({
  ...releasePolicy('paused', () => 0),
  holdAll: true,
});

/**
 * The decision for one sync (this module's header). Pure: the same inputs give the same
 * decision on both planning paths.
 */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const { ds, update } = input;
  const { spec, annotationErrors } = rolloutSpecOf(ds);
  const features = input.plain !== true && usesRolloutFeatures(ds);
  const record = features ? readRecord(ds, input.revisions, update) : EMPTY_RECORD;
  const newRollout = features && record.updateRevision !== update.name;
  // Controls: each distinct value once, only for the update revision.
  const acted: Partial<Record<ControlName, string>> = {};
  let aborted = !newRollout && record.aborted;
  let failure = newRollout ? undefined : record.failure;
  for (const name of CONTROL_NAMES) {
    const c = spec.controls[name];
    if (c === undefined || record.observedControls[name] === c.value) continue;
    if (!forUpdate(c.revision, update)) continue;
    acted[name] = c.value;
    // promote releases the step awaiting promotion (engine/rollout/stage.ts); it neither aborts nor retries.
    if (name === 'promote') continue;
    if (name === 'abort') {
      aborted = true;
      failure = {
        reason: 'AbortRequested',
        message: `${controlAnnotation('abort')}: ${c.value}`,
      };
    } else {
      aborted = false;
      failure = undefined;
    }
  }
  // The stable revision: as recorded, or, when a hold or an abort needs one and none was
  // recorded yet (rollout annotations added mid-rollout), the revision most pods still run.
  let stableName = record.stableRevision;
  let stableUnknown = false;
  const needsStable =
    spec.pausedBy !== undefined ||
    spec.partition !== undefined ||
    aborted ||
    hasStepFields(spec.steps);
  if (features && stableName === undefined && needsStable) {
    if (input.pods === undefined) stableUnknown = true;
    else stableName = inferStable(input.revisions, input.pods, update);
  }
  const stable = features ? stableSource(input.revisions, stableName, update) : undefined;
  const goBack = aborted && stable !== undefined && stable.ref.name !== update.name;
  const target = goBack ? stable.ref : update;
  let hold: HoldReason | undefined;
  let policy: UpdatePolicy;
  if (input.policy !== undefined) {
    policy = input.policy;
  } else if (!features) {
    policy = defaultUpdatePolicy;
  } else if (spec.pausedBy !== undefined) {
    hold = 'paused';
    policy = PAUSED_POLICY;
  } else if (aborted && !goBack) {
    // Nothing to go back to (no stable revision, or it is the update): hold like a pause.
    hold = stable === undefined ? 'noStableRevision' : undefined;
    policy = stable === undefined ? PAUSED_POLICY : defaultUpdatePolicy;
  } else if (!goBack && spec.partition !== undefined) {
    const p = spec.partition;
    hold = 'partition';
    policy = releasePolicy(`partition(${String(p)})`, (d) => d - resolvePartition(p, d));
  } else {
    policy = defaultUpdatePolicy;
  }
  const pin = stable !== undefined && stable.ref.name !== target.name ? stable : undefined;
  return {
    features,
    spec,
    annotationErrors,
    record,
    update,
    stable,
    newRollout,
    acted,
    aborted,
    failure,
    target,
    targetTemplate: goBack ? stable.template : undefined,
    pin,
    hold,
    suspend: spec.suspend,
    policy,
    stableUnknown,
  };
}

/** The stable revision's source, when it is named and its data has a template. */
function stableSource(
  revisions: readonly ControllerRevision[],
  name: string | undefined,
  update: RevisionRef,
): RevisionSource | undefined {
  if (name === undefined) return undefined;
  const rev = revisions.find((r) => r.metadata?.name === name);
  const template = rev === undefined ? undefined : revisionTemplate(rev);
  if (rev === undefined || template === undefined) return undefined;
  const ref = revisionRef(rev);
  // The update revision itself is the stable one: pods of it are the template's.
  return ref.name === update.name ? { ref: update, template } : { ref, template };
}

/**
 * The revision other than the update one that most live claimed pods run (ties: the older), as
 * the stable revision when none was recorded; undefined when no pod runs another revision.
 */
export function inferStable(
  revisions: readonly ControllerRevision[],
  pods: readonly Pod[],
  update: RevisionRef,
): string | undefined {
  const counts = new Map<string, number>();
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const hash = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    if (hash !== undefined && hash !== update.hash) counts.set(hash, (counts.get(hash) ?? 0) + 1);
  }
  let best: { name: string; n: number; revision: number } | undefined;
  for (const rev of revisions) {
    const ref = revisionRef(rev);
    const n = counts.get(ref.hash) ?? 0;
    if (n === 0 || ref.name === update.name) continue;
    if (best === undefined || n > best.n || (n === best.n && ref.revision < best.revision))
      best = { name: ref.name, n, revision: ref.revision };
  }
  return best?.name;
}

/**
 * The DaemonSet as a pod factory for `source` sees it: the revision's template, and no template
 * generation (a pod of an older template must not carry the current generation, which
 * IsPodUpdated would read as updated).
 */
export function dsForRevision(ds: DaemonSet, template: PodTemplateSpec): DaemonSet {
  const annotations = ds.metadata?.annotations;
  let meta = ds.metadata;
  if (annotations?.[TEMPLATE_GENERATION_ANNOTATION] !== undefined) {
    const { [TEMPLATE_GENERATION_ANNOTATION]: _, ...rest } = annotations;
    meta = { ...meta, annotations: rest };
  }
  return { ...ds, metadata: meta, spec: { ...ds.spec!, template } };
}
