/**
 * `everynode plan --rollout --report out.html`: the rollout preview as the same node grid as
 * `sim --report`, step by step: every node's state before the first step and after each one
 * (what is created and deleted there, and why), the counts per step against the
 * maxUnavailable budget. The preview model applies: new pods are Ready at once and available
 * minReadySeconds later.
 */
import { writeFile } from 'node:fs/promises';
import { getControllerOf, getTargetNodeName, isPodAvailable } from '../api/pod.js';
import type { Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { makeEligibilityChecker } from '../engine/eligibility.js';
import { previewRollout } from '../engine/rollout.js';
import type { Plan, Snapshot } from '../engine/types.js';
import { classifyNode } from '../sim/report/grid/classify.js';
import {
  deltaEncode,
  NODE_MARKS,
  NODE_STATES,
  S,
  StringTable,
  type EventDoc,
  type GridDoc,
  type SeriesDoc,
} from '../sim/report/grid/model.js';
import { budgetOf, strategyText } from '../sim/report/grid/recorder.js';
import { renderReportHtml } from '../sim/report/html/page.js';
import { UsageError } from './errors.js';
import { formatDuration } from './output.js';
import type { PlanInput } from './planinput.js';
import type { RolloutView } from './plan-rollout.js';
import { rolloutSummaryLines } from './plan-rolloutend.js';
import { colors } from '../sim/report/format.js';

const ZONE_LABEL = 'topology.kubernetes.io/zone';

function podsByNode(s: Snapshot): Map<string, Pod[]> {
  const uid = s.ds.metadata?.uid ?? '';
  const out = new Map<string, Pod[]>();
  for (const p of s.pods) {
    if (getControllerOf(p)?.uid !== uid) continue;
    const t = getTargetNodeName(p);
    if (!('node' in t)) continue;
    const list = out.get(t.node);
    if (list === undefined) out.set(t.node, [p]);
    else list.push(p);
  }
  return out;
}

/** Builds the grid document of a rollout preview; `view` supplies the summary lines. */
export function planGridDoc(input: PlanInput, view: RolloutView): GridDoc {
  const states: { plan: Plan | undefined; snap: Snapshot }[] = [
    { plan: undefined, snap: input.snapshot },
  ];
  previewRollout(input.snapshot, {
    onStep: (plan, after) => states.push({ plan, snap: after }),
  });
  const ds = input.snapshot.ds;
  const nodes = input.snapshot.nodes;
  const names = nodes.map((n) => n.metadata?.name ?? '');
  const strings = new StringTable();
  const pods: string[] = [];
  const podRev: number[] = [];
  const podIdx = new Map<string, number>();
  const prefix = `${ds.metadata?.name ?? ''}-`;
  const revOf = new Map<string, number>();
  const runs: number[][] = names.map(() => []);
  const series: SeriesDoc = {
    t: [],
    desired: [],
    updated: [],
    available: [],
    unavailable: [],
    budget: [],
  };
  const newest =
    states[1]?.plan?.history?.currentRevision.hash ??
    ds.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const events: EventDoc[] = [];
  // Where the preview ends held (paused, at the partition, ...), the nodes still on the stable
  // revision there are the held ones: their stable pods are drawn as pinned at every step.
  const pinned = heldStableHash(view);
  const held = new Set(view.rollout?.heldNodes ?? []);
  const eligible = makeEligibilityChecker(ds);
  const elig = nodes.map((n) => eligible(n));
  for (const [k, { plan, snap }] of states.entries()) {
    const t = k * 1000;
    for (const r of snap.revisions)
      revOf.set(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '', r.revision);
    const created = new Map(plan?.creates.map((c) => [c.node, c.reason]) ?? []);
    const deleted = new Map(plan?.deletes.map((d) => [d.node, d]) ?? []);
    const byNode = podsByNode(snap);
    const minReady = snap.ds.spec?.minReadySeconds ?? 0;
    let desired = 0;
    let updated = 0;
    let available = 0;
    nodes.forEach((_, i) => {
      const name = names[i]!;
      const e = elig[i]!;
      const list = byNode.get(name);
      const st = classifyNode(
        e,
        list,
        newest,
        minReady,
        snap.now,
        held.has(name) ? pinned : undefined,
      );
      let state = st.state;
      let pod = st.pod?.metadata?.name ?? '';
      let hash = st.hash;
      let why = st.why;
      const del = deleted.get(name);
      const made = created.get(name);
      if (made !== undefined) {
        // Created at this step: the preview counts it unavailable until the next one.
        state = S.pending;
        why = `created at this step: ${made}`;
      } else if (del !== undefined && state !== S.old && state !== S.available) {
        state = S.terminating;
        pod = del.name;
        hash = '';
        why = `deleted at this step: ${del.reason}`;
      }
      if (e.shouldRun) {
        desired++;
        const live = (list ?? []).filter((p) => !p.metadata?.deletionTimestamp);
        if (live.some((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === newest))
          updated++;
        if (made === undefined && live.some((p) => isPodAvailable(p, minReady, snap.now)))
          available++;
      }
      let p = -1;
      if (pod !== '') {
        p = podIdx.get(pod) ?? -1;
        if (p < 0) {
          p = pods.length;
          podIdx.set(pod, p);
          pods.push(pod.startsWith(prefix) ? pod.slice(prefix.length) : pod);
          podRev.push(revOf.get(hash) ?? 0);
        }
      }
      const run = runs[i]!;
      const w = strings.of(why);
      const n = run.length;
      if (n === 0 || run[n - 3] !== state || run[n - 2] !== p || run[n - 1] !== w)
        run.push(t, state, p, w);
    });
    series.t.push(t);
    series.desired.push(desired);
    series.updated.push(updated);
    series.available.push(available);
    series.unavailable.push(desired - available);
    series.budget.push(budgetOf(snap.ds, desired));
    if (plan !== undefined) events.push({ t, kind: 'step', text: stepText(k, plan), ds: 0 });
  }
  const zones = nodes.map((n) => n.metadata?.labels?.[ZONE_LABEL] ?? '');
  const zoneValues = [...new Set(zones.filter((z) => z !== ''))].sort();
  const labels = states.map((_, k) =>
    k === 0 ? 'start' : `+${formatDuration(view.steps[k - 1]?.offsetSeconds ?? 0)}`,
  );
  return {
    version: 1,
    title: `everynode plan --rollout ${view.daemonSet.namespace}/${view.daemonSet.name}`,
    subtitle: `from ${view.now}; ${states.length - 1} steps; assuming new pods are Ready at once and available after minReadySeconds (${view.minReadySeconds}s)`,
    axis: { kind: 'step', endT: states.length * 1000, labels },
    states: NODE_STATES,
    marks: NODE_MARKS,
    nodes: {
      names,
      attrs:
        zoneValues.length === 0
          ? {}
          : { zone: { values: zoneValues, of: zones.map((z) => zoneValues.indexOf(z)) } },
    },
    strings: strings.values,
    daemonSets: [
      {
        key: `${view.daemonSet.namespace}/${view.daemonSet.name}`,
        strategy: strategyText(ds),
        facts: summaryFacts(view),
        podPrefix: prefix,
        pods,
        podRev,
        revisions: [],
        runs: runs.map((r) => deltaEncode(r, 4)),
        marks: names.map(() => []),
        series,
      },
    ],
    events,
    checks: [],
  };
}

function stepText(k: number, plan: Plan): string {
  const parts: string[] = [];
  if (plan.creates.length > 0)
    parts.push(`create on ${plan.creates.map((c) => c.node).join(', ')}`);
  if (plan.deletes.length > 0)
    parts.push(`delete ${plan.deletes.map((d) => `${d.name} (${d.node || '-'})`).join(', ')}`);
  return `step ${k}: ${parts.join('; ') || 'history only'}`;
}

/** The stable revision's hash when the preview ends with the rollout holding nodes on it. */
function heldStableHash(view: RolloutView): string | undefined {
  const r = view.rollout;
  if (r === undefined || r.stableRevision === null || r.stableRevision === r.updateRevision)
    return undefined;
  if (r.hold === null && r.suspend === null && !r.aborted) return undefined;
  const prefix = `${view.daemonSet.name}-`;
  return r.stableRevision.startsWith(prefix)
    ? r.stableRevision.slice(prefix.length)
    : r.stableRevision;
}

function summaryFacts(view: RolloutView): string[] {
  const desired = view.finalStatus?.desiredNumberScheduled ?? view.budget?.desired ?? 0;
  const facts = [
    `${view.totalSteps} steps over ${formatDuration(view.durationSeconds)}; at most ${view.peakUnavailable} of ${desired} nodes unavailable at once (${view.initialUnavailable} before the first step)`,
  ];
  if (view.updateOrder.length > 0) facts.push(`order: ${view.updateOrder.join(', ')}`);
  if (view.error !== null) facts.push(`stopped: ${view.error}`);
  else if (!view.converged) facts.push('stopped: the rollout did not settle within the step limit');
  // everynode's rollout controls: the phase at the end, what holds it, the deadline (the text
  // summary's lines, as plain facts: `Held:    x` becomes `held: x`, no code quotes).
  if (view.rollout !== undefined)
    for (const line of rolloutSummaryLines(view.rollout, colors(false)))
      facts.push(
        line.replace(/^(\w+):\s+/, (_, k: string) => `${k.toLowerCase()}: `).replaceAll('`', ''),
      );
  return facts;
}

/** Writes the preview's HTML report; a file that cannot be written is a UsageError. */
export async function writePlanReport(
  path: string,
  input: PlanInput,
  view: RolloutView,
): Promise<number> {
  const html = renderReportHtml(planGridDoc(input, view));
  try {
    await writeFile(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--report: cannot write ${path}${code ? ` (${code})` : ''}`);
  }
  return Buffer.byteLength(html);
}
