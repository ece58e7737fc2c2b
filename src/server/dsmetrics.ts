/**
 * DaemonSet gauges on /metrics, for both kinds the controller runs (apps/v1 and the CRD): the
 * kube-state-metrics families with an `everynode_` prefix and the same labels (namespace,
 * daemonset), so the kubernetes-mixin alerts port by renaming (README "Metrics and alerts");
 * plus everynode's own: the rollout phase and the conditions, the node-caused and rollout-caused
 * unavailable counts, pending removals, and nodes without a pod by reason.
 *
 * Computed when scraped, from the controller's caches: the DaemonSets as last seen (the status
 * the controller wrote, as `kubectl get` shows it) and, for the reasons, the node and pod caches
 * through NodeTally. Every family is rebuilt from scratch on each scrape, so a deleted
 * DaemonSet's series disappear. A process without caches (a standby replica, or before the
 * caches synced) exports none of them, so two replicas never export the same series twice.
 */
import { Gauge, type Registry } from 'prom-client';
import type { DaemonSet } from '../api/types.js';
import type { Caches } from '../controller/caches.js';
import { storeKey } from '../controller/store.js';
import { INELIGIBLE_CAUSES, NodeTally, type CauseCounts } from './nodetally.js';

/** The rollout phases of rollout-features.md §4; one series each while status.rollout has one. */
export const ROLLOUT_PHASES = [
  'Canary',
  'Rolling',
  'Baking',
  'AwaitingPromotion',
  'Paused',
  'Partitioned',
  'Complete',
  'Failed',
  'Aborted',
  'Frozen',
  'ScaledToZero',
] as const;

type DsLabel = 'namespace' | 'daemonset';

/** A numeric status field → one gauge (kube-state-metrics' name with the everynode_ prefix). */
const STATUS_GAUGES: readonly [string, string, string][] = [
  [
    'everynode_daemonset_status_desired_number_scheduled',
    'desiredNumberScheduled',
    'The number of nodes that should be running the daemon pod.',
  ],
  [
    'everynode_daemonset_status_current_number_scheduled',
    'currentNumberScheduled',
    'The number of nodes running at least one daemon pod and are supposed to.',
  ],
  [
    'everynode_daemonset_status_number_ready',
    'numberReady',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
  ],
  [
    'everynode_daemonset_status_number_available',
    'numberAvailable',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
  ],
  [
    'everynode_daemonset_status_number_unavailable',
    'numberUnavailable',
    'The number of nodes that should be running the daemon pod and have none of the daemon pod running and available.',
  ],
  [
    'everynode_daemonset_status_updated_number_scheduled',
    'updatedNumberScheduled',
    'The total number of nodes that are running updated daemon pod.',
  ],
  [
    'everynode_daemonset_status_number_misscheduled',
    'numberMisscheduled',
    'The number of nodes running a daemon pod but are not supposed to.',
  ],
  [
    'everynode_daemonset_status_observed_generation',
    'observedGeneration',
    'The most recent generation observed by the daemon set controller.',
  ],
];

/** everynode status fields: exported only when the status has them (rollout features). */
const OPTIONAL_GAUGES: readonly [string, string, string][] = [
  [
    'everynode_daemonset_status_number_unavailable_node_caused',
    'numberUnavailableNodeCaused',
    'Unavailable daemon pods whose node is impaired (not Ready, unreachable, draining, shutting down).',
  ],
  [
    'everynode_daemonset_status_number_unavailable_rollout_caused',
    'numberUnavailableRolloutCaused',
    'Unavailable daemon pods on healthy nodes: the rollout (or the pod itself) is the cause.',
  ],
  [
    'everynode_daemonset_status_pending_removals',
    'pendingRemovals',
    'Pods on nodes that stopped being eligible, held back by the removal budget.',
  ],
];

/** The DaemonSet gauges of one registry, filled from a caches source at each scrape. */
export class DaemonSetMetrics {
  private readonly status: Gauge<DsLabel>[] = [];
  private readonly optional: Gauge<DsLabel>[] = [];
  private readonly generation: Gauge<DsLabel>;
  private readonly created: Gauge<DsLabel>;
  private readonly phase: Gauge<DsLabel | 'phase'>;
  private readonly condition: Gauge<DsLabel | 'condition' | 'status' | 'reason'>;
  private readonly withoutPod: Gauge<DsLabel | 'reason'>;
  private readonly tally: NodeTally;
  /** Milliseconds the last scrape's refresh took (bench and tests read it). */
  lastRefreshMs = 0;
  /** DaemonSets whose nodes without a pod were counted in the last scrape (see NodeTally). */
  lastCounted = 0;

