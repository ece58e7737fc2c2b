/**
 * `everynode plan --rollout`: the whole rollout from the given state, step by step, as the engine's
 * previewRollout computes it (each new pod available minReadySeconds after it is created),
 * printed as JSON/YAML or as a step table with a summary.
 */
import type { DaemonSetStatus } from '../api/types.js';
import { formatTime, TEMPLATE_GENERATION_ANNOTATION } from '../api/types.js';
import { resolveBudget } from '../engine/budget.js';
import { previewRollout } from '../engine/rollout.js';
import { UsageError } from './errors.js';
import { colorsFor, formatDuration, formatFields, formatTable } from './output.js';
import type { Cell } from './output.js';
import type { PlanInput } from './planinput.js';
import { wrapLastColumn } from './plan-view.js';
import { wrapText } from '../sim/report/format.js';
import { endOfRollout, rolloutSummaryLines } from './plan-rolloutend.js';
import { rolloutFields, type RolloutInfoView } from './plan-rolloutinfo.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** One step as printed: a reconcile that planned something, with its writes applied. */
export interface RolloutStepView {
  /** 1-based. */
  readonly step: number;
  readonly time: string;
  /** Seconds since the first step. */
  readonly offsetSeconds: number;
  /** Nodes getting a new pod. */
  readonly create: readonly string[];
  /** Pods deleted, with the node each was on ("" when unknown). */
  readonly delete: readonly { readonly name: string; readonly node: string }[];
  /** Eligible nodes without an available pod after this step. */
  readonly unavailable: number;
  readonly maxPodsOnANode: number;
  /** Of `create`, the nodes whose new pod is pinned to the stable revision (absent: none). */
  readonly pinned?: readonly string[];
}

/** The document `everynode plan --rollout -o json|yaml` prints. */
export interface RolloutView {
  readonly daemonSet: {
    readonly namespace: string;
    readonly name: string;
    readonly templateGeneration: string;
  };
  readonly now: string;
  readonly strategy: string;
  readonly minReadySeconds: number;
  /** maxUnavailable and maxSurge resolved against desiredNumberScheduled; null when not RollingUpdate. */
  readonly budget: {
    readonly desired: number;
    readonly maxUnavailable: number;
    readonly maxSurge: number;
  } | null;
  readonly totalSteps: number;
  readonly durationSeconds: number;
  readonly initialUnavailable: number;
  /** The most eligible nodes without an available pod at once. */
  readonly peakUnavailable: number;
  readonly converged: boolean;
  readonly error: string | null;
  readonly steps: readonly RolloutStepView[];
  /** Nodes in the order they first got a new pod. */
  readonly updateOrder: readonly string[];
  /** The status at the end of the preview. */
  readonly finalStatus: DaemonSetStatus | null;
  readonly notes: readonly string[];
  /**
   * everynode's rollout where the preview ends (phase, revisions, what holds it, the deadline),
   * and the nodes whose pod is not at the update revision there; absent for plain apps/v1.
   */
  readonly rollout?: RolloutInfoView & { readonly heldNodes: readonly string[] };
}

