/**
 * Records the node grid while a simulation runs: the observer calls it for every node of every
 * DaemonSet it evaluates, and it appends a segment only when a node's state, pod or reason
 * changed (run-length per node), so a 10,000-node run costs a few segments per node, not a grid
 * per instant. The controller's plans are read after each sync for the reasons of its creates
 * and deletes ("rolling update: old revision ...").
 */
import type { DaemonSet, Node, Pod } from '../../../api/types.js';
import { resolveBudget } from '../../../engine/budget.js';
import type { Eligibility } from '../../../engine/eligibility.js';
import type { Plan } from '../../../engine/types.js';
import { classifyNode } from './classify.js';
import { M, S, StringTable, type SeriesDoc } from './model.js';

const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** One DaemonSet's recording. */
export class DsRecording {
  /** Per node index: [t, state, pod, why, ...] with absolute times. */
  readonly runs: number[][] = [];
  readonly marks: number[][] = [];
  readonly pods: string[] = [];
  readonly podRev: number[] = [];
  readonly series: SeriesDoc = {
    t: [],
    desired: [],
    updated: [],
    available: [],
    unavailable: [],
    budget: [],
  };
  strategy = '';
  private readonly podIndex = new Map<string, number>();
  private readonly lastState: number[] = [];
  private readonly lastPod: string[] = [];
  private readonly lastWhy: string[] = [];
  private readonly lastMark: number[] = [];
  private readonly seen: number[] = [];
  /** Reasons from the controller's plans: by node for creates, by pod name for deletes. */
  readonly createWhy = new Map<string, string>();
  readonly deleteWhy = new Map<string, string>();
  /** Why a pod was created, kept for as long as it lives (by pod name). */
  private readonly podCreateWhy = new Map<string, string>();
  pass = 0;

  constructor(
    readonly key: string,
    private readonly strings: StringTable,
  ) {}

  private podIdx(name: string, rev: number): number {
    let i = this.podIndex.get(name);
    if (i === undefined) {
      i = this.pods.length;
      this.pods.push(name);
      this.podRev.push(rev);
      this.podIndex.set(name, i);
    }
    return i;
  }

  /** Records one node's state at time t (appends only on change). */
  node(
    t: number,
    idx: number,
    nodeName: string,
    e: Eligibility,
    pods: readonly Pod[] | undefined,
    newest: string | undefined,
    revisionOf: ReadonlyMap<string, number>,
    minReady: number,
    now: number,
    canary: boolean,
    pinned?: string,
  ): void {
    this.seen[idx] = this.pass;
    const st = classifyNode(e, pods, newest, minReady, now, pinned);
    const podName = st.pod?.metadata?.name ?? '';
    let why = st.why;
    if (st.state === S.terminating) {
      const planned = this.deleteWhy.get(podName);
      if (planned !== undefined) why = `deleted by the controller: ${planned}; ${why}`;
    } else if (podName !== '') {
      let created = this.podCreateWhy.get(podName);
      if (created === undefined) {
        created = this.createWhy.get(nodeName);
        if (created !== undefined) {
          this.podCreateWhy.set(podName, created);
          this.createWhy.delete(nodeName);
        }
      }
      if (created !== undefined && st.state !== S.available && st.state !== S.old)
        why = `${why}; created: ${created}`;
    } else if (st.state === S.none && this.lastState[idx] === S.terminating) {
      why = `its pod ${this.lastPod[idx] ?? ''} is gone; the controller creates a new one next`;
    }
    if (
      st.state !== this.lastState[idx] ||
      podName !== this.lastPod[idx] ||
      why !== this.lastWhy[idx]
    ) {
      const rev = revisionOf.get(st.hash) ?? 0;
      const run = (this.runs[idx] ??= []);
      const p = podName === '' ? -1 : this.podIdx(podName, rev);
      // Two changes in one instant: the later one wins (the grid shows instants, not turns).
      if (run.length >= 4 && run[run.length - 4] === t) run.length -= 4;
      run.push(t, st.state, p, this.strings.of(why));
      this.lastState[idx] = st.state;
      this.lastPod[idx] = podName;
      this.lastWhy[idx] = why;
    }
    const bits =
      (canary ? M.canary : 0) |
      (pods !== undefined && pods.length > 0 && !e.shouldContinueRunning ? M.misscheduled : 0);
    if (bits !== (this.lastMark[idx] ?? 0)) {
      (this.marks[idx] ??= []).push(t, bits);
      this.lastMark[idx] = bits;
    }
  }

