/**
 * Evaluates a scenario's `expect:` checks. Checks with a time are evaluated at that virtual
 * instant; the others at the end, from what the observer recorded over the whole run.
 */
import { isPodReady } from '../api/pod.js';
import { isEverynodeDaemonSet } from '../api/rolloutspec.js';
import { readRecord } from '../engine/rolloutrecord.js';
import type { DaemonSet } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { formatDuration } from './duration.js';
import { resolveNodes } from './nodes.js';
import type { Observer } from './observer.js';
import { compare, formatComparison } from './scenario/expect.js';
import type { CheckSpec, DsRef, StatusField } from './scenario/types.js';
import type { World } from './world.js';

/** The outcome of one check. */
export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  /** Why it failed (or a short confirmation when it passed). */
  readonly message: string;
  /** The virtual time the verdict refers to (ms from the start). */
  readonly atMs: number;
  /** "file:line" of the check in the scenario. */
  readonly where: string;
}

const STATUS_KEYS: Readonly<Record<StatusField, keyof NonNullable<DaemonSet['status']>>> = {
  desired: 'desiredNumberScheduled',
  current: 'currentNumberScheduled',
  updated: 'updatedNumberScheduled',
  ready: 'numberReady',
  available: 'numberAvailable',
  unavailable: 'numberUnavailable',
  misscheduled: 'numberMisscheduled',
};

const keyOf = (d: DsRef): string => `${d.namespace}/${d.name}`;

/**
 * The update and stable revisions' hashes as the controller reports them: status.updateRevision
 * and status.stableRevision (revision names) on the CRD; for apps/v1, whose status has no such
 * fields, the update revision is the newest and the stable one is read from the rollout record
 * the controller keeps on the update revision (rollout.everynode.dev/state).
 */
function revisionRoles(
  ds: DaemonSet,
  world: World,
  newest: string | undefined,
): { update: string | undefined; stable: string | undefined } {
  const ns = ds.metadata?.namespace ?? '';
  const hashOf = (name: string | undefined): string | undefined => {
    if (name === undefined || name === '') return undefined;
    const rev = world.revisions.get(`${ns}/${name}`);
    return rev?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? rev?.metadata?.name;
  };
  if (isEverynodeDaemonSet(ds))
    return {
      update: hashOf(ds.status?.updateRevision) ?? newest,
      stable: hashOf(ds.status?.stableRevision),
    };
  const uid = ds.metadata?.uid;
  const revisions = [...world.revisions.values()].filter(
    (r) =>
      r.metadata?.ownerReferences?.some((o) => o.controller === true && o.uid === uid) ?? false,
  );
  const update = revisions.find(
    (r) => r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === newest,
  );
  if (update === undefined || newest === undefined) return { update: newest, stable: undefined };
  const record = readRecord(ds, revisions, {
    name: update.metadata?.name ?? '',
    revision: update.revision,
    hash: newest,
  });
  return { update: newest, stable: hashOf(record.stableRevision) };
}

/** status.rollout.phase (the CRD's; apps/v1 status has no such field). */
function rolloutPhase(ds: DaemonSet): string | undefined {
  return ds.status?.rollout?.phase;
}
const t = (ms: number): string => formatDuration(ms);

/** Evaluates checks against the current state of the run. */
export class CheckEvaluator {
  constructor(
    private readonly world: World,
    private readonly observer: Observer,
  ) {}

  /** True for checks that look at one instant (status, pods with `at`). */
  static timed(c: CheckSpec): number | undefined {
    return c.check === 'status' ||
      c.check === 'pods' ||
      c.check === 'condition' ||
      c.check === 'phase'
      ? c.atMs
      : undefined;
  }