/** Runs the engine's rollout preview on the loaded input. */
export function rolloutView(input: PlanInput): RolloutView {
  const { snapshot } = input;
  // Which creates of each step are pinned to the stable revision (by the step's time).
  const pinnedAt = new Map<number, string[]>();
  const preview = previewRollout(snapshot, {
    onStep: (plan, after) => {
      const pinned = plan.creates.filter((c) => c.pinned !== undefined).map((c) => c.node);
      if (pinned.length > 0) pinnedAt.set(after.now, pinned);
    },
  });
  const ds = snapshot.ds;
  const nodeOf = new Map<string, string>();
  for (const pods of [snapshot.pods, preview.final.pods]) {
    for (const p of pods) {
      const node = p.spec?.nodeName ?? pinnedNode(p.spec?.affinity);
      if (p.metadata?.name && node) nodeOf.set(p.metadata.name, node);
    }
  }
  const start = preview.steps[0]?.time ?? snapshot.now;
  const steps = preview.steps.map((s, i): RolloutStepView => ({
    step: i + 1,
    time: formatTime(s.time),
    offsetSeconds: (s.time - start) / 1000,
    create: s.createdOn,
    delete: s.deleted.map((name) => ({ name, node: nodeOf.get(name) ?? '' })),
    unavailable: s.unavailable,
    maxPodsOnANode: s.maxPodsOnANode,
    ...(pinnedAt.has(s.time) ? { pinned: pinnedAt.get(s.time)! } : {}),
  }));
  const strategy = ds.spec?.updateStrategy?.type ?? 'RollingUpdate';
  const desired = preview.final.ds.status?.desiredNumberScheduled ?? 0;
  const seen = new Set<string>();
  for (const s of steps) for (const n of s.create) seen.add(n);
  return {
    daemonSet: {
      namespace: ds.metadata?.namespace ?? '',
      name: ds.metadata?.name ?? '',
      templateGeneration: ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? '',
    },
    now: formatTime(snapshot.now),
    strategy,
    minReadySeconds: ds.spec?.minReadySeconds ?? 0,
    budget: strategy === 'RollingUpdate' ? budgetOf(input, desired) : null,
    totalSteps: preview.totalSteps,
    durationSeconds: steps.at(-1)?.offsetSeconds ?? 0,
    initialUnavailable: preview.initialUnavailable,
    peakUnavailable: preview.peakUnavailable,
    converged: preview.converged,
    error: preview.error ?? null,
    steps,
    updateOrder: [...seen],
    finalStatus: preview.final.ds.status ?? null,
    notes: input.notes,
    ...endOfRollout(preview.final),
  };
}

function budgetOf(input: PlanInput, desired: number): RolloutView['budget'] {
  try {
    const b = resolveBudget(input.snapshot.ds, desired);
    return { desired: b.desired, maxUnavailable: b.maxUnavailable, maxSurge: b.maxSurge };
  } catch (err) {
    throw new UsageError(`${input.snapshot.ds.metadata?.name ?? ''}: ${(err as Error).message}`);
  }
}

function pinnedNode(affinity: unknown): string | undefined {
  const terms = (
    affinity as
      | {
          nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: {
              nodeSelectorTerms?: {
                matchFields?: { key: string; operator: string; values?: string[] }[];
              }[];
            };
          };
        }
      | undefined
  )?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const t of terms ?? []) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1)
        return f.values[0];
    }
  }
  return undefined;
}

/** At most this many names per cell in the step table; JSON has them all. */
const MAX_IN_CELL = 6;

function list(items: readonly string[]): string {
  if (items.length === 0) return '-';
  if (items.length <= MAX_IN_CELL) return items.join(', ');
  return `${items.slice(0, MAX_IN_CELL).join(', ')} (+${items.length - MAX_IN_CELL} more)`;
}

