/**
 * The rollout's durable record: what a restarted controller must know about a rollout that its
 * caches cannot show (docs/adr/2026-12-08-rollout-state-of-native-daemonsets.md): the stable
 * revision, the last progress (the progress deadline's clock), the control values already acted
 * on, and whether the rollout of the update revision was aborted (and why).
 *
 * Where it is kept depends on the kind:
 * - everynode's CRD: in its status (stableRevision, updateRevision, rollout.observedControls,
 *   rollout.phase Aborted, rollout.failure, and the Progressing condition's lastUpdateTime), which
 *   the status write carries anyway;
 * - apps/v1: kube-apiserver drops status fields apps/v1 has not, so the record is JSON in the
 *   annotation rollout.everynode.dev/state on the update revision's ControllerRevision (an object
 *   only the controller writes, never in anyone's git). The revision number is part of it, so a
 *   revision brought back by a rollback does not resurrect its old record.
 *
 * Reading is pure and both planning paths call the same function.
 */
import { getCondition } from '../api/conditions.js';
import { PHASE, PROGRESSING_CONDITION } from '../api/rolloutconditions.js';
import { isEverynodeDaemonSet, ROLLOUT_STATE_ANNOTATION } from '../api/rolloutspec.js';
import {
  formatTime,
  parseTime,
  type ControllerRevision,
  type DaemonSet,
  type RolloutFailure,
} from '../api/types.js';
import type { MetricGateState } from './rollout/metricgate.js';
import type { BakeHeld } from './rollout/outcome.js';
import type { RevisionRef } from './types.js';
import { deepFreeze } from '../api/freeze.js';

/** The rollout's durable record (this module's header). */
export interface RolloutRecord {
  /** The last revision (by name) that finished rolling out. */
  readonly stableRevision: string | undefined;
  /** The update revision the record was written for; another one means a new rollout began. */
  readonly updateRevision: string | undefined;
  /** The last progress of the rollout, epoch ms (second precision, as written). */
  readonly lastProgress: number | undefined;
  /** The value of each control annotation last acted on. */
  readonly observedControls: Readonly<Record<string, string>>;
  /** The rollout of updateRevision was aborted: pods go back to the stable revision. */
  readonly aborted: boolean;
  /** Why the rollout failed or was aborted. */
  readonly failure: RolloutFailure | undefined;
  /**
   * The removal budget's recent removal times, epoch ms ascending (issue 12; a removal window is
   * not about revisions: on apps/v1 the union over every revision's record).
   */
  readonly removals: readonly number[];
  /** Issue 12 (engine/rollout/stage.ts): the canary nodes, the open step, the last promoted. */
  readonly canaryNodes: readonly string[];
  readonly step: number;
  readonly promoted: number;
  /**
   * The Prometheus gate's counters (engine/rollout/metricfold.ts): CRD status.rollout.metric,
   * apps/v1 record key `metric`; undefined before its first answer.
   */
  readonly metric?: MetricGateState | undefined;
  /** Pauses the open step's bake skips (stage.ts; CRD status.rollout.bakeHeld, record `bakeHeld`). */
  readonly bakeHeld?: BakeHeld | undefined;
}

/** No record: a DaemonSet whose rollout everynode has not recorded yet. */
export const EMPTY_RECORD: RolloutRecord = Object.freeze({
  stableRevision: undefined,
  updateRevision: undefined,
  lastProgress: undefined,
  observedControls: Object.freeze({}),
  aborted: false,
  failure: undefined,
  removals: Object.freeze([]),
  canaryNodes: Object.freeze([]),
  step: 0,
  promoted: -1,
});

/** The record as JSON on a ControllerRevision (apps/v1 DaemonSets). */
interface NativeRecordJSON {
  /** The revision number of the ControllerRevision it was written on. */
  revision: number;
  stable?: string;
  progress?: string;
  observed?: Record<string, string>;
  aborted?: boolean;
  failure?: RolloutFailure;
  removals?: string[];
  canary?: string[];
  step?: number;
  promoted?: number;
  metric?: MetricJSON;
  bakeHeld?: BakeHeldJSON;
}

/** BakeHeld as stored (CRD status.rollout.bakeHeld and the apps/v1 record). */
export interface BakeHeldJSON {
  step?: number;
  since?: string;
  until?: string;
  seconds?: number;
}

