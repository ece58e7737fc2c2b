/**
 * `everynode plan --rollout`: a preview of a whole rollout from a snapshot, pure. It reconciles in
 * harness mode again and again on a virtual clock, applying each plan as the scenario harness
 * does (creates and deletes observed at once), with every new pod bound and Ready at the step's
 * time, and the clock moving minReadySeconds + 1 s between steps so the pod is available at the
 * next step. It stops when a reconcile plans nothing (converged) or after maxSteps.
 */
import { isPodAvailable, getControllerOf, getTargetNodeName } from '../api/pod.js';
import { withGenerations } from '../api/dsstrategy.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  formatTime,
  type PodTemplateSpec,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type Pod,
} from '../api/types.js';
import { makeEligibilityChecker } from './eligibility.js';
import { collisionDecision } from './history.js';
import { reconcile } from './reconcile.js';
import type { BackoffEntry, Plan, Snapshot } from './types.js';

/** Options of previewRollout. */
export interface PreviewOptions {
  /** Give up after this many steps that plan something (default 10,000). */
  readonly maxSteps?: number;
  /** Virtual ms between steps (default minReadySeconds × 1000 + 1000). */
  readonly stepMs?: number;
  /**
   * Called after each step with the plan it applied and the state right after (new pods Ready,
   * not yet available unless minReadySeconds is 0): for the step-by-step grid of
   * `plan --rollout --report`. Must not modify its arguments.
   */
  readonly onStep?: (plan: Plan, after: Snapshot) => void;
}

/** One reconcile that planned something, as applied. */
export interface RolloutStep {
  /** The virtual time of the reconcile, epoch ms. */
  readonly time: number;
  /** Nodes getting a new pod, in plan order. */
  readonly createdOn: readonly string[];
  /** Names of the pods deleted. */
  readonly deleted: readonly string[];
  /** Eligible nodes without an available pod once this step's writes are applied. */
  readonly unavailable: number;
  /** The most non-terminating pods of the DaemonSet on one node after this step. */
  readonly maxPodsOnANode: number;
}

/** The preview of a rollout. */
export interface RolloutPreview {
  readonly steps: readonly RolloutStep[];
  readonly totalSteps: number;
  /** Eligible nodes without an available pod before the first step. */
  readonly initialUnavailable: number;
  /** The most eligible nodes without an available pod at once, over the start and every step. */
  readonly peakUnavailable: number;
  /** True when a reconcile planned nothing before maxSteps ran out, and no step failed. */
  readonly converged: boolean;
  /** The state the preview ended in (time, DaemonSet with status, pods, revisions). */
  readonly final: Snapshot;
  /** Set when a reconcile reported an error (e.g. a malformed budget); the preview stops there. */
  readonly error?: string;
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The mutable little world a preview runs in. */
class World {
  ds: DaemonSet;
  pods: Pod[];
  revisions: ControllerRevision[];
  backoff: Map<string, BackoffEntry>;
  now: number;
  private seq = 0;
  private readonly names: Set<string>;

  constructor(private readonly start: Snapshot) {
    this.ds = start.ds;
    this.pods = [...start.pods];
    this.revisions = [...start.revisions];
    this.backoff = new Map(start.backoff);
    this.now = start.now;
    this.names = new Set(this.pods.map((p) => p.metadata?.name ?? ''));
  }

  snapshot(): Snapshot {
    const { backoffConfig } = this.start;
    return {
      ds: this.ds,
      nodes: this.start.nodes,
      pods: this.pods,
      revisions: this.revisions,
      now: this.now,
      backoff: this.backoff,
      ...(backoffConfig ? { backoffConfig } : {}),
    };
  }

  /** What the API server does with generateName: a free name with a 5-character suffix. */
  private freshName(base: string): string {
    for (;;) {
      let n = this.seq++;
      let s = '';
      for (let i = 0; i < 5; i++) {
        s = NAME_ALPHABET[n % NAME_ALPHABET.length]! + s;
        n = Math.floor(n / NAME_ALPHABET.length);
      }
      const name = `${base}${s}`;
      if (!this.names.has(name)) {
        this.names.add(name);
        return name;
      }
    }
  }