/** Renders the rollout as a step table and a summary; colour only on a terminal. */
export function renderRollout(
  view: RolloutView,
  stream: { readonly isTTY?: boolean; readonly columns?: number },
): string {
  const c = colorsFor(stream);
  const width = stream.isTTY === true && stream.columns ? stream.columns : Infinity;
  const b = view.budget;
  const budget =
    b === null
      ? `${view.strategy} (the controller replaces no old pods; deleting them is up to you)`
      : `${view.strategy}, maxUnavailable ${b.maxUnavailable}, maxSurge ${b.maxSurge} (of ${b.desired} desired)`;
  const out: string[] = [
    formatFields(
      [
        ['DaemonSet', `${view.daemonSet.namespace}/${view.daemonSet.name}`],
        ['Strategy', budget],
        [
          'Assuming',
          `new pods are Ready at once and available after minReadySeconds (${view.minReadySeconds}s); one sync every ${formatDuration(view.minReadySeconds + 1)}`,
        ],
        ['Starting at', view.now],
        // The controls are the spec's; the phase and conditions are where the preview ends.
        ...(view.rollout === undefined
          ? []
          : rolloutFields(view.rollout, c).filter(([k]) => k === 'Controls' || k === 'Gates')),
      ],
      { keyStyle: c.bold },
    ),
  ];
  for (const note of view.notes) out.push(c.dim(`Note: ${note}`));
  out.push('', c.bold('Steps:'));
  if (view.steps.length === 0)
    out.push(
      view.rollout?.hold === 'paused' || view.rollout?.suspend === 'Freeze'
        ? `  <none>: the rollout is ${view.rollout.suspend === 'Freeze' ? 'frozen' : 'paused'}`
        : '  <none>: nothing to do from this state',
    );
  else {
    const rows = view.steps.map((s): Cell[] => [
      String(s.step),
      `+${formatDuration(s.offsetSeconds)}`,
      s.create.length === 0
        ? '-'
        : {
            // A pod pinned to the stable revision says so: "worker-4 (stable)".
            text: list(s.create.map((n) => (s.pinned?.includes(n) ? `${n} (stable)` : n))),
            style: c.green,
          },
      s.delete.length === 0
        ? '-'
        : {
            text: list(s.delete.map((d) => (d.node ? `${d.name} (${d.node})` : d.name))),
            style: c.red,
          },
      String(s.unavailable),
    ]);
    const table = formatTable(['STEP', 'TIME', 'CREATE ON', 'DELETE', 'UNAVAILABLE'], rows, {
      indent: 2,
      headerStyle: c.dim,
      rightAlign: [0, 4],
    });
    const fits = table.split('\n').every((l) => l.replace(ANSI, '').length < width);
    // Narrow terminal: the counts first, the pods deleted last, wrapped under their column.
    out.push(
      fits
        ? table
        : wrapLastColumn(
            formatTable(
              ['STEP', 'TIME', 'UNAVAILABLE', 'CREATE ON', 'DELETE'],
              rows.map((r) => [r[0]!, r[1]!, r[4]!, r[2]!, r[3]!]),
              { indent: 2, headerStyle: c.dim, rightAlign: [0, 2] },
            ),
            'DELETE',
            width,
          ),
    );
  }
  out.push('', summary(view, c));
  if (!Number.isFinite(width)) return out.join('\n') + '\n';
  // Long lines of the header and the summary wrap under their value on a narrow terminal.
  const fitted = out
    .join('\n')
    .split('\n')
    .flatMap((l) => {
      const plain = l.replace(ANSI, '');
      if (plain.length < width || !/^[A-Z][a-z ]+: +\S/.test(plain)) return [l];
      const at = /^[A-Z][a-z ]+: +/.exec(plain)![0].length;
      const wrapped = wrapText(plain.slice(at), width - 1, at, at);
      return [`${l.slice(0, l.length - plain.length + at)}${wrapped[0]!}`, ...wrapped.slice(1)];
    });
  return fitted.join('\n') + '\n';
}

function summary(view: RolloutView, c: ReturnType<typeof colorsFor>): string {
  const lines: string[] = [];
  const steps = `${view.totalSteps} ${view.totalSteps === 1 ? 'step' : 'steps'}`;
  const over = view.totalSteps > 1 ? ` over ${formatDuration(view.durationSeconds)}` : '';
  const desired = view.finalStatus?.desiredNumberScheduled ?? view.budget?.desired ?? 0;
  const peak = `at most ${view.peakUnavailable} of ${desired} nodes unavailable at once`;
  const start =
    view.initialUnavailable > 0 ? ` (${view.initialUnavailable} before the first step)` : '';
  lines.push(`${c.bold('Rollout:')} ${steps}${over}; ${peak}${start}.`);
  if (view.updateOrder.length > 0) lines.push(`${c.bold('Order:')}   ${list(view.updateOrder)}`);
  const f = view.finalStatus;
  if (f) {
    lines.push(
      `${c.bold('End:')}     ${f.updatedNumberScheduled ?? 0} of ${f.desiredNumberScheduled} nodes updated, ${f.numberAvailable ?? 0} available, ${f.numberMisscheduled} misscheduled.`,
    );
  }
  if (view.rollout !== undefined) lines.push(...rolloutSummaryLines(view.rollout, c));
  if (view.error !== null) lines.push(c.red(`Stopped: ${view.error}`));
  else if (!view.converged)
    lines.push(c.yellow('Stopped: the rollout did not settle within the step limit.'));
  return lines.join('\n');
}