/** A stored BakeHeld read back (malformed values read as absent). */
export function readBakeHeld(raw: unknown): BakeHeld | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  const since = typeof m.since === 'string' ? parseTime(m.since) : undefined;
  const until = typeof m.until === 'string' ? parseTime(m.until) : undefined;
  const seconds =
    typeof m.seconds === 'number' && Number.isInteger(m.seconds) && m.seconds >= 0 ? m.seconds : 0;
  const step = typeof m.step === 'number' && Number.isInteger(m.step) && m.step >= 0 ? m.step : 0;
  return {
    step,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    seconds,
  };
}

/** BakeHeld as stored. */
export function encodeBakeHeld(h: BakeHeld): BakeHeldJSON {
  return {
    step: h.step,
    ...(h.since !== undefined ? { since: formatTime(h.since) } : {}),
    ...(h.until !== undefined ? { until: formatTime(h.until) } : {}),
    seconds: h.seconds,
  };
}

/** The metric gate's counters as stored (CRD status.rollout.metric and the apps/v1 record). */
export interface MetricJSON {
  failures?: number;
  inconclusive?: number;
  lastQueryTime?: string;
  lastResult?: string;
}

/** Stored counters read back (malformed values read as zero / absent). */
export function readMetric(raw: unknown): MetricGateState | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
  const at = typeof m.lastQueryTime === 'string' ? parseTime(m.lastQueryTime) : undefined;
  return {
    consecutiveFailures: count(m.failures),
    consecutiveInconclusive: count(m.inconclusive),
    ...(at !== undefined ? { lastQueryAt: at } : {}),
    ...(typeof m.lastResult === 'string' ? { lastResult: m.lastResult } : {}),
  };
}

/** The counters as stored. */
export function encodeMetric(state: MetricGateState): MetricJSON {
  return {
    failures: state.consecutiveFailures,
    inconclusive: state.consecutiveInconclusive,
    ...(state.lastQueryAt !== undefined ? { lastQueryTime: formatTime(state.lastQueryAt) } : {}),
    ...(state.lastResult !== undefined ? { lastResult: state.lastResult } : {}),
  };
}

/**
 * Lists of removal times merged as multisets, ascending: a time appears as often as in the list
 * holding it most often. Several removals can share a second, and the same removals are kept in
 * more than one place (each revision's record, memory), so neither a set nor a sum would do.
 */
export function unionTimes(...lists: readonly (readonly number[])[]): number[] {
  const most = new Map<number, number>();
  for (const list of lists) {
    const n = new Map<number, number>();
    for (const t of list) n.set(t, (n.get(t) ?? 0) + 1);
    for (const [t, k] of n) most.set(t, Math.max(most.get(t) ?? 0, k));
  }
  const out: number[] = [];
  for (const [t, k] of most) for (let i = 0; i < k; i++) out.push(t);
  return out.sort((a, b) => a - b);
}

/** Times as written (RFC 3339), read back as epoch ms ascending; unreadable ones are dropped. */
function readTimes(times: unknown): number[] {
  if (!Array.isArray(times)) return [];
  const out: number[] = [];
  for (const t of times) {
    const ms = typeof t === 'string' ? parseTime(t) : undefined;
    if (ms !== undefined) out.push(ms);
  }
  return out.sort((a, b) => a - b);
}

/** The kept step values as stored (malformed ones read as a rollout's start). */
function stepsOf(
  canary: unknown,
  step: unknown,
  promoted: unknown,
): Pick<RolloutRecord, 'canaryNodes' | 'step' | 'promoted'> {
  const int = (v: unknown, min: number, dflt: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min ? v : dflt;
  return {
    canaryNodes: Array.isArray(canary) ? canary.filter((n) => typeof n === 'string') : [],
    step: int(step, 0, 0),
    promoted: int(promoted, -1, -1),
  };
}

/** The record of everynode's CRD, from its status. */
function crdRecord(ds: DaemonSet): RolloutRecord {
  const s = ds.status;
  const update = s?.updateRevision;
  const rollout = s?.rollout;
  return {
    stableRevision: s?.stableRevision || undefined,
    updateRevision: update || undefined,
    lastProgress: parseTime(getCondition(s, PROGRESSING_CONDITION)?.lastUpdateTime),
    observedControls: rollout?.observedControls ?? {},
    aborted: rollout?.phase === PHASE.aborted,
    failure: rollout?.failure ?? undefined,
    removals: readTimes(s?.removals),
    ...stepsOf(rollout?.canaryNodes, rollout?.wave?.index, rollout?.promotedStep),
    metric: readMetric(rollout?.metric),
    bakeHeld: readBakeHeld(rollout?.bakeHeld),
  };
}

/*
 * The record annotations read last, parsed and frozen: each sync of an apps/v1 DaemonSet with a
 * rollout reads its revisions' records again, and the text changes only when a sync writes it.
 */
const parsedRecords = new Map<string, NativeRecordJSON | undefined>();
const PARSED_RECORDS = 64;

function asRecordJSON(text: string | undefined): NativeRecordJSON | undefined {
  if (text === undefined) return undefined;
  if (parsedRecords.has(text)) return parsedRecords.get(text);
  if (parsedRecords.size >= PARSED_RECORDS) parsedRecords.clear();
  const r = parseRecordJSON(text);
  parsedRecords.set(text, r);
  return r;
}

function parseRecordJSON(text: string): NativeRecordJSON | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.revision !== 'number') return undefined;
    return deepFreeze(r) as unknown as NativeRecordJSON;
  } catch {
    return undefined;
  }
}

