/** The `-o json` report: one object with everything a program checking a run needs. */
import { isPodReady } from '../../api/pod.js';
import { CONTROLLER_REVISION_HASH_LABEL, formatTime } from '../../api/types.js';
import type { SimResult } from '../runner.js';
import { apiWrites } from './stats.js';

const secs = (ms: number | undefined): number | null =>
  ms === undefined ? null : Math.round(ms) / 1000;

/** Builds the JSON report (documented in docs/sim.md). */
export function renderJson(r: SimResult): Record<string, unknown> {
  const { sim } = r;
  const world = sim.world;
  const daemonsets = [...world.daemonSets.values()].map((ds) => {
    const key = `${ds.metadata?.namespace ?? ''}/${ds.metadata?.name ?? ''}`;
    const t = sim.observer.tracks.get(key);
    return {
      namespace: ds.metadata?.namespace,
      name: ds.metadata?.name,
      status: ds.status ?? {},
      converged: t?.view?.converged ?? false,
      convergedAt: t?.view?.converged === true ? secs(t.convergedAtMs) : null,
      notConvergedBecause: t?.view?.converged === true ? null : (t?.view?.why ?? 'never observed'),
      rollouts: (t?.rollouts ?? []).map((ro) => ({
        revision: ro.revision,
        hash: ro.hash,
        change: ro.change,
        startedAt: secs(ro.startedAtMs),
        finishedAt: secs(ro.finishedAtMs),
        durationSeconds:
          ro.finishedAtMs === undefined ? null : secs(ro.finishedAtMs - ro.startedAtMs),
        maxUnavailable: ro.initial ? null : ro.maxUnavailable,
        superseded: ro.superseded,
      })),
      maxPodsPerNode: t?.maxPodsPerNode ?? 0,
    };
  });
  const pods = [...world.pods.values()].map((p) => ({
    namespace: p.metadata?.namespace,
    name: p.metadata?.name,
    node: p.spec?.nodeName ?? null,
    phase: p.status?.phase ?? 'Pending',
    ready: isPodReady(p),
    revisionHash: p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? null,
    terminating: p.metadata?.deletionTimestamp !== undefined,
  }));
  const revisions = [...world.revisions.values()].map((rev) => ({
    namespace: rev.metadata?.namespace,
    name: rev.metadata?.name,
    revision: rev.revision,
    hash: rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? null,
  }));
  const events = [...world.events.values()].map((e) => ({
    type: e.type,
    reason: e.reason,
    message: e.message,
    object: `${e.involvedObject.kind ?? ''}/${e.involvedObject.namespace ?? ''}/${e.involvedObject.name ?? ''}`,
    count: e.count ?? 1,
    time: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? null,
  }));
  return {
    scenario: { file: r.scenario.file, name: r.scenario.name },
    seed: r.seed,
    stopReason: r.stopReason,
    startedAt: formatTime(sim.clock.now() - r.virtualMs),
    daemonsets,
    pods,
    revisions,
    events,
    timeline: sim.journal.entries.map((e) => ({
      at: secs(e.atMs),
      kind: e.kind,
      message: e.message,
      ...(e.daemonSet ? { daemonSet: e.daemonSet } : {}),
    })),
    checks: r.checks.map((c) => ({
      name: c.name,
      passed: c.passed,
      message: c.message,
      at: secs(c.atMs),
      where: c.where,
    })),
    metrics: {
      virtualSeconds: secs(r.virtualMs),
      wallMs: Math.round(r.wallMs),
      nodes: world.nodes.size,
      pods: world.pods.size,
      controllerRestarts: sim.controllerRestarts,
      controllerSyncs: sim.controllerSyncs,
      instants: sim.instants,
      drainTurns: sim.turns,
      apiWrites: apiWrites(sim),
      scheduler: { binds: sim.scheduler.binds },
      kubelet: { statusWrites: sim.kubelets.statusWrites },
      nodeLifecycle: {
        evictions: sim.lifecycle.evicted,
        podsGarbageCollected: sim.lifecycle.collected,
      },
    },
  };
}
