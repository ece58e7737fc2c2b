/**
 * Node eligibility (spec §2): NodeShouldRunDaemonPod with a reason a person can act on.
 *
 * The checker is built once per DaemonSet and reconcile (tolerations with the daemon defaults
 * merged, the nodeSelector entries, the required affinity), because it runs for every node of
 * the cluster and for every DaemonSet.
 */
import { matchNodeSelectorTerms } from '../api/nodeaffinity.js';
import {
  addDefaultDaemonTolerations,
  findUntoleratedTaint,
  formatTaint,
  malformedTaints,
} from '../api/taints.js';
import type { DaemonSet, Node, Taint } from '../api/types.js';

/** Which check of §2.1 made a node ineligible (metrics count nodes by it). */
export type IneligibleCause = 'nodeName' | 'nodeSelector' | 'nodeAffinity' | 'taint';

/** The eligibility of one node for one DaemonSet. */
export interface Eligibility {
  readonly shouldRun: boolean;
  readonly shouldContinueRunning: boolean;
  /** Empty when both are true; otherwise names the taint, selector term or nodeName at fault. */
  readonly reason: string;
  /** Absent when both are true; otherwise the check that failed. */
  readonly cause?: IneligibleCause;
}

/** Decides eligibility for one node; built by makeEligibilityChecker. */
export type EligibilityChecker = (node: Node) => Eligibility;

const ELIGIBLE: Eligibility = Object.freeze({
  shouldRun: true,
  shouldContinueRunning: true,
  reason: '',
});

const isScheduleOrExecute = (t: Taint): boolean =>
  t.effect === 'NoSchedule' || t.effect === 'NoExecute';
const isNoExecute = (t: Taint): boolean => t.effect === 'NoExecute';

function ineligible(
  shouldContinueRunning: boolean,
  cause: IneligibleCause,
  reason: string,
): Eligibility {
  return { shouldRun: false, shouldContinueRunning, reason, cause };
}

/**
 * Precomputes everything about the DaemonSet that §2.1 needs and returns a checker that applies
 * the steps of NodeShouldRunDaemonPod in their order. The checker never throws and returns the
 * same frozen object for every fully eligible node.
 */
export function makeEligibilityChecker(ds: DaemonSet): EligibilityChecker {
  const spec = ds.spec?.template?.spec;
  const pinnedNode = spec?.nodeName ?? '';
  const selectorEntries = Object.entries(spec?.nodeSelector ?? {});
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const tolerations = addDefaultDaemonTolerations(spec?.tolerations, spec?.hostNetwork === true);

  return (node: Node): Eligibility => {
    const nodeName = node.metadata?.name ?? '';
    if (pinnedNode !== '' && pinnedNode !== nodeName) {
      return ineligible(false, 'nodeName', `the template pins nodeName ${pinnedNode}`);
    }
    if (selectorEntries.length > 0) {
      const labels = node.metadata?.labels ?? {};
      for (const [key, want] of selectorEntries) {
        const have = labels[key];
        if (have !== want) {
          const has = have === undefined ? `node has no label ${key}` : `node has ${key}=${have}`;
          return ineligible(false, 'nodeSelector', `nodeSelector wants ${key}=${want}; ${has}`);
        }
      }
    }
    if (required !== undefined && required !== null) {
      const m = matchNodeSelectorTerms(node, required);
      if (!m.matches) {
        return ineligible(
          false,
          'nodeAffinity',
          `required node affinity does not match: ${m.reason || 'no term matches'}`,
        );
      }
    }
    const taints = node.spec?.taints;
    // null is absent, as Go's decoder reads it (taints: null stopped every DaemonSet, issue 17).
    if (taints == null || taints.length === 0) return ELIGIBLE;
    // Taints kube-apiserver would refuse (a node that bypassed validation): no new pod there and
    // manage keeps a running one; the problem is the reason, and other nodes go on.
    const malformed = malformedTaints(taints);
    if (malformed !== undefined) return ineligible(true, 'taint', `malformed node: ${malformed}`);
    const blocking = findUntoleratedTaint(taints, tolerations, isScheduleOrExecute);
    if (blocking === undefined) return ELIGIBLE;
    const evicting =
      blocking.effect === 'NoExecute'
        ? blocking
        : findUntoleratedTaint(taints, tolerations, isNoExecute);
    if (evicting === undefined) {
      return ineligible(
        true,
        'taint',
        `taint ${formatTaint(blocking)} is not tolerated (existing pods keep running)`,
      );
    }
    return ineligible(false, 'taint', `taint ${formatTaint(evicting)} is not tolerated`);
  };
}

/** NodeShouldRunDaemonPod (§2.1), in its order of checks; for many nodes use makeEligibilityChecker. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): Eligibility {
  return makeEligibilityChecker(ds)(node);
}

const SCALED_TO_ZERO: Eligibility = Object.freeze({
  shouldRun: false,
  shouldContinueRunning: false,
  // No cause: no node check failed (the dashboard tallies causes of node checks).
  reason: 'the DaemonSet is suspended (ScaleToZero)',
});

/**
 * The eligibility checker of a sync: makeEligibilityChecker's, except that under `suspend:
 * ScaleToZero` no node should run or keep a pod (every pod is removed as from an ineligible node;
 * issue 12's removal budget limits those removals). Both planning paths build their checker here.
 */
export function makeRolloutEligibilityChecker(
  ds: DaemonSet,
  suspend: string | undefined,
): EligibilityChecker {
  if (suspend === 'ScaleToZero') return () => SCALED_TO_ZERO;
  return makeEligibilityChecker(ds);
}
