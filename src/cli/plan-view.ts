/**
 * What `everynode plan` prints: the Plan reshaped into the stable JSON/YAML document scripts rely
 * on (PlanView), and the same document as readable tables.
 */
import type { DaemonSetStatus } from '../api/types.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  formatTime,
  TEMPLATE_GENERATION_ANNOTATION,
} from '../api/types.js';
import type { ActionSource, Plan, RevisionRef } from '../engine/types.js';
import { colorsFor, formatDuration, formatFields, formatTable } from './output.js';
import type { Cell, Colors } from './output.js';
import type { PlanInput } from './planinput.js';
import { rolloutFields, rolloutInfo, type RolloutInfoView } from './plan-rolloutinfo.js';

/** One node's decision, as printed. `reason` is empty when the node runs a pod with nothing to report. */
export interface NodeView {
  readonly name: string;
  readonly shouldRun: boolean;
  readonly shouldContinueRunning: boolean;
  readonly reason: string;
  readonly pods: readonly string[];
}

/** The history part of the plan. */
export interface HistoryView {
  readonly currentRevision: RevisionRef;
  /** The revision to create (name, revision number, hash), or null when one matches the template. */
  readonly createRevision: RevisionRef | null;
  readonly deleteRevisions: readonly string[];
  /** Revisions renumbered to the top (a rollback to an old template). */
  readonly updateRevisions: readonly { readonly name: string; readonly revision: number }[];
  readonly labelRevisions: readonly string[];
  readonly relabelPods: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
  }[];
  readonly oldRevisions: readonly RevisionRef[];
}

/** The document `everynode plan -o json|yaml` prints; the keys named in the README are stable. */
export interface PlanView {
  readonly daemonSet: {
    readonly namespace: string;
    readonly name: string;
    readonly uid: string;
    readonly generation: number;
    readonly templateGeneration: string;
  };
  readonly now: string;
  /** Set when the sync stops early (SelectingAll, BeingDeleted): nothing but events happens. */
  readonly skip: string | null;
  readonly nodes: readonly NodeView[];
  readonly create: readonly {
    readonly node: string;
    readonly revisionHash: string;
    readonly reason: string;
    readonly source: ActionSource;
    /** Present when the pod is pinned to the stable revision: why the node is held. */
    readonly pinned?: string;
  }[];
  readonly delete: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly node: string;
    /** The pod's controller-revision-hash label ("" when it has none). */
    readonly revisionHash: string;
    readonly reason: string;
    readonly source: ActionSource;
  }[];
  readonly claims: Plan['claims'];
  readonly history: HistoryView | null;
  readonly status: DaemonSetStatus;
  /** The status as read from the file, for comparison (null when the file has none). */
  readonly storedStatus: DaemonSetStatus | null;
  readonly statusChanged: boolean;
  readonly events: readonly {
    readonly type: string;
    readonly reason: string;
    readonly message: string;
  }[];
  readonly requeueAfterSeconds: number | null;
  /** A step that failed (e.g. a malformed budget); the controller would requeue with rate limiting. */
  readonly error: string | null;
  /** What the loader filled in or skipped (a made-up uid, pods in other namespaces). */
  readonly notes: readonly string[];
  /** everynode's rollout (phase, revisions, controls); absent for a plain apps/v1 DaemonSet. */
  readonly rollout?: RolloutInfoView;
}

