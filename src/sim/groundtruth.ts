/**
 * The observer's ground truth for one DaemonSet (observer.ts), node by node: what one node adds
 * to the counts (nodeTruth), and a tally that keeps each node's share between samples and
 * recomputes only the nodes the world says were touched since the last one (TruthTally). A
 * waved rollout over 5,000 nodes is sampled at every virtual instant with a change; re-reading
 * every node and pod there cost more than the controller's planning (benchmark B6).
 *
 * Both the full pass and the tally use nodeTruth, so the rule is written once; with
 * controllerDefaults.verifySync (npm test sets it) the observer checks the tally against a full pass.
 */
import { isPodAvailable, isPodReady, isPodTerminal } from '../api/pod.js';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { makeEligibilityChecker, type Eligibility } from '../engine/eligibility.js';
import { rolloutHold } from './report/grid/rolloutstate.js';
import { podNode, type World } from './world.js';

/** Ground truth for one DaemonSet at one instant. */
export interface DsView {
  readonly desired: number;
  readonly current: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  /** Eligible nodes with no available pod. */
  readonly unavailable: number;
  /** Nodes that must not run the pod and still do, or pods on nodes that are gone. */
  readonly strays: number;
  readonly converged: boolean;
  /** Why it is not converged, in a few words. */
  readonly why: string;
}

/** One node's share of a DaemonSet's counts (each 0 or 1, but `pods`). */
export interface NodeTruth {
  readonly desired: number;
  readonly current: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly unavailable: number;
  /** One available pod of the newest revision and nothing else. */
  readonly perfect: number;
  /** A pod where none should run (ineligible node, or a node that is gone). */
  readonly stray: number;
  /** The DaemonSet's pods on the node (for the most pods on one node). */
  readonly pods: number;
}

/** The counts summed over nodes. */
export type TruthTotals = { -readonly [K in keyof NodeTruth]: number };

const NONE: NodeTruth = Object.freeze({
  desired: 0,
  current: 0,
  updated: 0,
  ready: 0,
  available: 0,
  unavailable: 0,
  perfect: 0,
  stray: 0,
  pods: 0,
});

/** Zeroed totals. */
export function emptyTotals(): TruthTotals {
  return { ...NONE };
}

/** Adds (sign 1) or removes (sign -1) one node's share. */
export function addTruth(into: TruthTotals, t: NodeTruth, sign: 1 | -1): void {
  into.desired += sign * t.desired;
  into.current += sign * t.current;
  into.updated += sign * t.updated;
  into.ready += sign * t.ready;
  into.available += sign * t.available;
  into.unavailable += sign * t.unavailable;
  into.perfect += sign * t.perfect;
  into.stray += sign * t.stray;
}

/**
 * What one node adds: `e` is its eligibility (undefined: the node is gone), `pods` the
 * DaemonSet's pods on it (bound there, or aimed at it while unbound), terminal deleted ones left
 * out. An eligible node counts once whatever its pods; one that should not run the pod is a
 * stray when it still has one it should not keep.
 */
export function nodeTruth(
  e: Eligibility | undefined,
  pods: readonly Pod[] | undefined,
  newest: string | undefined,
  minReady: number,
  now: number,
): NodeTruth {
  const n = pods?.length ?? 0;
  if (e === undefined) return n > 0 ? { ...NONE, stray: 1, pods: n } : NONE;
  if (!e.shouldRun) {
    return { ...NONE, stray: pods !== undefined && !e.shouldContinueRunning ? 1 : 0, pods: n };
  }
  let live = 0;
  let hasNew = false;
  let hasReady = false;
  let hasAvail = false;
  let perfectPod = false;
  for (const p of pods ?? []) {
    if (p.metadata?.deletionTimestamp) continue;
    live++;
    const isNew = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === newest;
    const avail = isPodAvailable(p, minReady, now);
    hasNew ||= isNew;
    hasReady ||= avail || isPodReady(p);
    hasAvail ||= avail;
    perfectPod = isNew && avail;
  }
  return {
    desired: 1,
    current: live > 0 ? 1 : 0,
    updated: hasNew ? 1 : 0,
    ready: hasReady ? 1 : 0,
    available: hasAvail ? 1 : 0,
    unavailable: hasAvail ? 0 : 1,
    perfect: n === 1 && live === 1 && perfectPod ? 1 : 0,
    stray: 0,
    pods: n,
  };
}

/** False for a deleted pod that has finished: it no longer counts anywhere. */
export function podCounts(p: Pod): boolean {
  return !(p.metadata?.deletionTimestamp && isPodTerminal(p));
}

/** What viewOf reads of the observer's track of a DaemonSet. */
export interface TruthTrack {
  readonly newestHash: string | undefined;
  readonly newestRevision: number;
}

