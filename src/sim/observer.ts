/**
 * Watches the simulated cluster the way a careful operator would: for every DaemonSet, from the
 * pods themselves (not from the controller's own status), whether every eligible node runs
 * exactly one available pod of the newest revision, how many nodes lack an available pod during
 * each rollout, how many pods share a node, and when each rollout started and finished.
 */
import type { ControllerRevision, DaemonSet, Node } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL, objectKey } from '../api/types.js';
import type { Eligibility } from '../engine/eligibility.js';
import { isPodReady } from '../api/pod.js';
import { controllerDefaults } from '../controller/controlleroptions.js';
import { formatDuration } from './duration.js';
import {
  addTruth,
  emptyTotals,
  nodeTruth,
  ownedPodsByNode,
  TruthTally,
  viewOf,
  eligibilityFor,
  type DsView,
} from './groundtruth.js';
import {
  budgetOf,
  strategyText,
  type DsRecording,
  type GridRecorder,
} from './report/grid/recorder.js';
import { podStatusReason } from './podstatus.js';
import { pinnedHash, rolloutHold } from './report/grid/rolloutstate.js';
import { journalRollout, type RolloutJournalState } from './rolloutjournal.js';
import type { Journal } from './journal.js';
import { controllerUid, type World } from './world.js';

/** One rollout: a change of the newest revision, until every eligible node runs it. */
export interface Rollout {
  readonly revision: number;
  readonly hash: string;
  /** What changed, e.g. "image fluent-bit:3.0 → fluent-bit:3.1"; "created" for the first. */
  readonly change: string;
  readonly initial: boolean;
  readonly startedAtMs: number;
  finishedAtMs: number | undefined;
  /** The most eligible nodes without an available pod at once, during the rollout. */
  maxUnavailable: number;
  /** When maxUnavailable was first reached. */
  maxUnavailableAtMs: number | undefined;
  /** A newer template replaced this one before it finished. */
  superseded: boolean;
  /** Progress bookkeeping for stall reports. */
  progress: { signature: string; sinceMs: number; reported: boolean };
}

export type { DsView } from './groundtruth.js';

/** Everything tracked about one DaemonSet. */
export interface DsTrack {
  readonly key: string;
  uid: string;
  deleted: boolean;
  newestHash: string | undefined;
  newestRevision: number;
  images: string;
  readonly rollouts: Rollout[];
  view: DsView | undefined;
  convergedAtMs: number | undefined;
  maxPodsPerNode: number;
  maxPodsPerNodeAt: { atMs: number; node: string } | undefined;
  eligibility: { gen: string; cache: WeakMap<Node, Eligibility> };
  /** everynode's rollout status as last journaled (rolloutjournal.ts). */
  rolloutJournal: RolloutJournalState;
  /** The counts kept node by node between samples (groundtruth.ts); none while a full pass runs. */
  tally?: TruthTally | undefined;
}

/** No change in updated or available for this long counts as a stalled rollout. */
const STALL_MS = 120_000;

const imagesOf = (ds: DaemonSet): string =>
  (ds.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '').join(', ');

/** Tracks every DaemonSet; sample() is called by the runner at the end of each virtual instant. */
export class Observer {
  readonly tracks = new Map<string, DsTrack>();
  /** Set before the run to record the node grid (`sim --report`); off otherwise (it costs). */
  recorder: GridRecorder | undefined;
  private lastVersion = -1;

  constructor(
    private readonly world: World,
    private readonly journal: Journal,
    private readonly offset: () => number,
    private readonly now: () => number,
    /** Makes sure the runner samples again after this many ms, even if nothing else happens. */
    private readonly wake: (ms: number) => void = () => undefined,
  ) {}

  /** True when every DaemonSet is converged. */
  allConverged(): boolean {
    for (const t of this.tracks.values())
      if (!t.deleted && t.view?.converged !== true) return false;
    return true;
  }

