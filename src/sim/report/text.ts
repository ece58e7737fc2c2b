/**
 * The final text summary: one table row per DaemonSet, the timeline of what happened, the API
 * writes, and the checks, in that order, so the verdict is the last thing on screen.
 */
import type { DaemonSet } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { formatDuration, formatOffset } from '../duration.js';
import type { JournalEntry } from '../journal.js';
import type { DsTrack } from '../observer.js';
import type { SimResult } from '../runner.js';
import { colors, columns, visibleWidth, wrapText, type Colors } from './format.js';
import { apiWrites } from './stats.js';
import { rolloutHold } from './grid/rolloutstate.js';

const MAX_TIMELINE = 40;

/** Options for the summary. */
export interface SummaryOptions {
  readonly color: boolean;
  /** The terminal's width: tables drop or shorten columns, long lines wrap. Unset: no limit. */
  readonly width?: number | undefined;
}

/** A width with no limit, for pipes and files. */
const UNLIMITED = 1_000_000;

function rolloutCell(t: DsTrack | undefined, c: Colors, hold: string | undefined): string {
  const rollouts = (t?.rollouts ?? []).filter((r) => !r.initial);
  if (rollouts.length === 0) return c.dim('—');
  return rollouts
    .map((r) => {
      if (r.superseded)
        return c.dim(
          `rev ${r.revision} superseded after ${formatDuration((r.finishedAtMs ?? 0) - r.startedAtMs)}`,
        );
      if (r.finishedAtMs === undefined)
        // The last rollout may be held on purpose (paused, at its partition, aborted, a gate).
        return c.yellow(
          `rev ${r.revision} ${r === rollouts[rollouts.length - 1] && hold !== undefined ? `held (${hold})` : 'not finished'} (max ${r.maxUnavailable} unavailable)`,
        );
      return `rev ${r.revision} in ${formatDuration(r.finishedAtMs - r.startedAtMs)}, max ${r.maxUnavailable} unavailable`;
    })
    .join('; ');
}

function dsTable(r: SimResult, c: Colors, width: number): string[] {
  const wide = dsRows(r, c, false);
  if (Math.max(...wide.table.map(visibleWidth)) <= width) return [...wide.table, ...wide.notes];
  // Narrow: short headers, no CURRENT and READY, the rollouts on lines of their own.
  const narrow = dsRows(r, c, true);
  return [...narrow.table, ...narrow.rollouts, ...narrow.notes].flatMap((l) =>
    visibleWidth(l) <= width ? [l] : [`${l.slice(0, Math.max(10, width - 1))}…`],
  );
}

function dsRows(
  r: SimResult,
  c: Colors,
  narrow: boolean,
): { table: string[]; rollouts: string[]; notes: string[] } {
  const { sim } = r;
  const headers = narrow
    ? ['DAEMONSET', 'DES', 'UPD', 'AVL', 'CONVERGED']
    : [
        'DAEMONSET',
        'DESIRED',
        'CURRENT',
        'UPDATED',
        'READY',
        'AVAILABLE',
        'CONVERGED AT',
        'ROLLOUTS',
      ];
  const rows: string[][] = [headers.map((h) => c.bold(h))];
  const notes: string[] = [];
  const rollouts: string[] = [];
  const dss = [...sim.world.daemonSets.values()].sort((a: DaemonSet, b: DaemonSet) =>
    objectKey(a) < objectKey(b) ? -1 : 1,
  );
  for (const ds of dss) {
    const key = objectKey(ds);
    const t = sim.observer.tracks.get(key);
    const s = ds.status;
    const ok = t?.view?.converged === true;
    const converged =
      ok && t.convergedAtMs !== undefined
        ? formatDuration(t.convergedAtMs)
        : c.yellow(narrow ? 'no' : 'not converged');
    const desired = String(s?.desiredNumberScheduled ?? 0);
    const updated = String(s?.updatedNumberScheduled ?? 0);
    const available = String(s?.numberAvailable ?? 0);
    rows.push(
      narrow
        ? [ok ? key : c.yellow(key), desired, updated, available, converged]
        : [
            ok ? key : c.yellow(key),
            desired,
            String(s?.currentNumberScheduled ?? 0),
            updated,
            String(s?.numberReady ?? 0),
            available,
            converged,
            rolloutCell(t, c, rolloutHold(ds)),
          ],
    );
    if (narrow && (t?.rollouts ?? []).some((x) => !x.initial))
      rollouts.push(`  ${key}: ${rolloutCell(t, c, rolloutHold(ds))}`);
    if (!ok) notes.push(`  ${c.yellow('!')} ${key}: ${t?.view?.why ?? 'never observed'}`);
  }
  if (dss.length === 0) return { table: [c.dim('  (no DaemonSets)')], rollouts, notes };
  const right = new Set(narrow ? [1, 2, 3, 4] : [1, 2, 3, 4, 5, 6]);
  return { table: columns(rows, right).map((l) => `  ${l}`), rollouts, notes };
}

