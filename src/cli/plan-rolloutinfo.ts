/**
 * What `plan` and `plan --rollout` say about everynode's rollout controls (issue 11): the phase,
 * the update and stable revisions, what holds the rollout (a pause and who set it, a partition
 * and how many nodes it keeps, a suspension, an abort), the progress deadline, and the planned
 * conditions; and which creates are pinned to the stable revision. Read from the engine's plan
 * (Plan.rollout, PodCreate.pinned) and the DaemonSet's rollout spec; null for a plain apps/v1
 * DaemonSet, whose plan shows exactly what it showed before.
 */
import { resolvePartition, rolloutSpecOf, PAUSED_ANNOTATION } from '../api/rolloutspec.js';
import type { DaemonSet, DaemonSetStatus, IntOrString } from '../api/types.js';
import type { Plan } from '../engine/types.js';
import type { Colors } from './output.js';
import { gatesText } from './plan-gates.js';

/** The rollout part of `plan -o json|yaml` (the key `rollout`). */
export interface RolloutInfoView {
  /** status.rollout.phase after this plan: Rolling, Paused, Partitioned, Complete, ... */
  readonly phase: string;
  readonly updateRevision: string;
  /** null until a revision finished rolling out (the first one becomes stable when it converges). */
  readonly stableRevision: string | null;
  /** The revision nodes are driven to: the update one, or the stable one while aborted. */
  readonly targetRevision: string;
  /** Why nodes outside the release set are held (paused, partition, noStableRevision), or null. */
  readonly hold: string | null;
  /** spec.paused, rollingUpdate.paused, the strategy annotation or the paused annotation; null: not paused. */
  readonly pausedBy: string | null;
  /** Freeze or ScaleToZero, or null. */
  readonly suspend: string | null;
  readonly aborted: boolean;
  /** The partition as written and the nodes it keeps on the stable revision; null: none. */
  readonly partition: { readonly value: IntOrString; readonly nodes: number } | null;
  /** progressDeadlineSeconds (null: no deadline) and whether passing it aborts. */
  readonly progressDeadlineSeconds: number | null;
  readonly progressDeadlineAbort: boolean;
  /** Canary and waves (issue 12), only when they act on this rollout. */
  readonly steps?: NonNullable<NonNullable<Plan['rollout']>['steps']>;
  /** The health gates in force (plan-gates.ts), only when there are some. */
  readonly gates?: string;
  /** The planned status conditions (Available, Progressing, Suspended, InvalidStrategy). */
  readonly conditions: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

const PAUSED_BY: Readonly<Record<string, string>> = {
  'spec.paused': 'spec.paused',
  'rollingUpdate.paused': 'spec.updateStrategy.rollingUpdate.paused',
  annotation: PAUSED_ANNOTATION,
};

/** The rollout part of a plan, or null when the DaemonSet uses none of everynode's features. */
export function rolloutInfo(ds: DaemonSet, plan: Plan): RolloutInfoView | null {
  const r = plan.rollout;
  if (r === null || r === undefined) return null;
  const spec = rolloutSpecOf(ds).spec;
  const desired = plan.status.desiredNumberScheduled ?? 0;
  const by = spec.pausedBy;
  return {
    phase: r.phase,
    updateRevision: r.updateRevision,
    stableRevision: r.stableRevision ?? null,
    targetRevision: r.targetRevision,
    hold: r.hold ?? null,
    pausedBy:
      by === undefined
        ? null
        : spec.source === 'annotation' && by !== 'annotation'
          ? `rollout.everynode.dev/strategy (${by})`
          : (PAUSED_BY[by] ?? by),
    suspend: r.suspend ?? null,
    aborted: r.aborted,
    partition:
      spec.partition === undefined || resolvePartition(spec.partition, desired) === 0
        ? null
        : { value: spec.partition, nodes: resolvePartition(spec.partition, desired) },
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? null,
    progressDeadlineAbort: spec.progressDeadlineAbort,
    ...(r.steps === undefined ? {} : { steps: r.steps }),
    ...gatesOf(spec.steps, r.steps?.metric?.state),
    conditions: conditionsOf(plan.status),
  };
}

function gatesOf(...args: Parameters<typeof gatesText>): { gates?: string } {
  const text = gatesText(...args);
  return text === undefined ? {} : { gates: text };
}

function conditionsOf(status: DaemonSetStatus): RolloutInfoView['conditions'] {
  return (status.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
  }));
}