  constructor(
    registry: Registry,
    private readonly caches: () => Caches | undefined,
  ) {
    const registers = [registry];
    const labelNames = ['namespace', 'daemonset'] as const;
    // The first family's collect refreshes them all: prom-client collects the families of a
    // registry in registration order within one scrape.
    for (const [i, [name, , help]] of STATUS_GAUGES.entries()) {
      this.status.push(
        new Gauge({
          name,
          help,
          labelNames,
          registers,
          ...(i === 0
            ? {
                collect: () => {
                  this.refresh();
                },
              }
            : {}),
        }),
      );
    }
    this.generation = new Gauge({
      name: 'everynode_daemonset_metadata_generation',
      help: 'Sequence number representing a specific generation of the desired state.',
      labelNames,
      registers,
    });
    this.created = new Gauge({
      name: 'everynode_daemonset_created',
      help: 'Unix creation timestamp.',
      labelNames,
      registers,
    });
    for (const [name, , help] of OPTIONAL_GAUGES) {
      this.optional.push(new Gauge({ name, help, labelNames, registers }));
    }
    this.phase = new Gauge({
      name: 'everynode_daemonset_rollout_phase',
      help: 'The rollout phase (status.rollout.phase): 1 for the current phase, 0 for the others.',
      labelNames: [...labelNames, 'phase'],
      registers,
    });
    this.condition = new Gauge({
      name: 'everynode_daemonset_status_condition',
      help: 'The current status conditions of a daemon set (status true, false or unknown: 1 for the current one).',
      labelNames: [...labelNames, 'condition', 'status', 'reason'],
      registers,
    });
    this.withoutPod = new Gauge({
      name: 'everynode_daemonset_nodes_without_pod',
      help:
        'Nodes that run no pod of the daemon set, by reason: nodeName, nodeSelector, nodeAffinity, ' +
        'taint (not eligible), notScheduled (eligible, no pod yet: desired minus current).',
      labelNames: [...labelNames, 'reason'],
      registers,
    });
    this.tally = new NodeTally(caches);
  }

  /** Rebuilds every family from the caches (called by the first family's collect). */
  refresh(): void {
    const t0 = performance.now();
    const all = [
      ...this.status,
      ...this.optional,
      this.generation,
      this.created,
      this.phase,
      this.condition,
      this.withoutPod,
    ];
    for (const g of all) g.reset();
    const c = this.caches();
    if (c !== undefined) {
      const reasons = this.tally.countsByDaemonSet();
      this.lastCounted = reasons.size;
      for (const ds of c.daemonSets.list()) this.add(ds, reasons.get(storeKey(ds)));
    } else {
      this.tally.countsByDaemonSet();
    }
    this.lastRefreshMs = performance.now() - t0;
  }

  private add(ds: DaemonSet, causes: Readonly<CauseCounts> | undefined): void {
    const labels = { namespace: ds.metadata?.namespace ?? '', daemonset: ds.metadata?.name ?? '' };
    const s = (ds.status ?? {}) as Readonly<Record<string, unknown>>;
    for (const [i, [, field]] of STATUS_GAUGES.entries()) {
      this.status[i]?.set(labels, num(s[field]) ?? 0);
    }
    this.generation.set(labels, ds.metadata?.generation ?? 0);
    const created = Date.parse(ds.metadata?.creationTimestamp ?? '');
    if (Number.isFinite(created)) this.created.set(labels, Math.floor(created / 1000));
    for (const [i, [, field]] of OPTIONAL_GAUGES.entries()) {
      const v = num(s[field]);
      if (v !== undefined) this.optional[i]?.set(labels, v);
    }
    const rollout = s.rollout as Readonly<Record<string, unknown>> | undefined;
    const phase = typeof rollout?.phase === 'string' ? rollout.phase : undefined;
    if (phase !== undefined) {
      for (const p of ROLLOUT_PHASES) this.phase.set({ ...labels, phase: p }, p === phase ? 1 : 0);
      if (!(ROLLOUT_PHASES as readonly string[]).includes(phase))
        this.phase.set({ ...labels, phase }, 1);
    }
    for (const cond of ds.status?.conditions ?? []) {
      const current = cond.status.toLowerCase();
      for (const st of ['true', 'false', 'unknown']) {
        this.condition.set(
          { ...labels, condition: cond.type, status: st, reason: cond.reason ?? '' },
          st === current ? 1 : 0,
        );
      }
    }
    // Not counted yet (a large cluster's first scrapes): no series rather than a wrong 0.
    if (causes !== undefined) {
      for (const cause of INELIGIBLE_CAUSES) {
        this.withoutPod.set({ ...labels, reason: cause }, causes[cause]);
      }
    }
    const notScheduled =
      (num(s.desiredNumberScheduled) ?? 0) - (num(s.currentNumberScheduled) ?? 0);
    this.withoutPod.set({ ...labels, reason: 'notScheduled' }, Math.max(0, notScheduled));
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