function timeline(entries: readonly JournalEntry[], c: Colors, width: number): string[] {
  const paint = (e: JournalEntry, message: string): string => {
    switch (e.kind) {
      case 'rollout':
        return c.cyan(message);
      case 'warning':
        return c.yellow(message);
      case 'node':
        return message;
      case 'controller':
        return c.magenta(message);
      default:
        return message;
    }
  };
  const shown =
    entries.length > MAX_TIMELINE
      ? [...entries.slice(0, MAX_TIMELINE - 10), ...entries.slice(-10)]
      : entries;
  // "    1m30s  " is 11 columns; continuation lines line up under the message.
  const out = shown.map((e) => {
    const lines = wrapText(e.message, width, 11).map((l, i) => paint(e, i === 0 ? l : l.slice(11)));
    return [
      `  ${c.dim(formatOffset(e.atMs))}  ${lines[0]!}`,
      ...lines.slice(1).map((l) => `${' '.repeat(11)}${l}`),
    ].join('\n');
  });
  if (entries.length > MAX_TIMELINE)
    out.splice(
      MAX_TIMELINE - 10,
      0,
      c.dim(`  … ${entries.length - MAX_TIMELINE} more entries (-o json has them all)`),
    );
  return out;
}

function writes(r: SimResult, c: Colors, width: number): string[] {
  const w = apiWrites(r.sim);
  const ctl = w.controller!;
  const parts = Object.entries(ctl.byVerbKind).map(([k, n]) => `${k} ${n}`);
  const simTotal = ['scheduler', 'kubelet', 'node-lifecycle'].reduce(
    (n, k) => n + (w[k]?.total ?? 0),
    0,
  );
  // Labels take 20 columns; the breakdown in brackets wraps under the count.
  const line = (label: string, total: string, detail: string): string[] => {
    const head = `  ${label.padEnd(18)}${total}`;
    if (detail === '') return [head];
    const wrapped = wrapText(`(${detail})`, width, 20, visibleWidth(head) + 2);
    return [`${head}  ${c.dim(wrapped[0])}`, ...wrapped.slice(1).map((l) => c.dim(l))];
  };
  return [
    ...line('controller', c.bold(String(ctl.total)), parts.join(' · ')),
    ...line(
      'simulated cluster',
      String(simTotal),
      `scheduler ${w.scheduler!.total} · kubelets ${w.kubelet!.total} · node lifecycle ${w['node-lifecycle']!.total}`,
    ),
  ];
}

function checks(r: SimResult, c: Colors, width: number): string[] {
  if (r.checks.length === 0) return [c.dim('  (the scenario has no expect: checks)')];
  const wrap = (text: string, indent: number): string[] =>
    wrapText(text, width, indent, indent).map((l, i) => (i === 0 ? l : l.slice(indent)));
  return r.checks.flatMap((k) => {
    const name = wrap(k.name, 4).map((l, i) => (i === 0 ? l : `    ${l}`));
    if (k.passed) return [`  ${c.green('✓')} ${name[0]!}`, ...name.slice(1)];
    return [
      `  ${c.red('✗')} ${name[0]!}`,
      ...name.slice(1),
      ...wrap(k.message, 6).map((l) => `      ${c.red(l)}`),
      ...wrap(`at ${formatDuration(k.atMs)} · ${k.where}`, 6).map((l) => `      ${c.dim(l)}`),
    ];
  });
}

/** Renders the summary printed at the end of `everynode sim`. */
export function renderSummary(r: SimResult, opts: SummaryOptions): string {
  const c = colors(opts.color);
  const width = Math.max(40, opts.width ?? UNLIMITED);
  const failed = r.checks.filter((k) => !k.passed).length;
  const stop =
    r.stopReason === 'converged'
      ? 'converged'
      : r.stopReason === 'timeLimit'
        ? 'time limit reached'
        : 'nothing left to happen';
  // The scenario's nodes at the start (as the timeline's first line counts them) and at the end.
  const atStart = r.scenario.nodes.length;
  const atEnd = r.sim.world.nodes.size;
  const nodes =
    atStart === atEnd ? `${atEnd} nodes` : `${atStart} nodes at the start, ${atEnd} at the end`;
  const facts = `seed ${r.seed} · ${nodes} · ${formatDuration(r.virtualMs)} simulated in ${(r.wallMs / 1000).toFixed(1)}s · ${stop}`;
  const title = `${c.bold('everynode sim')} ${r.scenario.name}`;
  const header =
    visibleWidth(title) + 3 + facts.length <= width
      ? `${title} ${c.dim(`· ${facts}`)}`
      : [title, ...wrapText(facts, width, 0).map((l) => c.dim(l))].join('\n');
  const verdict =
    r.checks.length === 0
      ? c.dim('no checks')
      : failed === 0
        ? c.green(c.bold(`all ${r.checks.length} checks passed`))
        : c.red(c.bold(`${failed} of ${r.checks.length} checks failed`));
  const about =
    r.scenario.description === ''
      ? []
      : [c.dim(wrapText(r.scenario.description, Math.min(100, width), 0).join('\n'))];
  return [
    '',
    header,
    ...about,
    '',
    ...dsTable(r, c, width),
    '',
    c.bold('Timeline'),
    ...timeline(r.sim.journal.entries, c, width),
    '',
    c.bold('API writes'),
    ...writes(r, c, width),
    '',
    c.bold('Checks'),
    ...checks(r, c, width),
    '',
    verdict,
    '',
  ].join('\n');
}