  /** Re-evaluates every DaemonSet if anything changed (or time matters for minReadySeconds). */
  sample(): void {
    const timeMatters = [...this.world.daemonSets.values()].some(
      (d) => (d.spec?.minReadySeconds ?? 0) > 0,
    );
    if (this.world.version === this.lastVersion && !timeMatters) {
      for (const t of this.tracks.values()) {
        const ro = t.rollouts[t.rollouts.length - 1];
        const ds = this.world.daemonSets.get(t.key);
        if (
          ro !== undefined &&
          ro.finishedAtMs === undefined &&
          !ro.initial &&
          t.view !== undefined &&
          (ds === undefined || rolloutHold(ds) === undefined)
        ) {
          this.watchStall(t, ro, t.view);
        }
      }
      return;
    }
    this.lastVersion = this.world.version;
    const touched = this.world.takeTouched();
    for (const [key, t] of this.tracks) {
      if (!this.world.daemonSets.has(key) && !t.deleted) {
        t.deleted = true;
        this.journal.add('daemonset', `${key} deleted`, key);
      }
    }
    for (const ds of this.world.daemonSets.values()) this.sampleOne(ds, touched);
  }

  private track(ds: DaemonSet): DsTrack {
    const key = objectKey(ds);
    let t = this.tracks.get(key);
    if (t === undefined || t.uid !== ds.metadata?.uid) {
      t = {
        key,
        uid: ds.metadata?.uid ?? '',
        deleted: false,
        newestHash: undefined,
        newestRevision: 0,
        images: imagesOf(ds),
        rollouts: [],
        view: undefined,
        convergedAtMs: undefined,
        maxPodsPerNode: 0,
        maxPodsPerNodeAt: undefined,
        eligibility: { gen: '', cache: new WeakMap() },
        rolloutJournal: {},
      };
      this.tracks.set(key, t);
    }
    return t;
  }

  private newestRevision(ds: DaemonSet): { hash: string; revision: number } | undefined {
    let best: { hash: string; revision: number } | undefined;
    for (const rev of this.world.revisions.values()) {
      if (
        rev.metadata?.namespace !== ds.metadata?.namespace ||
        controllerUid(rev) !== ds.metadata?.uid
      )
        continue;
      const hash =
        rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? rev.metadata?.name ?? '';
      if (best === undefined || rev.revision > best.revision)
        best = { hash, revision: rev.revision };
    }
    return best;
  }

  private sampleOne(ds: DaemonSet, touched: ReadonlySet<string>): void {
    const t = this.track(ds);
    const newest = this.newestRevision(ds);
    if (newest !== undefined && newest.hash !== t.newestHash) this.startRollout(t, ds, newest);
    // everynode's rollout phase and conditions: each change is a line of the story.
    journalRollout(this.journal, t.key, ds, t.rolloutJournal);
    const rec = this.recorder?.of(t.key);
    const view = this.viewNow(ds, t, rec, touched);
    if (rec !== undefined) {
      rec.strategy = strategyText(ds);
      rec.counts(
        this.offset(),
        view.desired,
        view.updated,
        view.available,
        view.unavailable,
        budgetOf(ds, view.desired),
      );
    }
    const rollout = t.rollouts[t.rollouts.length - 1];
    if (rollout !== undefined && rollout.finishedAtMs === undefined && !rollout.initial) {
      if (view.unavailable > rollout.maxUnavailable) {
        rollout.maxUnavailable = view.unavailable;
        rollout.maxUnavailableAtMs = this.offset();
      }
    }
    if (rollout !== undefined && rollout.finishedAtMs === undefined && !rollout.initial) {
      // A rollout the controller holds (paused, at its partition, ...) is not stalled; its
      // stall clock starts again when the hold is lifted.
      if (rolloutHold(ds) === undefined) this.watchStall(t, rollout, view);
      else rollout.progress = { signature: '', sinceMs: this.offset(), reported: false };
    }
    const was = t.view?.converged ?? false;
    t.view = view;
    if (view.converged && !was) {
      t.convergedAtMs = this.offset();
      if (rollout !== undefined && rollout.finishedAtMs === undefined) {
        rollout.finishedAtMs = this.offset();
        const took = formatDuration(rollout.finishedAtMs - rollout.startedAtMs);
        const msg = rollout.initial
          ? view.desired === 0
            ? `${t.key}: no node is eligible yet`
            : `${t.key}: ${view.desired === 1 ? 'its pod' : `all ${view.desired} pods`} available after ${took}`
          : `${t.key}: rollout to revision ${rollout.revision} finished in ${took} (at most ${rollout.maxUnavailable} unavailable)`;
        this.journal.add('rollout', msg, t.key);
      } else {
        this.journal.add(
          'daemonset',
          `${t.key}: converged, ${view.available}/${view.desired} available`,
          t.key,
        );
      }
    }
  }

