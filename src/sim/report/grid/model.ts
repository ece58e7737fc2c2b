/**
 * The node grid's data model, shared by the sim report, `plan --rollout --report` and the
 * dashboard: for each DaemonSet, every node's state over time as run-length segments (a segment
 * starts only when the node's state, pod or reason changes), the counts over time, and the
 * events. States and marks are data (with labels and colours), so the rollout features' states
 * (a pod pinned to the stable revision) and marks (canary, wave) slot in without a new format.
 */

/** One node state: its id, legend label and colour. The index in NODE_STATES is its code. */
export interface StateDef {
  readonly id: string;
  readonly label: string;
  readonly color: string;
}

/**
 * The node states, in legend order (the code of a state is its index; append, never reorder).
 * `pinned` is for the rollout features: a pod of the stable revision on a node held back.
 */
export const NODE_STATES: readonly StateDef[] = [
  { id: 'absent', label: 'no node', color: '#f3f4f6' },
  { id: 'ineligible', label: 'not eligible', color: '#d5dbe3' },
  { id: 'none', label: 'no pod', color: '#52606d' },
  { id: 'pending', label: 'pending', color: '#f7c948' },
  { id: 'old', label: 'old revision', color: '#9f86c0' },
  { id: 'newNotReady', label: 'new revision, not ready', color: '#62b0e8' },
  { id: 'available', label: 'available', color: '#3ebd93' },
  { id: 'terminating', label: 'terminating', color: '#ef4e4e' },
  { id: 'failing', label: 'failing (crash, pull error)', color: '#8a041a' },
  { id: 'pinned', label: 'held on the stable revision', color: '#d6409f' },
];

/** State codes by id. */
export const S = {
  absent: 0,
  ineligible: 1,
  none: 2,
  pending: 3,
  old: 4,
  newNotReady: 5,
  available: 6,
  terminating: 7,
  failing: 8,
  pinned: 9,
} as const;

/** A per-node mark (a bit in the node's mark runs): canary now, waves' and holds' later. */
export interface MarkDef {
  readonly bit: number;
  readonly id: string;
  readonly label: string;
}

/** The marks a node can carry. */
export const NODE_MARKS: readonly MarkDef[] = [
  { bit: 1, id: 'canary', label: 'canary node' },
  { bit: 2, id: 'misscheduled', label: 'runs a pod it should not' },
];

/** Mark bits by id. */
export const M = { canary: 1, misscheduled: 2 } as const;

/** An event shown as a marker: on every DaemonSet's plot when `ds` is -1, else on that one's. */
export interface EventDoc {
  readonly t: number;
  readonly kind: string;
  readonly text: string;
  readonly ds: number;
}

/** A check of the scenario. */
export interface CheckDoc {
  readonly name: string;
  readonly passed: boolean;
  readonly message: string;
  readonly t: number;
}

/** Counts over time, one entry per change: t[i] is when the values at i began. */
export interface SeriesDoc {
  readonly t: number[];
  readonly desired: number[];
  readonly updated: number[];
  readonly available: number[];
  readonly unavailable: number[];
  /** maxUnavailable resolved against desired (-1 when the strategy has none, e.g. OnDelete). */
  readonly budget: number[];
}

/** One DaemonSet's grid. */
export interface DsGridDoc {
  readonly key: string;
  /** "RollingUpdate, maxUnavailable 25%, maxSurge 0", ... */
  readonly strategy: string;
  /** Lines of facts shown under the title (rollouts, convergence). */
  readonly facts: readonly string[];
  /** Pod names are podPrefix + pods[i]; podRev[i] is the pod's revision number (0: unknown). */
  readonly podPrefix: string;
  readonly pods: string[];
  readonly podRev: number[];
  readonly revisions: readonly {
    readonly revision: number;
    readonly hash: string;
    readonly change: string;
    readonly t: number;
  }[];
  /**
   * Per node (by index in GridDoc.nodes.names): [dt, state, pod, why, ...] where dt is the time
   * since the node's previous segment (the first from 0), pod an index into pods (-1: none) and
   * why an index into GridDoc.strings (-1: none). An empty array: the node never existed here.
   */
  readonly runs: number[][];
  /** Per node: [dt, bits, ...], the node's marks over time (empty: never marked). */
  readonly marks: number[][];
  readonly series: SeriesDoc;
}

/** The whole document a report page or the dashboard renders. */
export interface GridDoc {
  readonly version: 1;
  readonly title: string;
  readonly subtitle: string;
  /**
   * time: t is virtual ms from the start; step: step k fills t from k × 1000 to (k + 1) × 1000
   * (plan preview; step 0 is the state before the first step), and labels[k] says when step k
   * happens ("+4s").
   */
  readonly axis: {
    readonly kind: 'time' | 'step';
    readonly endT: number;
    readonly labels?: readonly string[];
  };
  readonly states: readonly StateDef[];
  readonly marks: readonly MarkDef[];
  readonly nodes: {
    readonly names: string[];
    /** Grouping attributes (zone now, wave later): values, and each node's value index (-1: none). */
    readonly attrs: Record<string, { readonly values: string[]; readonly of: number[] }>;
  };
  /** Reasons, shared by every DaemonSet's runs. */
  readonly strings: string[];
  readonly daemonSets: DsGridDoc[];
  readonly events: EventDoc[];
  readonly checks: CheckDoc[];
}

/** Interns strings into a table (index per distinct string). */
export class StringTable {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  /** The index of s, adding it on first sight; -1 for the empty string. */
  of(s: string): number {
    if (s === '') return -1;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Turns absolute segment times ([t, a, b, c, t, ...] with `width` numbers a segment) into deltas. */
export function deltaEncode(run: readonly number[], width: number): number[] {
  const out = run.slice();
  let prev = 0;
  for (let i = 0; i < out.length; i += width) {
    const t = out[i]!;
    out[i] = t - prev;
    prev = t;
  }
  return out;
}