/** The view from the summed counts and the DaemonSet's status (converged, or why not). */
export function viewOf(ds: DaemonSet, t: TruthTrack, c: TruthTotals): DsView {
  const { desired, perfect } = c;
  const strays = c.stray;
  const st = ds.status;
  const statusCaughtUp =
    (st?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) &&
    (st?.desiredNumberScheduled ?? -1) === desired &&
    (st?.updatedNumberScheduled ?? 0) === desired &&
    (st?.numberAvailable ?? 0) === desired;
  const converged =
    t.newestHash !== undefined && perfect === desired && strays === 0 && statusCaughtUp;
  const why = converged
    ? ''
    : t.newestHash === undefined
      ? 'no revision yet'
      : perfect < desired
        ? held(ds, desired - perfect, desired, t.newestRevision)
        : strays > 0
          ? `${strays} nodes still run a pod they should not`
          : 'status not yet written';
  return {
    desired,
    current: c.current,
    updated: c.updated,
    ready: c.ready,
    available: c.available,
    unavailable: c.unavailable,
    strays,
    converged,
    why,
  };
}

/** Why nodes are not on the newest revision: not yet, or held there on purpose by the rollout. */
function held(ds: DaemonSet, off: number, desired: number, revision: number): string {
  const hold = rolloutHold(ds);
  return hold === undefined
    ? `${off} of ${desired} nodes not yet on an available pod of revision ${revision}`
    : `held (${hold}): ${off} of ${desired} nodes not on revision ${revision}`;
}

/**
 * A node's eligibility for ds, cached per node object in `track.eligibility` while ds's
 * generation holds (a new generation starts a new cache).
 */
export function eligibilityFor(
  ds: DaemonSet,
  track: { eligibility: { gen: string; cache: WeakMap<Node, Eligibility> } },
): (node: Node) => Eligibility {
  const gen = `${ds.metadata?.uid ?? ''}/${ds.metadata?.generation ?? 0}`;
  if (track.eligibility.gen !== gen) track.eligibility = { gen, cache: new WeakMap() };
  const cache = track.eligibility.cache;
  const check = makeEligibilityChecker(ds);
  return (node) => {
    let e = cache.get(node);
    if (e === undefined) cache.set(node, (e = check(node)));
    return e;
  };
}

/** The pods controlled by `uid` that count on each node (observer.ts's full pass). */
export function ownedPodsByNode(world: World, uid: string): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const k of world.podsByOwner.get(uid) ?? []) {
    const p = world.pods.get(k);
    if (p === undefined || !podCounts(p)) continue;
    const node = podNode(p);
    if (node === undefined) continue;
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [p]);
    else list.push(p);
  }
  return byNode;
}

/** The pods controlled by `uid` that count on one node, from the world's node indexes. */
function ownedPodsOn(world: World, uid: string, node: string): Pod[] | undefined {
  // The owner index answers "is it this DaemonSet's" without reading owner references.
  const owned = world.podsByOwner.get(uid);
  if (owned === undefined) return undefined;
  let out: Pod[] | undefined;
  const add = (keys: ReadonlySet<string> | undefined): void => {
    for (const k of keys ?? []) {
      if (!owned.has(k)) continue;
      const p = world.pods.get(k);
      if (p === undefined || !podCounts(p)) continue;
      if (podNode(p) !== node) continue;
      (out ??= []).push(p);
    }
  };
  add(world.podsByNode.get(node));
  add(world.unboundByTarget.get(node));
  return out;
}

/**
 * One DaemonSet's counts kept node by node between samples. Valid for one `key` (the
 * DaemonSet's generation and newest revision); the observer starts a new tally when it changes,
 * and does not use one while time alone can change a pod's availability (minReadySeconds).
 */
export class TruthTally {
  readonly totals = emptyTotals();
  private readonly shares = new Map<string, NodeTruth>();

  constructor(
    readonly key: string,
    private readonly world: World,
    private readonly uid: string,
    private readonly eligibility: (node: Node) => Eligibility,
    private readonly newest: string | undefined,
  ) {}

  /** Counts every node from scratch; calls `seen` with each existing node's pod count. */
  build(seen: (node: string, pods: number) => void): void {
    const byNode = ownedPodsByNode(this.world, this.uid);
    for (const [name, node] of this.world.nodes) {
      this.set(name, nodeTruth(this.eligibility(node), byNode.get(name), this.newest, 0, 0));
      seen(name, byNode.get(name)?.length ?? 0);
      byNode.delete(name);
    }
    for (const [name, pods] of byNode)
      this.set(name, nodeTruth(undefined, pods, this.newest, 0, 0));
  }

  /** Counts the named nodes again (touched since the last sample); the rest keep their share. */
  update(names: Iterable<string>, seen: (node: string, pods: number) => void): void {
    for (const name of names) {
      const node = this.world.nodes.get(name);
      const pods = ownedPodsOn(this.world, this.uid, name);
      const t = nodeTruth(
        node === undefined ? undefined : this.eligibility(node),
        pods,
        this.newest,
        0,
        0,
      );
      this.set(name, t);
      if (node !== undefined) seen(name, t.pods);
    }
  }

  private set(name: string, t: NodeTruth): void {
    const old = this.shares.get(name);
    if (old !== undefined) addTruth(this.totals, old, -1);
    if (t === NONE) this.shares.delete(name);
    else {
      this.shares.set(name, t);
      addTruth(this.totals, t, 1);
    }
  }
}