/** The annotation's record on a revision, when it was written at the revision's current number. */
function recordOn(rev: ControllerRevision): NativeRecordJSON | undefined {
  const r = asRecordJSON(rev.metadata?.annotations?.[ROLLOUT_STATE_ANNOTATION]);
  return r !== undefined && r.revision === rev.revision ? r : undefined;
}

/**
 * The record of an apps/v1 DaemonSet from its claimed revisions: the newest revision carrying a
 * record written at its current number. When that is not the update revision (a new rollout has
 * begun, or the update revision is being created), only the stable revision and the observed
 * controls carry over.
 */
function nativeRecord(
  revisions: readonly ControllerRevision[],
  update: RevisionRef,
): RolloutRecord {
  let best: { rev: ControllerRevision; rec: NativeRecordJSON } | undefined;
  const lists: number[][] = [];
  for (const rev of revisions) {
    const rec = recordOn(rev);
    if (rec !== undefined && (best === undefined || rev.revision > best.rev.revision))
      best = { rev, rec };
    if (rec?.removals !== undefined) lists.push(readTimes(rec.removals));
  }
  if (best === undefined) return EMPTY_RECORD;
  const removals = unionTimes(...lists);
  const { rev, rec } = best;
  const name = rev.metadata?.name ?? '';
  const observedControls = rec.observed ?? {};
  // A raised (rolled-back-to) update revision has a new number: its old record does not count.
  if (name !== update.name || rev.revision !== update.revision)
    return {
      ...EMPTY_RECORD,
      stableRevision: rec.stable,
      updateRevision: name,
      observedControls,
      removals,
    };
  return {
    stableRevision: rec.stable,
    updateRevision: name,
    lastProgress: parseTime(rec.progress),
    observedControls,
    aborted: rec.aborted === true,
    failure: rec.failure,
    removals,
    ...stepsOf(rec.canary, rec.step, rec.promoted),
    metric: readMetric(rec.metric),
    bakeHeld: readBakeHeld(rec.bakeHeld),
  };
}

/**
 * The stored record of a DaemonSet: from the CRD's status, or from the claimed revisions of an
 * apps/v1 DaemonSet (`update`: the update revision as history plans it).
 */
export function readRecord(
  ds: DaemonSet,
  revisions: readonly ControllerRevision[],
  update: RevisionRef,
): RolloutRecord {
  return isEverynodeDaemonSet(ds) ? crdRecord(ds) : nativeRecord(revisions, update);
}

/** The annotation value recording `rec` on the update revision numbered `revision`. */
export function encodeNativeRecord(rec: RolloutRecord, revision: number): string {
  const out: NativeRecordJSON = { revision };
  if (rec.stableRevision !== undefined) out.stable = rec.stableRevision;
  if (rec.lastProgress !== undefined) out.progress = formatTime(rec.lastProgress);
  if (Object.keys(rec.observedControls).length > 0) out.observed = { ...rec.observedControls };
  if (rec.aborted) out.aborted = true;
  if (rec.failure !== undefined) out.failure = rec.failure;
  if (rec.removals.length > 0) out.removals = rec.removals.map(formatTime);
  if (rec.canaryNodes.length > 0) out.canary = [...rec.canaryNodes];
  if (rec.step > 0) out.step = rec.step;
  if (rec.promoted >= 0) out.promoted = rec.promoted;
  if (rec.metric !== undefined) out.metric = encodeMetric(rec.metric);
  if (rec.bakeHeld !== undefined) out.bakeHeld = encodeBakeHeld(rec.bakeHeld);
  return JSON.stringify(out);
}

/** The record annotation a revision holds now (undefined: none). */
export function storedNativeRecord(rev: ControllerRevision | undefined): string | undefined {
  return rev?.metadata?.annotations?.[ROLLOUT_STATE_ANNOTATION];
}
