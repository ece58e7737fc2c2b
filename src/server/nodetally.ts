/**
 * Nodes that run no pod of a DaemonSet because they are not eligible, counted by the check that
 * excludes them (the template's nodeName, its nodeSelector, its required node affinity, an
 * untolerated taint), for `everynode_daemonset_nodes_without_pod{reason}`.
 *
 * A scrape must not cost nodes × DaemonSets (10,000 × 100 is a million eligibility checks), and
 * the tally must not keep a map per DaemonSet of the nodes it excludes (a zone-local DaemonSet
 * excludes 99 % of them). So each DaemonSet keeps only its counts and its misscheduled nodes
 * (ineligible, still running a pod: few, until the controller removes the pod), and is brought
 * up to date from what changed since the previous scrape:
 * - nodes: the node store's change log, narrowed to nodes that joined, left, or changed labels
 *   or taints (a status heartbeat changes no eligibility); for those the node's old and new
 *   versions are both checked, so the counts move without remembering each node's state;
 * - pods: the pod store's log for the DaemonSet's UID (a pod created on or removed from an
 *   ineligible node).
 * A new template (generation), a new UID, or a log that no longer reaches back rebuilds that
 * DaemonSet's tally: one check per node. Rebuilds are bounded per scrape (REBUILD_CHECKS node
 * checks, at least one DaemonSet), so the first scrape of a large cluster does not stall the
 * controller's event loop: a DaemonSet not yet counted is left out of the answer (its series
 * appear a scrape or a few later; 10,000 nodes × 100 DaemonSets take four).
 */
import { getControllerOf, getTargetNodeName, isPodTerminal } from '../api/pod.js';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import type { Caches } from '../controller/caches.js';
import { INDEX_CONTROLLER_UID, INDEX_NODE } from '../controller/informer.js';
import { storeKey } from '../controller/store.js';
import {
  makeEligibilityChecker,
  type EligibilityChecker,
  type IneligibleCause,
} from '../engine/eligibility.js';

/** The exclusion reasons, in the order of the eligibility checks (label values of the gauge). */
export const INELIGIBLE_CAUSES: readonly IneligibleCause[] = [
  'nodeName',
  'nodeSelector',
  'nodeAffinity',
  'taint',
];

/** Node checks spent rebuilding tallies in one scrape, at most (about 0.1 s on a busy core). */
export const REBUILD_CHECKS = 250_000;

/** Ineligible nodes without a pod of the DaemonSet, by cause. */
export type CauseCounts = Record<IneligibleCause, number>;

/** A node whose eligibility may have changed: its version at the last scrape and now. */
interface NodeChange {
  readonly name: string;
  readonly before: Node | undefined;
  readonly after: Node | undefined;
}

/** One DaemonSet's tally. */
class Tally {
  readonly counts: CauseCounts = { nodeName: 0, nodeSelector: 0, nodeAffinity: 0, taint: 0 };
  /** Ineligible nodes that still have a pod of the DaemonSet (not counted), with their cause. */
  readonly misscheduled = new Map<string, IneligibleCause>();
  podSeq = 0;

  constructor(
    readonly uid: string,
    readonly generation: number | undefined,
    readonly checker: EligibilityChecker,
  ) {}

  /** The cause that excludes node, or undefined when it is eligible (or absent). */
  cause(node: Node | undefined): IneligibleCause | undefined {
    if (node === undefined) return undefined;
    const e = this.checker(node);
    return e.shouldRun ? undefined : (e.cause ?? 'taint');
  }

  /** Removes a node's contribution (its state as `cause` with or without a pod). */
  drop(name: string, cause: IneligibleCause | undefined): void {
    if (cause === undefined) return;
    if (this.misscheduled.has(name)) this.misscheduled.delete(name);
    else this.counts[cause]--;
  }

  /** Adds a node's contribution. */
  add(name: string, cause: IneligibleCause | undefined, hasPod: boolean): void {
    if (cause === undefined) return;
    if (hasPod) this.misscheduled.set(name, cause);
    else this.counts[cause]++;
  }
}

/** A pod counts while it runs or may run: not a terminal pod that is already being deleted. */
function counts(pod: Pod): boolean {
  return !(pod.metadata?.deletionTimestamp != null && isPodTerminal(pod));
}

function nodeOf(pod: Pod): string | undefined {
  const t = getTargetNodeName(pod);
  return 'node' in t ? t.node : undefined;
}

/** True when the two versions of a node are the same for eligibility (labels, taints). */
function sameForEligibility(a: Node | undefined, b: Node | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (
    sameJSON(a.metadata?.labels, b.metadata?.labels) && sameJSON(a.spec?.taints, b.spec?.taints)
  );
}

