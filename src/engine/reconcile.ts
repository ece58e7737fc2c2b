/**
 * The engine's entry point: one reconcile of one DaemonSet (§4), pure.
 * CONTRACT STUB: the engine-1 helper implements the body; the signature is fixed.
 */
import type { Plan, Snapshot } from './types.js';

/** How the caller observes its own writes. */
export interface ReconcileOptions {
  /**
   * 'harness' (everynode plan, scenario tests): the plan's own creates and deletes are observed at
   * once, so manage, the rolling update and status all run in one reconcile.
   * 'live' (the controller): the rolling update runs only when manage planned no pod writes, and
   * status is computed from the snapshot as it is.
   */
  readonly mode: 'harness' | 'live';
  /** False while expectations are unsatisfied: only history and status are planned (§4 step 6). */
  readonly expectationsSatisfied?: boolean;
}

/** Reconciles: claim, history, manage, rolling update, cleanup, status. */
export declare function reconcile(snapshot: Snapshot, options: ReconcileOptions): Plan;