/** How a hold reads after "nodes that need a pod get the stable revision": why they are held. */
const HOLD_TEXT: Readonly<Record<string, string>> = {
  paused: 'while paused',
  partition: 'outside the partition',
  noStableRevision: 'held (no stable revision yet)',
  canary: 'outside the canary',
  waves: 'outside the waves opened so far',
  healthGate: 'while a health gate holds the rollout',
};

/**
 * The header lines `plan` and `plan --rollout` print for the rollout: `Rollout:` (phase and
 * revisions), `Controls:` (pause, suspend, abort, partition, deadline; omitted when none),
 * `Conditions:` (as planned).
 */
export function rolloutFields(info: RolloutInfoView, c: Colors): [string, string][] {
  const out: [string, string][] = [];
  const phase = /^(Failed|Aborted)$/.test(info.phase)
    ? c.red(info.phase)
    : /^(Paused|Partitioned|Frozen|ScaledToZero)$/.test(info.phase)
      ? c.magenta(info.phase)
      : info.phase;
  const stable =
    info.stableRevision === null
      ? 'no stable revision yet'
      : info.stableRevision === info.updateRevision
        ? 'stable'
        : `stable ${info.stableRevision}`;
  out.push(['Rollout', `phase ${phase} · update ${info.updateRevision} · ${stable}`]);
  const controls: string[] = [];
  if (info.suspend !== null)
    controls.push(
      info.suspend === 'Freeze'
        ? 'suspended (Freeze): no pod is created or deleted'
        : 'suspended (ScaleToZero): every pod is removed',
    );
  if (info.aborted)
    controls.push(
      `aborted: pods go back to ${info.stableRevision === null ? 'the stable revision' : info.stableRevision}`,
    );
  if (info.pausedBy !== null) controls.push(`paused by ${info.pausedBy}`);
  if (info.partition !== null)
    controls.push(
      `partition ${String(info.partition.value)}: ${info.partition.nodes} ${info.partition.nodes === 1 ? 'node keeps' : 'nodes keep'} the stable revision`,
    );
  if (info.hold !== null && info.stableRevision !== info.updateRevision)
    controls.push(
      `nodes that need a pod get the stable revision ${HOLD_TEXT[info.hold] ?? info.hold}`,
    );
  if (info.progressDeadlineSeconds !== null)
    controls.push(
      `progress deadline ${info.progressDeadlineSeconds}s${info.progressDeadlineAbort ? ', then abort' : ''}`,
    );
  if (controls.length > 0) out.push(['Controls', controls.join(' · ')]);
  const s = info.steps;
  if (s !== undefined) {
    const parts: string[] = [];
    if (s.canaryNodes.length > 0) parts.push(`canary ${s.canaryNodes.join(', ')}`);
    if (s.count > 0)
      parts.push(
        `step ${s.step + 1} of ${s.count} (${s.kind === 'canary' ? 'canary' : `wave ${s.name ?? ''}`}): ${s.state}${s.bakeUntil === undefined ? '' : ` until ${new Date(s.bakeUntil).toISOString()}`}`,
      );
    if (s.gateFailure !== undefined) parts.push(c.red(`health gate failed: ${s.gateFailure}`));
    if (parts.length > 0) out.push(['Steps', parts.join(' · ')]);
  }
  if (info.gates !== undefined) out.push(['Gates', info.gates]);
  if (info.conditions.length > 0)
    out.push([
      'Conditions',
      info.conditions
        .map((x) => {
          const text = `${x.type} ${x.status}${x.reason ? ` (${x.reason})` : ''}`;
          return x.status === 'False' && x.type !== 'Suspended' ? c.yellow(text) : text;
        })
        .join(' · '),
    ]);
  return out;
}
