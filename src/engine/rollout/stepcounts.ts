/**
 * Step counts kept between syncs (the incremental planner, controller/fastplan.ts): each node's
 * share of its step's counts (steps.ts stepShare, the rule stepProgress applies) and their sums
 * per step, so a sync reads the state of the nodes that changed since the last one, not of the
 * open step's every node (B6). The caller says which nodes changed (touch) and when everything
 * may have (reset); the counts are rebuilt whenever the steps or what a node's state is read
 * against (the update revision, the impaired-node skip) changed.
 */
import type { StepBake, StepCounts, StepNodeState } from './steps.js';
import { stepBake, stepShare } from './steps.js';
import type { RolloutStep } from './waves.js';

/** What the counts were built for; a different one rebuilds them. */
export interface StepCountsKey {
  /** The steps (the layout's array: identity says "unchanged"). */
  readonly steps: readonly RolloutStep[];
  readonly stepOf: ReadonlyMap<string, number>;
  /** The update revision's hash, minReadySeconds, and whether impaired nodes are skipped. */
  readonly hash: string;
  readonly minReadySeconds: number;
  readonly skipsImpaired: boolean;
}

/** Per-step counts kept current by the nodes touched since the last read (this module's header). */
export class KeptStepCounts {
  private key: StepCountsKey | undefined;
  private readonly shares = new Map<string, number>();
  private sums: { updated: number; waiting: number }[] = [];
  /** Each step's bake (stepBake), read when asked and kept until one of its nodes changes. */
  private bakes: (StepBake | undefined)[] = [];
  private readonly touched = new Set<string>();

  /** A node whose node object or pods changed (or whose pod's availability changed with time). */
  touch(node: string): void {
    if (this.key !== undefined) this.touched.add(node);
  }

  /** Everything may have changed (the caller's state was rebuilt). */
  reset(): void {
    this.key = undefined;
    this.touched.clear();
  }

  /**
   * The counts of each step for `key`, current for `state`; undefined when the steps name a node
   * twice (then stepProgress reads the states itself, as the full reconcile does). `share` is
   * stepShare(state(node)), which a caller may answer without the parts of the state only a
   * bake reads (its healthy-since time).
   */
  countsFor(
    key: StepCountsKey,
    state: (node: string) => StepNodeState,
    share: (node: string) => number = (node) => stepShare(state(node)),
  ): { counts: (index: number) => StepCounts; bake: (index: number) => StepBake } | undefined {
    const k = this.key;
    if (
      k === undefined ||
      k.steps !== key.steps ||
      k.hash !== key.hash ||
      k.minReadySeconds !== key.minReadySeconds ||
      k.skipsImpaired !== key.skipsImpaired
    ) {
      let named = 0;
      for (const s of key.steps) named += s.nodes.length;
      if (named !== key.stepOf.size) return undefined;
      this.key = key;
      this.touched.clear();
      this.shares.clear();
      this.sums = key.steps.map(() => ({ updated: 0, waiting: 0 }));
      this.bakes = key.steps.map(() => undefined);
      key.steps.forEach((s, i) => {
        for (const n of s.nodes) this.set(n, i, share(n));
      });
    } else {
      for (const n of this.touched) {
        const i = key.stepOf.get(n);
        if (i === undefined) continue;
        this.set(n, i, share(n));
        this.bakes[i] = undefined;
      }
      this.touched.clear();
    }
    const steps = key.steps;
    return {
      counts: (i) => this.sums[i] ?? { updated: 0, waiting: 0 },
      bake: (i) => (this.bakes[i] ??= stepBake(steps[i]!, state)),
    };
  }

  /** Replaces a node's share in its step's sums. */
  private set(node: string, step: number, share: number): void {
    const sum = this.sums[step]!;
    const old = this.shares.get(node) ?? 0;
    this.shares.set(node, share);
    sum.updated += (share & 1) - (old & 1);
    sum.waiting += (share >> 1) - (old >> 1);
  }
}