  /** Applies claims and history; false when the revision create collided (§8.4) and the step ends. */
  applyMeta(plan: Plan): boolean {
    const uid = this.ds.metadata?.uid ?? '';
    const claims = new Map(plan.claims.map((c) => [c.uid, c.action]));
    const claim = <T extends Pod | ControllerRevision>(obj: T): T => {
      const action = claims.get(obj.metadata?.uid ?? '');
      if (action === undefined) return obj;
      const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const ours = {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: this.ds.metadata?.name ?? '',
        uid,
        controller: true,
        blockOwnerDeletion: true,
      };
      return {
        ...obj,
        metadata: { ...obj.metadata, ownerReferences: action === 'adopt' ? [...refs, ours] : refs },
      };
    };
    if (claims.size > 0) {
      this.pods = this.pods.map(claim);
      this.revisions = this.revisions.map(claim);
    }
    const h = plan.history;
    if (h === null) return true;
    if (h.createRevision !== null) {
      const name = h.createRevision.metadata?.name ?? '';
      const existing = this.revisions.find((r) => r.metadata?.name === name);
      if (existing === undefined) {
        this.revisions.push(h.createRevision);
      } else {
        const decision = collisionDecision(this.ds, existing, this.ds);
        if (typeof decision === 'object') {
          this.ds = {
            ...this.ds,
            status: { ...plan.status, ...this.ds.status, collisionCount: decision.bumpTo },
          };
          return false;
        }
      }
    }
    const renumber = new Map(h.updateRevisions.map((u) => [u.name, u.revision]));
    const label = new Set(h.labelRevisions);
    const drop = new Set(h.deleteRevisions);
    this.revisions = this.revisions
      .filter((r) => !drop.has(r.metadata?.name ?? ''))
      .map((r) => {
        const name = r.metadata?.name ?? '';
        const revision = renumber.get(name) ?? r.revision;
        const labels = label.has(name)
          ? { ...r.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: name }
          : r.metadata?.labels;
        return { ...r, revision, metadata: { ...r.metadata, ...(labels ? { labels } : {}) } };
      });
    const relabel = new Map(h.relabelPods.map((r) => [r.name, r.labels]));
    if (relabel.size > 0) {
      this.pods = this.pods.map((p) => {
        const labels = relabel.get(p.metadata?.name ?? '');
        return labels === undefined
          ? p
          : { ...p, metadata: { ...p.metadata, labels: { ...p.metadata?.labels, ...labels } } };
      });
    }
    return true;
  }

  /** Applies the pod writes and status; returns the created pods, named and bound. */
  applyPods(plan: Plan): Pod[] {
    const gone = new Set(plan.deletes.map((d) => d.uid));
    this.pods = this.pods.filter((p) => !gone.has(p.metadata?.uid ?? ''));
    const created = plan.creates.map((c) => {
      const pod = structuredClone(c.pod) as Mutable<Pod>;
      const name = this.freshName(pod.metadata?.generateName ?? `${this.ds.metadata?.name ?? ''}-`);
      pod.metadata = {
        ...pod.metadata,
        name,
        uid: `uid-${name}`,
        creationTimestamp: formatTime(this.now),
      };
      // The scheduler binds it where the affinity pins it.
      pod.spec = { ...pod.spec!, nodeName: c.node };
      pod.status = { phase: 'Pending' };
      return pod;
    });
    this.pods.push(...created);
    for (const [k, v] of plan.backoffUpdates) this.backoff.set(k, v);
    if (plan.statusChanged) this.ds = { ...this.ds, status: plan.status };
    return created;
  }

  /** The kubelet reports the pods Ready (and Running) at the given time. */
  markReady(pods: readonly Pod[], at: number): void {
    const ready = new Set(pods.map((p) => p.metadata?.uid ?? ''));
    this.pods = this.pods.map((p) =>
      ready.has(p.metadata?.uid ?? '')
        ? {
            ...p,
            status: {
              ...p.status,
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(at) }],
            },
          }
        : p,
    );
  }

  /** Eligible nodes without an available pod, and the most active pods on one node, now. */
  measure(): { unavailable: number; maxPodsOnANode: number } {
    const uid = this.ds.metadata?.uid ?? '';
    const minReady = this.ds.spec?.minReadySeconds ?? 0;
    const perNode = new Map<string, Pod[]>();
    for (const p of this.pods) {
      if (p.metadata?.deletionTimestamp || getControllerOf(p)?.uid !== uid) continue;
      const t = getTargetNodeName(p);
      if ('node' in t) perNode.set(t.node, [...(perNode.get(t.node) ?? []), p]);
    }
    const eligible = makeEligibilityChecker(this.ds);
    let unavailable = 0;
    for (const node of this.start.nodes) {
      if (!eligible(node).shouldRun) continue;
      const pods = perNode.get(node.metadata?.name ?? '') ?? [];
      if (!pods.some((p) => isPodAvailable(p, minReady, this.now))) unavailable++;
    }
    let maxPodsOnANode = 0;
    for (const pods of perNode.values()) maxPodsOnANode = Math.max(maxPodsOnANode, pods.length);
    return { unavailable, maxPodsOnANode };
  }
}