/** Builds the printed document from the loaded input and the engine's plan. */
export function planView(input: PlanInput, plan: Plan): PlanView {
  const ds = input.snapshot.ds;
  const h = plan.history;
  const podHash = new Map(
    input.snapshot.pods.map((p) => [
      `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`,
      p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '',
    ]),
  );
  return {
    daemonSet: {
      namespace: ds.metadata?.namespace ?? '',
      name: ds.metadata?.name ?? '',
      uid: ds.metadata?.uid ?? '',
      generation: ds.metadata?.generation ?? 0,
      templateGeneration: ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? '',
    },
    now: formatTime(input.snapshot.now),
    skip: plan.skip,
    nodes: plan.nodes.map((n) => ({
      name: n.name,
      shouldRun: n.shouldRun,
      shouldContinueRunning: n.shouldContinueRunning,
      reason: n.reason,
      pods: n.pods,
    })),
    create: plan.creates.map((c) => ({
      node: c.node,
      revisionHash: c.revisionHash,
      reason: c.reason,
      source: c.source,
      ...(c.pinned === undefined ? {} : { pinned: c.pinned }),
    })),
    delete: plan.deletes.map((d) => ({
      namespace: d.namespace,
      name: d.name,
      node: d.node,
      revisionHash: podHash.get(`${d.namespace}/${d.name}`) ?? '',
      reason: d.reason,
      source: d.source,
    })),
    claims: plan.claims,
    history:
      h === null
        ? null
        : {
            currentRevision: h.currentRevision,
            createRevision: h.createRevision === null ? null : h.currentRevision,
            deleteRevisions: h.deleteRevisions,
            updateRevisions: h.updateRevisions,
            labelRevisions: h.labelRevisions,
            relabelPods: h.relabelPods,
            oldRevisions: h.oldRevisions,
          },
    status: plan.status,
    storedStatus: ds.status ?? null,
    statusChanged: plan.statusChanged,
    events: plan.events.map((e) => ({ type: e.type, reason: e.reason, message: e.message })),
    requeueAfterSeconds: plan.requeueAfterMs === null ? null : plan.requeueAfterMs / 1000,
    error: plan.error ?? null,
    notes: input.notes,
    ...withRollout(rolloutInfo(ds, plan)),
  };
}