  /** Marks every node not seen in this pass as absent (it left the cluster). */
  endPass(t: number, nodeCount: number): void {
    for (let i = 0; i < nodeCount; i++) {
      if (this.seen[i] === this.pass || this.lastState[i] === undefined) continue;
      if (this.lastState[i] === S.absent) continue;
      const run = this.runs[i]!;
      if (run.length >= 4 && run[run.length - 4] === t) run.length -= 4;
      run.push(t, S.absent, -1, -1);
      this.lastState[i] = S.absent;
      this.lastPod[i] = '';
      this.lastWhy[i] = '';
    }
    this.pass++;
  }

  /** Appends the counts at t when they changed. */
  counts(
    t: number,
    desired: number,
    updated: number,
    available: number,
    unavailable: number,
    budget: number,
  ): void {
    const s = this.series;
    const n = s.t.length;
    if (
      n > 0 &&
      s.desired[n - 1] === desired &&
      s.updated[n - 1] === updated &&
      s.available[n - 1] === available &&
      s.unavailable[n - 1] === unavailable &&
      s.budget[n - 1] === budget
    )
      return;
    if (n > 0 && s.t[n - 1] === t) {
      for (const a of [s.t, s.desired, s.updated, s.available, s.unavailable, s.budget]) a.pop();
    }
    s.t.push(t);
    s.desired.push(desired);
    s.updated.push(updated);
    s.available.push(available);
    s.unavailable.push(unavailable);
    s.budget.push(budget);
  }

  /** Takes the reasons of a plan's creates and deletes. */
  plan(plan: Plan): void {
    for (const c of plan.creates) this.createWhy.set(c.node, c.reason);
    for (const d of plan.deletes) this.deleteWhy.set(d.name, d.reason);
  }
}

/** The recording of a whole run: nodes in order of first sight, and one DsRecording per DaemonSet. */
export class GridRecorder {
  readonly nodeNames: string[] = [];
  readonly zones: string[] = [];
  readonly strings = new StringTable();
  readonly daemonSets = new Map<string, DsRecording>();
  private readonly nodeIndex = new Map<string, number>();

  /** The index of a node, added (with its zone) on first sight. */
  indexOf(name: string, node: Node): number {
    let i = this.nodeIndex.get(name);
    if (i === undefined) {
      i = this.nodeNames.length;
      this.nodeNames.push(name);
      this.zones.push(node.metadata?.labels?.[ZONE_LABEL] ?? '');
      this.nodeIndex.set(name, i);
    }
    return i;
  }

  /** The recording of a DaemonSet (created on first use). */
  of(key: string): DsRecording {
    let r = this.daemonSets.get(key);
    if (r === undefined) {
      r = new DsRecording(key, this.strings);
      this.daemonSets.set(key, r);
    }
    return r;
  }

  /** Called after each controller sync with its plan (undefined when the DaemonSet is gone). */
  onPlan(key: string, plan: Plan | undefined): void {
    if (plan !== undefined) this.daemonSets.get(key)?.plan(plan);
  }
}

/** "RollingUpdate, maxUnavailable 25%, maxSurge 0" for the title of a DaemonSet's grid. */
export function strategyText(ds: DaemonSet): string {
  const s = ds.spec?.updateStrategy;
  if (s?.type === 'OnDelete') return 'OnDelete';
  const ru = s?.rollingUpdate;
  return `RollingUpdate, maxUnavailable ${String(ru?.maxUnavailable ?? 1)}, maxSurge ${String(ru?.maxSurge ?? 0)}`;
}

/** maxUnavailable resolved against desired; -1 for OnDelete or a malformed budget. */
export function budgetOf(ds: DaemonSet, desired: number): number {
  if (ds.spec?.updateStrategy?.type === 'OnDelete') return -1;
  try {
    return resolveBudget(ds, desired).maxUnavailable;
  } catch {
    return -1;
  }
}