function plansNothing(plan: Plan): boolean {
  const h = plan.history;
  const historyWrites =
    h !== null &&
    (h.createRevision !== null ||
      h.updateRevisions.length +
        h.labelRevisions.length +
        h.relabelPods.length +
        h.deleteRevisions.length >
        0);
  return plan.creates.length + plan.deletes.length + plan.claims.length === 0 && !historyWrites;
}

/**
 * Previews a rollout from `snapshot` (its `ds` is the DaemonSet as it will be stored, template
 * change included): the steps with their times, nodes getting new pods, pods deleted and nodes
 * unavailable, the peak unavailability, and whether it converged within maxSteps. Pure: the
 * snapshot is not modified, and the same input always gives the same preview.
 */
export function previewRollout(snapshot: Snapshot, options: PreviewOptions = {}): RolloutPreview {
  const maxSteps = options.maxSteps ?? 10_000;
  const stepMs = options.stepMs ?? (snapshot.ds.spec?.minReadySeconds ?? 0) * 1000 + 1000;
  const world = new World(snapshot);
  const initialUnavailable = world.measure().unavailable;
  let peakUnavailable = initialUnavailable;
  const steps: RolloutStep[] = [];
  let converged = false;
  let error: string | undefined;
  while (steps.length < maxSteps) {
    const plan = reconcile(world.snapshot(), { mode: 'harness' });
    if (plan.skip !== null || plansNothing(plan)) {
      if (plan.statusChanged) world.ds = { ...world.ds, status: plan.status };
      converged = plan.error === undefined;
      error = plan.error;
      break;
    }
    const time = world.now;
    let created: Pod[] = [];
    if (world.applyMeta(plan)) created = world.applyPods(plan);
    const m = world.measure();
    peakUnavailable = Math.max(peakUnavailable, m.unavailable);
    steps.push({
      time,
      createdOn: plan.creates.map((c) => c.node),
      deleted: plan.deletes.map((d) => d.name),
      unavailable: m.unavailable,
      maxPodsOnANode: m.maxPodsOnANode,
    });
    if (plan.error !== undefined) {
      error = plan.error;
      break;
    }
    world.markReady(created, time);
    options.onStep?.(plan, world.snapshot());
    world.now += stepMs;
  }
  return {
    steps,
    totalSteps: steps.length,
    initialUnavailable,
    peakUnavailable,
    converged,
    final: world.snapshot(),
    ...(error === undefined ? {} : { error }),
  };
}

/** The nodes of a preview's steps in the order they first got a new pod (for a summary line). */
export function updateOrder(preview: RolloutPreview): string[] {
  const seen = new Set<string>();
  for (const s of preview.steps) for (const n of s.createdOn) seen.add(n);
  return [...seen];
}

/**
 * The DaemonSet as the API server stores it after an update that sets `template` (§1.4): when the
 * template changed semantically, metadata.generation and the template-generation annotation go up
 * by one; otherwise the object is returned unchanged. The input is not modified.
 */
export function withTemplate(ds: DaemonSet, template: PodTemplateSpec): DaemonSet {
  // The bookkeeping is the API server's update strategy (api/dsstrategy.ts), shared with the
  // embedded API server, plan and sim: one rule for when the generations go up.
  const next = withGenerations(
    { ...ds, spec: { ...ds.spec!, template: structuredClone<PodTemplateSpec>(template) } },
    ds,
  );
  return next.metadata?.generation === ds.metadata?.generation ? ds : next;
}