function sameJSON(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Keeps one Tally per DaemonSet and answers, per scrape, the counts by cause. */
export class NodeTally {
  private readonly tallies = new Map<string, Tally>();
  /** Each node as last seen, so a changed node can be checked in both versions. */
  private readonly lastNodes = new Map<string, Node>();
  private nodeSeq = -1;

  private budget = 0;

  constructor(
    private readonly caches: () => Caches | undefined,
    private readonly rebuildChecks = REBUILD_CHECKS,
  ) {}

  /**
   * The counts for each DaemonSet in the cache (by "namespace/name"), brought up to date with
   * what changed since the previous call; DaemonSets no longer cached are forgotten, and one
   * whose tally the rebuild budget did not reach this time is absent.
   */
  countsByDaemonSet(): Map<string, CauseCounts> {
    const out = new Map<string, CauseCounts>();
    const c = this.caches();
    if (c === undefined) {
      this.tallies.clear();
      this.lastNodes.clear();
      this.nodeSeq = -1;
      return out;
    }
    const changes = this.nodeChanges(c);
    if (changes === undefined) this.tallies.clear();
    this.budget = this.rebuildChecks;
    let rebuilt = false;
    const seen = new Set<string>();
    for (const ds of c.daemonSets.list()) {
      const key = storeKey(ds);
      seen.add(key);
      const t = this.update(c, key, ds, changes ?? [], !rebuilt);
      if (t === undefined) continue;
      rebuilt ||= t.fresh;
      out.set(key, { ...t.tally.counts });
    }
    for (const key of [...this.tallies.keys()]) if (!seen.has(key)) this.tallies.delete(key);
    return out;
  }

  /** Nodes that may have changed eligibility since the last scrape; undefined: start over. */
  private nodeChanges(c: Caches): NodeChange[] | undefined {
    const keys = this.nodeSeq < 0 ? undefined : c.nodes.changesSince(this.nodeSeq);
    this.nodeSeq = c.nodes.changeSeq();
    if (keys === undefined) {
      this.lastNodes.clear();
      for (const n of c.nodes.list()) this.lastNodes.set(n.metadata?.name ?? '', n);
      return undefined;
    }
    const out: NodeChange[] = [];
    for (const name of new Set(keys)) {
      const before = this.lastNodes.get(name);
      const after = c.nodes.get(name);
      if (after === undefined) this.lastNodes.delete(name);
      else this.lastNodes.set(name, after);
      if (!sameForEligibility(before, after)) out.push({ name, before, after });
    }
    return out;
  }

  /** The DaemonSet's tally brought up to date, or rebuilt when the budget allows (`first`: always). */
  private update(
    c: Caches,
    key: string,
    ds: DaemonSet,
    changes: readonly NodeChange[],
    first: boolean,
  ): { tally: Tally; fresh: boolean } | undefined {
    const uid = ds.metadata?.uid ?? '';
    const generation = ds.metadata?.generation;
    const t = this.tallies.get(key);
    if (t !== undefined && t.uid === uid && t.generation === generation) {
      const podChanges = c.pods.indexChangesSince(uid, t.podSeq);
      if (podChanges !== undefined) {
        t.podSeq = c.pods.indexChangeSeq(uid);
        for (const ch of changes) this.applyNodeChange(c, t, ch);
        this.applyPodChanges(c, t, podChanges);
        return { tally: t, fresh: false };
      }
    }
    // Out of date and not updatable: rebuilt now, or dropped until a later scrape has budget.
    this.tallies.delete(key);
    if (!first && this.budget < this.lastNodes.size) return undefined;
    this.budget -= this.lastNodes.size;
    const fresh = this.rebuild(c, ds, uid, generation);
    this.tallies.set(key, fresh);
    return { tally: fresh, fresh: true };
  }

  /** Every node checked once; pod presence from one pass over the DaemonSet's own pods. */
  private rebuild(c: Caches, ds: DaemonSet, uid: string, generation: number | undefined): Tally {
    const t = new Tally(uid, generation, makeEligibilityChecker(ds));
    t.podSeq = c.pods.indexChangeSeq(uid);
    const withPod = new Set<string>();
    for (const pod of c.pods.byIndex(INDEX_CONTROLLER_UID, uid)) {
      const n = nodeOf(pod);
      if (n !== undefined && counts(pod)) withPod.add(n);
    }
    for (const node of this.lastNodes.values()) {
      const name = node.metadata?.name ?? '';
      t.add(name, t.cause(node), withPod.has(name));
    }
    return t;
  }

  /** A node that joined, left, or changed labels or taints: both versions are checked. */
  private applyNodeChange(c: Caches, t: Tally, ch: NodeChange): void {
    const before = t.cause(ch.before);
    const after = t.cause(ch.after);
    if (before === after) return;
    t.drop(ch.name, before);
    if (after !== undefined) t.add(ch.name, after, this.hasPod(c, t.uid, ch.name));
  }

  /**
   * Pods of the DaemonSet written since the last look. A pod that still exists names its node;
   * one that is gone does not, so every misscheduled node (few) is looked at again.
   */
  private applyPodChanges(c: Caches, t: Tally, keys: readonly string[]): void {
    let gone = false;
    const names = new Set<string>();
    for (const key of keys) {
      const pod = c.pods.get(key);
      const n = pod === undefined ? undefined : nodeOf(pod);
      if (n === undefined) gone = true;
      else names.add(n);
    }
    if (gone) for (const name of t.misscheduled.keys()) names.add(name);
    for (const name of names) {
      const cause = t.cause(c.nodes.get(name));
      if (cause === undefined) continue;
      t.drop(name, cause);
      t.add(name, cause, this.hasPod(c, t.uid, name));
    }
  }

  private hasPod(c: Caches, uid: string, node: string): boolean {
    return c.pods
      .byIndex(INDEX_NODE, node)
      .some((p) => getControllerOf(p)?.uid === uid && counts(p));
  }
}