  /** Reports a rollout that has made no progress for STALL_MS, with what the new pods say. */
  private watchStall(t: DsTrack, rollout: Rollout, view: DsView): void {
    const sig = `${view.updated}/${view.available}/${view.desired}`;
    if (sig !== rollout.progress.signature) {
      rollout.progress = { signature: sig, sinceMs: this.offset(), reported: false };
      this.wake(STALL_MS);
      return;
    }
    if (rollout.progress.reported || this.offset() - rollout.progress.sinceMs < STALL_MS) return;
    rollout.progress.reported = true;
    const reasons = new Map<string, number>();
    for (const p of this.world.podsOf(t.uid)) {
      if (p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== rollout.hash || isPodReady(p))
        continue;
      const r = podStatusReason(p);
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    const why = [...reasons].map(([r, n]) => `${n} ${r}`).join(', ');
    this.journal.add(
      'warning',
      `${t.key}: rollout to revision ${rollout.revision} stalled for ${formatDuration(this.offset() - rollout.progress.sinceMs)} at ${view.updated}/${view.desired} updated${why ? `; new pods not ready: ${why}` : ''}`,
      t.key,
    );
  }

  private startRollout(
    t: DsTrack,
    ds: DaemonSet,
    newest: { hash: string; revision: number },
  ): void {
    const initial = t.newestHash === undefined;
    const images = imagesOf(ds);
    const change = initial
      ? 'created'
      : images !== t.images
        ? `image ${t.images} → ${images}`
        : 'template changed';
    const prev = t.rollouts[t.rollouts.length - 1];
    if (prev !== undefined && prev.finishedAtMs === undefined) {
      this.journal.add(
        'rollout',
        `${t.key}: rollout to revision ${prev.revision} superseded after ${formatDuration(this.offset() - prev.startedAtMs)}`,
        t.key,
      );
      prev.finishedAtMs = this.offset();
      prev.superseded = true;
    }
    t.rollouts.push({
      revision: newest.revision,
      hash: newest.hash,
      change,
      initial,
      startedAtMs: this.offset(),
      finishedAtMs: undefined,
      maxUnavailable: 0,
      maxUnavailableAtMs: undefined,
      superseded: false,
      progress: { signature: '', sinceMs: this.offset(), reported: false },
    });
    if (!initial) {
      const strategy = ds.spec?.updateStrategy;
      const ru = strategy?.rollingUpdate;
      const how =
        strategy?.type === 'OnDelete'
          ? 'OnDelete'
          : `maxUnavailable ${String(ru?.maxUnavailable ?? 1)}, maxSurge ${String(ru?.maxSurge ?? 0)}`;
      this.journal.add(
        'rollout',
        `${t.key}: rollout to revision ${newest.revision} started: ${change} (${how})`,
        t.key,
      );
    }
    t.newestHash = newest.hash;
    t.newestRevision = newest.revision;
    t.images = images;
  }

  /** What the grid needs besides the nodes: the time, revision numbers by hash, canary nodes. */
  private gridContext(ds: DaemonSet): {
    at: number;
    revisions: Map<string, number>;
    canaries: ReadonlySet<string>;
    /** The stable revision's hash while the rollout holds nodes on it (drawn as pinned). */
    pinned: string | undefined;
  } {
    const revisions = new Map<string, number>();
    const owned: ControllerRevision[] = [];
    for (const rev of this.world.revisions.values()) {
      if (controllerUid(rev) !== ds.metadata?.uid) continue;
      owned.push(rev);
      const hash =
        rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? rev.metadata?.name ?? '';
      revisions.set(hash, rev.revision);
    }
    // status.rollout.canaryNodes comes with the rollout features (rollout-features.md §4).
    const status = ds.status as { rollout?: { canaryNodes?: readonly string[] } } | undefined;
    return {
      at: this.offset(),
      revisions,
      canaries: new Set(status?.rollout?.canaryNodes ?? []),
      pinned: pinnedHash(ds, owned),
    };
  }

  /** Notes the most pods of ds on one node. */
  private seen(t: DsTrack, node: string, pods: number): void {
    if (pods > t.maxPodsPerNode) {
      t.maxPodsPerNode = pods;
      t.maxPodsPerNodeAt = { atMs: this.offset(), node };
    }
  }

  /**
   * The ground truth now, from the kept tally where it can be (groundtruth.ts): the nodes
   * touched since the last sample are counted again. A full pass when the grid is recorded
   * (every node is drawn) or when time alone changes availability (minReadySeconds).
   */
  private viewNow(
    ds: DaemonSet,
    t: DsTrack,
    rec: DsRecording | undefined,
    touched: ReadonlySet<string>,
  ): DsView {
    if (rec !== undefined || (ds.spec?.minReadySeconds ?? 0) > 0) {
      t.tally = undefined;
      return this.view(ds, t, rec);
    }
    const eligibility = eligibilityFor(ds, t);
    const key = `${t.eligibility.gen}|${t.newestHash ?? ''}`;
    const seen = (node: string, pods: number): void => {
      this.seen(t, node, pods);
    };
    // When most nodes were touched (pods starting everywhere), counting them all afresh is cheaper
    // than one by one.
    if (t.tally?.key !== key || touched.size * 4 > this.world.nodes.size) {
      t.tally = new TruthTally(key, this.world, t.uid, eligibility, t.newestHash);
      t.tally.build(seen);
    } else t.tally.update(touched, seen);
    const v = viewOf(ds, t, t.tally.totals);
    // The suite's check of the two planning paths (verifySync) covers the kept tally too.
    if (controllerDefaults.verifySync) {
      const full = this.view(ds, t);
      if (JSON.stringify(full) !== JSON.stringify(v))
        throw new Error(
          `observer: the kept tally of ${t.key} disagrees with a full pass: ${JSON.stringify(v)} vs ${JSON.stringify(full)}`,
        );
    }
    return v;
  }

  /** Computes the ground truth for one DaemonSet now; records every node's state into rec. */
  view(ds: DaemonSet, t: DsTrack, rec?: DsRecording): DsView {
    const eligibility = eligibilityFor(ds, t);
    const byNode = ownedPodsByNode(this.world, ds.metadata?.uid ?? '');
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const now = this.now();
    const newest = t.newestHash;
    const totals = emptyTotals();
    const grid = rec === undefined ? undefined : this.gridContext(ds);
    for (const [name, node] of this.world.nodes) {
      const e = eligibility(node);
      const pods = byNode.get(name);
      if (grid !== undefined)
        rec!.node(
          grid.at,
          this.recorder!.indexOf(name, node),
          name,
          e,
          pods,
          newest,
          grid.revisions,
          minReady,
          now,
          grid.canaries.has(name),
          grid.pinned,
        );
      if (pods !== undefined) {
        byNode.delete(name);
        this.seen(t, name, pods.length);
      }
      addTruth(totals, nodeTruth(e, pods, newest, minReady, now), 1);
    }
    for (const pods of byNode.values())
      addTruth(totals, nodeTruth(undefined, pods, newest, minReady, now), 1);
    rec?.endPass(this.offset(), this.recorder!.nodeNames.length);
    return viewOf(ds, t, totals);
  }
}