  evaluate(c: CheckSpec, nowMs: number): CheckResult {
    const r = (passed: boolean, message: string): CheckResult => ({
      name: c.name,
      passed,
      message,
      atMs: nowMs,
      where: `${c.loc.file}:${c.loc.line}`,
    });
    const tracks = (d: DsRef | undefined) =>
      d === undefined
        ? [...this.observer.tracks.values()].filter((x) => !x.deleted)
        : [this.observer.tracks.get(keyOf(d))].filter((x) => x !== undefined);
    const missing = (d: DsRef | undefined) =>
      d !== undefined && !this.observer.tracks.has(keyOf(d));
    if ('daemonSet' in c && missing(c.daemonSet))
      return r(false, `there is no DaemonSet ${keyOf(c.daemonSet!)}`);
    switch (c.check) {
      case 'converged': {
        const bad = tracks(c.daemonSet).filter((x) => x.view?.converged !== true);
        if (bad.length === 0) return r(true, 'converged');
        return r(
          false,
          bad
            .map((x) => `${x.key} not converged at ${t(nowMs)}: ${x.view?.why ?? 'never observed'}`)
            .join('; '),
        );
      }
      case 'convergedWithin': {
        const problems: string[] = [];
        for (const x of tracks(c.daemonSet)) {
          for (const ro of x.rollouts) {
            const took = (ro.finishedAtMs ?? nowMs) - ro.startedAtMs;
            const label = ro.initial ? 'initial rollout' : `rollout to revision ${ro.revision}`;
            if (ro.finishedAtMs === undefined && took > c.withinMs)
              problems.push(
                `${x.key} ${label} (started at ${t(ro.startedAtMs)}) had not finished after ${t(took)}`,
              );
            else if (took > c.withinMs) problems.push(`${x.key} ${label} took ${t(took)}`);
          }
        }
        return problems.length === 0
          ? r(true, 'every rollout converged in time')
          : r(false, problems.join('; '));
      }
      case 'maxUnavailable': {
        const problems: string[] = [];
        let seen = 0;
        for (const x of tracks(c.daemonSet)) {
          for (const ro of x.rollouts) {
            if (ro.initial) continue;
            seen = Math.max(seen, ro.maxUnavailable);
            if (ro.maxUnavailable > c.atMost)
              problems.push(
                `${x.key} rollout to revision ${ro.revision}: ${ro.maxUnavailable} nodes without an available pod at ${t(ro.maxUnavailableAtMs ?? 0)}`,
              );
          }
        }
        return problems.length === 0
          ? r(true, `at most ${seen} unavailable`)
          : r(false, problems.join('; '));
      }
      case 'maxPodsPerNode': {
        const bad = tracks(c.daemonSet).filter((x) => x.maxPodsPerNode > c.atMost);
        if (bad.length === 0) return r(true, 'never exceeded');
        return r(
          false,
          bad
            .map(
              (x) =>
                `${x.key}: ${x.maxPodsPerNode} pods on ${x.maxPodsPerNodeAt?.node ?? '?'} at ${t(x.maxPodsPerNodeAt?.atMs ?? 0)}`,
            )
            .join('; '),
        );
      }
      case 'status': {
        const ds = this.world.daemonSets.get(keyOf(c.daemonSet));
        if (ds === undefined)
          return r(false, `DaemonSet ${keyOf(c.daemonSet)} does not exist at ${t(nowMs)}`);
        const wrong: string[] = [];
        const got: string[] = [];
        for (const [f, cmp] of Object.entries(c.fields) as [
          StatusField,
          NonNullable<(typeof c.fields)[StatusField]>,
        ][]) {
          const v = Number(ds.status?.[STATUS_KEYS[f]] ?? 0);
          got.push(`${f} ${v}`);
          if (!compare(v, cmp)) wrong.push(`${f} is ${v}, expected ${formatComparison(cmp)}`);
        }
        return wrong.length === 0
          ? r(true, got.join(', '))
          : r(false, `at ${t(nowMs)}: ${wrong.join('; ')}`);
      }
      case 'pods': {
        const ds = this.world.daemonSets.get(keyOf(c.daemonSet));
        if (ds === undefined)
          return r(false, `DaemonSet ${keyOf(c.daemonSet)} does not exist at ${t(nowMs)}`);
        const track = this.observer.tracks.get(keyOf(c.daemonSet));
        const nodes =
          c.nodes === undefined
            ? undefined
            : new Set(resolveNodes(this.world.nodes, c.nodes).nodes.map((n) => n.metadata!.name!));
        const roles = revisionRoles(ds, this.world, track?.newestHash);
        if (c.revision === 'stable' && roles.stable === undefined)
          return r(false, `at ${t(nowMs)}: ${keyOf(c.daemonSet)} reports no stable revision`);
        const n = this.world.podsOf(ds.metadata?.uid ?? '').filter((p) => {
          if (
            p.metadata?.deletionTimestamp ||
            p.status?.phase === 'Failed' ||
            p.status?.phase === 'Succeeded'
          )
            return false;
          if (nodes !== undefined && !nodes.has(p.spec?.nodeName ?? '')) return false;
          const hash = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
          const isNew = hash === track?.newestHash;
          if (c.revision === 'newest' && !isNew) return false;
          if (c.revision === 'old' && isNew) return false;
          if (c.revision === 'update' && hash !== roles.update) return false;
          if (c.revision === 'stable' && hash !== roles.stable) return false;
          return c.ready === undefined || isPodReady(p) === c.ready;
        }).length;
        const which =
          c.revision === 'update' || c.revision === 'stable'
            ? ` (${c.revision} revision ${roles[c.revision] ?? '?'})`
            : '';
        return compare(n, c.count)
          ? r(true, `${n} pods${which}`)
          : r(
              false,
              `at ${t(nowMs)}: ${n} such pods${which}, expected ${formatComparison(c.count)}`,
            );
      }
      case 'condition': {
        const ds = this.world.daemonSets.get(keyOf(c.daemonSet));
        if (ds === undefined)
          return r(false, `DaemonSet ${keyOf(c.daemonSet)} does not exist at ${t(nowMs)}`);
        const got = ds.status?.conditions?.find((x) => x.type === c.type);
        const want = [c.status, c.reason === undefined ? undefined : `(${c.reason})`]
          .filter((x) => x !== undefined)
          .join(' ');
        if (c.present === false)
          return got === undefined
            ? r(true, `no ${c.type} condition`)
            : r(
                false,
                `at ${t(nowMs)}: ${c.type} is ${got.status}${got.reason ? ` (${got.reason})` : ''}${got.message ? `: ${got.message}` : ''}, expected none`,
              );
        if (got === undefined)
          return r(false, `at ${t(nowMs)}: no ${c.type} condition, expected ${want}`);
        const seen = `${got.status}${got.reason ? ` (${got.reason})` : ''}`;
        const ok =
          (c.status === undefined || got.status === c.status) &&
          (c.reason === undefined || got.reason === c.reason);
        return ok
          ? r(true, `${c.type} ${seen}${got.message ? `: ${got.message}` : ''}`)
          : r(false, `at ${t(nowMs)}: ${c.type} is ${seen}, expected ${want}`);
      }
      case 'phase': {
        const ds = this.world.daemonSets.get(keyOf(c.daemonSet));
        if (ds === undefined)
          return r(false, `DaemonSet ${keyOf(c.daemonSet)} does not exist at ${t(nowMs)}`);
        const phase = rolloutPhase(ds);
        if (phase === undefined)
          return r(
            false,
            `at ${t(nowMs)}: ${keyOf(c.daemonSet)} reports no rollout phase${ds.apiVersion === 'apps/v1' || ds.apiVersion === undefined ? ' (apps/v1 status has no status.rollout; check its Progressing condition)' : ''}`,
          );
        return phase === c.phase
          ? r(true, `phase ${phase}`)
          : r(false, `at ${t(nowMs)}: phase is ${phase}, expected ${c.phase}`);
      }
      case 'events': {
        let n = 0;
        for (const e of this.world.events.values()) {
          if (e.reason !== c.reason) continue;
          if (
            c.daemonSet !== undefined &&
            (e.involvedObject.name !== c.daemonSet.name ||
              e.involvedObject.namespace !== c.daemonSet.namespace)
          )
            continue;
          n += e.count ?? 1;
        }
        return compare(n, c.count)
          ? r(true, `${n} events`)
          : r(false, `${n} ${c.reason} events, expected ${formatComparison(c.count)}`);
      }
    }
  }
}