function withRollout(info: RolloutInfoView | null): { rollout?: RolloutInfoView } {
  return info === null ? {} : { rollout: info };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Fits a table whose last column is a reason to the terminal: the reason wraps under its column,
 * or, when that column would be narrower than 40, goes on lines of its own under the row.
 */
export function wrapLastColumn(table: string, header: string, width: number): string {
  if (!Number.isFinite(width)) return table;
  const lines = table.split('\n');
  const at = lines[0]!.replace(ANSI, '').lastIndexOf(header);
  if (at < 0 || lines.every((l) => l.replace(ANSI, '').length < width)) return table;
  const below = width - at < 40;
  const indent = below ? 6 : at;
  const room = width - indent - 1;
  return lines
    .map((line, n) => {
      const raw = rawIndex(line, at);
      const head = line.slice(0, raw);
      if (n === 0) return below ? head.trimEnd() : line;
      if (line.replace(ANSI, '').length < width && !below) return line;
      const out: string[] = below ? [head.trimEnd()] : [];
      const cell = line.slice(raw);
      if (below && cell.replace(ANSI, '').trim() === '-') return out.join('\n');
      // Under the row, the text says which column it is.
      let rest = below ? `${header.toLowerCase()}: ${cell}` : cell;
      let first = !below;
      while (rest !== '') {
        let cut = rest.length <= room ? rest.length : rest.lastIndexOf(' ', room);
        if (cut <= 0) cut = Math.min(room, rest.length);
        out.push((first ? head : ' '.repeat(indent)) + rest.slice(0, cut));
        rest = rest.slice(cut).trimStart();
        first = false;
      }
      return out.join('\n');
    })
    .join('\n');
}

/** The index in `line` of its visible column `col` (colour codes take no columns). */
function rawIndex(line: string, col: number): number {
  let raw = 0;
  for (let seen = 0; raw < line.length && seen < col;) {
    // eslint-disable-next-line no-control-regex
    const m = /^\u001b\[[0-9;]*m/.exec(line.slice(raw));
    if (m !== null) raw += m[0].length;
    else {
      raw++;
      seen++;
    }
  }
  return raw;
}

/** The seven counters and observedGeneration, in the order `kubectl get ds` reads them. */
const STATUS_COLUMNS: readonly (readonly [string, keyof DaemonSetStatus])[] = [
  ['DESIRED', 'desiredNumberScheduled'],
  ['CURRENT', 'currentNumberScheduled'],
  ['READY', 'numberReady'],
  ['UP-TO-DATE', 'updatedNumberScheduled'],
  ['AVAILABLE', 'numberAvailable'],
  ['UNAVAILABLE', 'numberUnavailable'],
  ['MISSCHEDULED', 'numberMisscheduled'],
  ['OBSERVED-GEN', 'observedGeneration'],
];

/** Renders the plan as sections of kubectl-style tables; colour only on a terminal. */
export function renderPlanTable(
  view: PlanView,
  stream: { readonly isTTY?: boolean; readonly columns?: number },
): string {
  const c = colorsFor(stream);
  // On a terminal, tables that would wrap take a narrower form; pipes get the full one.
  const width = stream.isTTY === true && stream.columns ? stream.columns : Infinity;
  const out: string[] = [];
  const heading = (s: string): void => {
    out.push('', c.bold(s));
  };
  out.push(...header(view, c, width));
  for (const note of view.notes) out.push(c.dim(`Note: ${note}`));

  heading('Nodes:');
  out.push(wrapLastColumn(nodesTable(view, c), 'REASON', width));

  heading('Actions:');
  const actions = actionRows(view, c);
  out.push(
    actions.length === 0
      ? '  <none>'
      : wrapLastColumn(
          formatTable(['ACTION', 'OBJECT', 'NODE', 'REASON'], actions, {
            indent: 2,
            headerStyle: c.dim,
          }),
          'REASON',
          width,
        ),
  );

  heading('Status:');
  out.push(statusTable(view, c, width));

  heading('Events:');
  out.push(
    view.events.length === 0
      ? '  <none>'
      : formatTable(
          ['TYPE', 'REASON', 'MESSAGE'],
          view.events.map((e) => [
            e.type === 'Warning' ? { text: e.type, style: c.yellow } : e.type,
            e.reason,
            e.message,
          ]),
          { indent: 2, headerStyle: c.dim },
        ),
  );
  out.push('', summary(view, c));
  return out.join('\n') + '\n';
}

function header(view: PlanView, c: Colors, width: number): string[] {
  const d = view.daemonSet;
  const h = view.history;
  let revision =
    h === null
      ? '-'
      : `${h.currentRevision.name} (revision ${h.currentRevision.revision}, hash ${h.currentRevision.hash}${h.createRevision ? ', to be created' : ''})`;
  // The hash is the end of the revision's name: narrow terminals do without it.
  if (h !== null && 13 + revision.length >= width)
    revision = `${h.currentRevision.name} (revision ${h.currentRevision.revision}${h.createRevision ? ', to be created' : ''})`;
  const fields: [string, string][] = [
    ['DaemonSet', `${d.namespace}/${d.name}`],
    // everynode's CRD keeps no template generation (the hash decides): none to show.
    [
      'Generation',
      d.templateGeneration === ''
        ? String(d.generation)
        : `${d.generation} (template generation ${d.templateGeneration})`,
    ],
    ['Revision', revision],
    ['Planned at', view.now],
    ...(view.rollout === undefined ? [] : rolloutFields(view.rollout, c)),
  ];
  if (view.skip !== null) fields.push(['Skipped', c.yellow(skipText(view.skip))]);
  if (view.error !== null)
    fields.push(['Error', c.red(`${view.error} (the controller would retry)`)]);
  return [formatFields(fields, { keyStyle: c.bold })];
}

function skipText(skip: string): string {
  if (skip === 'SelectingAll')
    return 'the selector is empty, so the controller does nothing (SelectingAll)';
  if (skip === 'BeingDeleted')
    return 'the DaemonSet is being deleted, so the controller does nothing';
  return skip;
}

function nodesTable(view: PlanView, c: Colors): string {
  if (view.skip !== null) return '  (not evaluated: the sync stops before looking at nodes)';
  if (view.nodes.length === 0) return '  <none> (no nodes in the file)';
  const decision = (b: boolean): Cell => (b ? 'yes' : { text: 'no', style: c.yellow });
  const rows = view.nodes.map((n): Cell[] => [
    n.name,
    decision(n.shouldRun),
    decision(n.shouldContinueRunning),
    n.pods.length === 0 ? '-' : n.pods.join(','),
    n.reason,
  ]);
  return formatTable(['NAME', 'SHOULD-RUN', 'CONTINUE', 'PODS', 'REASON'], rows, {
    indent: 2,
    headerStyle: c.dim,
  });
}

function actionRows(view: PlanView, c: Colors): Cell[][] {
  const rows: Cell[][] = [];
  const h = view.history;
  if (h?.createRevision) {
    const r = h.createRevision;
    rows.push([
      { text: 'create revision', style: c.green },
      `${r.name} (revision ${r.revision})`,
      '-',
      'no revision matches the template',
    ]);
  }
  for (const u of h?.updateRevisions ?? []) {
    rows.push([
      'renumber revision',
      `${u.name} -> revision ${u.revision}`,
      '-',
      'the template is back to this revision (rollback)',
    ]);
  }
  for (const name of h?.labelRevisions ?? []) {
    rows.push([
      'label revision',
      name,
      '-',
      'missing controller-revision-hash label; set to its name',
    ]);
  }
  for (const p of h?.relabelPods ?? []) {
    rows.push(['relabel pod', p.name, '-', 'duplicate current revisions merged']);
  }
  for (const cl of view.claims) {
    rows.push([
      `${cl.action} ${cl.kind === 'Pod' ? 'pod' : 'revision'}`,
      cl.name,
      '-',
      cl.action === 'adopt'
        ? 'orphan matching the selector'
        : 'owned, but labels no longer match the selector',
    ]);
  }
  for (const cr of view.create) {
    rows.push([
      { text: 'create pod', style: c.green },
      `${view.daemonSet.name}-xxxxx (hash ${cr.revisionHash}${cr.pinned === undefined ? '' : ', pinned to stable'})`,
      cr.node,
      sourced(cr.source, cr.reason),
    ]);
  }
  for (const d of view.delete) {
    rows.push([
      { text: 'delete pod', style: c.red },
      d.revisionHash ? `${d.name} (hash ${d.revisionHash})` : d.name,
      d.node === '' ? '-' : d.node,
      sourced(d.source, d.reason),
    ]);
  }
  for (const name of h?.deleteRevisions ?? []) {
    rows.push([
      { text: 'delete revision', style: c.red },
      name,
      '-',
      'beyond revisionHistoryLimit, or a duplicate',
    ]);
  }
  return rows;
}

function sourced(source: ActionSource, reason: string): string {
  return source === 'rollingUpdate' && !/^(rolling update|surge)/i.test(reason)
    ? `rolling update: ${reason}`
    : reason;
}

function statusTable(view: PlanView, c: Colors, width: number): string {
  const stored = view.storedStatus;
  const planned = view.status;
  const value = (s: DaemonSetStatus | null, key: keyof DaemonSetStatus): string => {
    const v = s?.[key];
    return typeof v === 'number' ? String(v) : '0';
  };
  const rows: Cell[][] = [
    ['stored', ...STATUS_COLUMNS.map(([, k]) => value(stored, k))],
    [
      'planned',
      ...STATUS_COLUMNS.map(([, k]): Cell => {
        const v = value(planned, k);
        return v === value(stored, k) ? v : { text: v, style: c.cyan };
      }),
    ],
  ];
  const table = formatTable(['', ...STATUS_COLUMNS.map(([h]) => h)], rows, {
    indent: 2,
    headerStyle: c.dim,
    rightAlign: STATUS_COLUMNS.map((_, i) => i + 1),
  });
  const note = view.statusChanged ? '' : `\n  ${c.dim('(unchanged: no status write)')}`;
  const widest = Math.max(...table.split('\n').map((l) => l.replace(ANSI, '').length));
  if (widest < width) return table + note;
  // Too wide for the terminal: one row per counter instead, stored and planned side by side.
  const tall = formatTable(
    ['', 'STORED', 'PLANNED'],
    STATUS_COLUMNS.map(([h, k]): Cell[] => {
      const before = value(stored, k);
      const after = value(planned, k);
      return [h, before, after === before ? after : { text: after, style: c.cyan }];
    }),
    { indent: 2, headerStyle: c.dim, rightAlign: [1, 2] },
  );
  return tall + note;
}

function summary(view: PlanView, c: Colors): string {
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [
    `${count(view.create.length, 'pod')} to create`,
    `${count(view.delete.length, 'pod')} to delete`,
  ];
  const h = view.history;
  if (h?.createRevision) parts.push('1 revision to create');
  if (h && h.deleteRevisions.length > 0)
    parts.push(`${count(h.deleteRevisions.length, 'revision')} to delete`);
  parts.push(view.statusChanged ? 'status changes' : 'status unchanged');
  const again =
    view.requeueAfterSeconds === null
      ? ''
      : `; reconcile again in ${formatDuration(view.requeueAfterSeconds)}`;
  return `${c.bold('Plan:')} ${parts.join(', ')}${again}.`;
}
