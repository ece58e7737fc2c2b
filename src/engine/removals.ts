/**
 * The removal budget in a sync (shared/spec/rollout-features.md §2 `spec.removalBudget`, §3.10):
 * manage's deletes of pods on nodes that stopped being eligible (shouldContinueRunning false: a
 * narrowed selector, a relabelled pool, ScaleToZero) go through the pure planner
 * (rollout/removalbudget.ts planRemovals); the ones it defers are taken out of the plan, and the
 * rolling update leaves those nodes alone too (it would otherwise remove their old pods as
 * "leaving" nodes). Exempt, going at once and using no budget: pods of nodes being deleted and
 * terminal pods (Failed, Succeeded).
 *
 * Only the full reconcile runs this: the incremental planner declines (DeclineReason
 * `removalBudget`) for a DaemonSet with a removal budget, so there is one rule in one place.
 */
import { formatTime, type Node } from '../api/types.js';
import type { RemovalBudget } from '../api/rolloutspec.js';
import type { Eligibility } from './eligibility.js';
import type { DeleteDecision } from './manage.js';
import type { NodePodsMap } from './nodepods.js';
import { planRemovals } from './rollout/removalbudget.js';
import type { PlanEvent } from './types.js';

/** What the budget did to one sync's removals. */
export interface RemovalOutcome {
  /** Manage's deletes that go now (deferred ones taken out), in manage's order. */
  readonly deletes: readonly DeleteDecision[];
  /** Nodes whose removal waits: the rolling update must not touch their pods either. */
  readonly deferred: ReadonlySet<string>;
  /** status.pendingRemovals. */
  readonly pending: number;
  /** Budgeted removal times inside the window (epoch ms ascending), for status or the record. */
  readonly recent: readonly number[];
  /** What to keep for the next sync (Snapshot.removalSince). */
  readonly since: ReadonlyMap<string, number>;
  /** The earliest time a deferred removal may go, or null. */
  readonly requeueAt: number | null;
  readonly events: readonly PlanEvent[];
}

/** What budgetRemovals reads. */
export interface RemovalInput {
  readonly budget: RemovalBudget;
  /** Manage's deletes, in its order. */
  readonly deletes: readonly DeleteDecision[];
  readonly nodes: readonly Node[];
  readonly eligibilityAt: readonly Eligibility[];
  readonly nodeToPods: NodePodsMap;
  /** The kept memory (Snapshot.removalSince). */
  readonly since: ReadonlyMap<string, number>;
  /** The recorded removal times (RolloutRecord.removals). */
  readonly recent: readonly number[];
  readonly now: number;
}

/** A removal is recorded at the next whole second, so a window read back from status never frees early. */
const ceilSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;

/** The removal budget over manage's deletes (this module's header). */
export function budgetRemovals(input: RemovalInput): RemovalOutcome {
  const { nodes, now } = input;
  const byName = new Map<string, { node: Node; elig: Eligibility }>();
  let desired = 0;
  let misscheduled = 0;
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.metadata?.name ?? '';
    const elig = input.eligibilityAt[i]!;
    byName.set(name, { node: nodes[i]!, elig });
    if (elig.shouldRun) desired++;
    else if ((input.nodeToPods.get(name)?.length ?? 0) > 0) misscheduled++;
  }
  const candidates: string[] = [];
  const seen = new Set<string>();
  for (const d of input.deletes) {
    const at = byName.get(d.node);
    if (at === undefined || at.elig.shouldContinueRunning || exempt(at.node, d)) continue;
    if (!seen.has(d.node)) candidates.push(d.node);
    seen.add(d.node);
  }
  const spec = {
    maxRemovals: input.budget.maxRemovals,
    periodSeconds: input.budget.periodSeconds,
    delaySeconds: input.budget.delaySeconds,
  };
  const plan = planRemovals({
    spec,
    desired,
    misscheduled,
    candidates: candidates.map((node) => ({ node })),
    state: { ineligibleSince: input.since, recentRemovals: input.recent },
    now,
  });
  const deferred = new Set(plan.deferred.map((d) => d.node));
  const deletes =
    deferred.size === 0
      ? input.deletes
      : input.deletes.filter((d) => !deferred.has(d.node) || exempt(byName.get(d.node)!.node, d));
  const recent = plan.state.recentRemovals.map((t) => (t === now ? ceilSecond(now) : t));
  const events: PlanEvent[] = [];
  const fresh = plan.deferred.some((d) => !input.since.has(d.node));
  const removedNow = plan.now.length > 0;
  if (plan.requeueAt !== undefined && (fresh || removedNow)) {
    const delay = spec.delaySeconds > 0 ? `, after ${spec.delaySeconds}s ineligible` : '';
    events.push({
      type: 'Normal',
      reason: 'RemovalDeferred',
      message:
        `${plan.pendingRemovals} pod removal(s) from nodes no longer eligible deferred by the ` +
        `removal budget (${plan.limit} per ${spec.periodSeconds}s${delay}); next at ` +
        `${formatTime(plan.requeueAt)} (node ${plan.deferred[0]!.node})`,
    });
  }
  return {
    deletes,
    deferred,
    pending: plan.pendingRemovals,
    recent,
    since: plan.state.ineligibleSince,
    requeueAt: plan.requeueAt ?? null,
    events,
  };
}

/** Deleted nodes and terminal pods use no budget (§3.10). */
function exempt(node: Node, d: DeleteDecision): boolean {
  if (node.metadata?.deletionTimestamp) return true;
  const phase = d.pod.status?.phase;
  return phase === 'Failed' || phase === 'Succeeded';
}
