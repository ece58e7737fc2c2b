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
import { colors, columns, type Colors } from './format.js';
import { apiWrites } from './stats.js';

const MAX_TIMELINE = 40;

/** Options for the summary. */
export interface SummaryOptions {
  readonly color: boolean;
}

function rolloutCell(t: DsTrack | undefined, c: Colors): string {
  const rollouts = (t?.rollouts ?? []).filter((r) => !r.initial);
  if (rollouts.length === 0) return c.dim('—');
  return rollouts
    .map((r) => {
      if (r.superseded)
        return c.dim(
          `rev ${r.revision} superseded after ${formatDuration((r.finishedAtMs ?? 0) - r.startedAtMs)}`,
        );
      if (r.finishedAtMs === undefined)
        return c.yellow(`rev ${r.revision} not finished (max ${r.maxUnavailable} unavailable)`);
      return `rev ${r.revision} in ${formatDuration(r.finishedAtMs - r.startedAtMs)}, max ${r.maxUnavailable} unavailable`;
    })
    .join('; ');
}

function dsTable(r: SimResult, c: Colors): string[] {
  const { sim } = r;
  const rows: string[][] = [
    [
      'DAEMONSET',
      'DESIRED',
      'CURRENT',
      'UPDATED',
      'READY',
      'AVAILABLE',
      'CONVERGED AT',
      'ROLLOUTS',
    ].map((h) => c.bold(h)),
  ];
  const notes: string[] = [];
  const dss = [...sim.world.daemonSets.values()].sort((a: DaemonSet, b: DaemonSet) =>
    objectKey(a) < objectKey(b) ? -1 : 1,
  );
  for (const ds of dss) {
    const key = objectKey(ds);
    const t = sim.observer.tracks.get(key);
    const s = ds.status;
    const ok = t?.view?.converged === true;
    rows.push([
      ok ? key : c.yellow(key),
      String(s?.desiredNumberScheduled ?? 0),
      String(s?.currentNumberScheduled ?? 0),
      String(s?.updatedNumberScheduled ?? 0),
      String(s?.numberReady ?? 0),
      String(s?.numberAvailable ?? 0),
      ok && t.convergedAtMs !== undefined
        ? formatDuration(t.convergedAtMs)
        : c.yellow('not converged'),
      rolloutCell(t, c),
    ]);
    if (!ok) notes.push(`  ${c.yellow('!')} ${key}: ${t?.view?.why ?? 'never observed'}`);
  }
  if (dss.length === 0) return [c.dim('  (no DaemonSets)')];
  return [...columns(rows, new Set([1, 2, 3, 4, 5, 6])).map((l) => `  ${l}`), ...notes];
}

function timeline(entries: readonly JournalEntry[], c: Colors): string[] {
  const paint = (e: JournalEntry): string => {
    switch (e.kind) {
      case 'rollout':
        return c.cyan(e.message);
      case 'warning':
        return c.yellow(e.message);
      case 'node':
        return e.message;
      case 'controller':
        return c.magenta(e.message);
      default:
        return e.message;
    }
  };
  const shown =
    entries.length > MAX_TIMELINE
      ? [...entries.slice(0, MAX_TIMELINE - 10), ...entries.slice(-10)]
      : entries;
  const out = shown.map((e) => `  ${c.dim(formatOffset(e.atMs))}  ${paint(e)}`);
  if (entries.length > MAX_TIMELINE)
    out.splice(
      MAX_TIMELINE - 10,
      0,
      c.dim(`  … ${entries.length - MAX_TIMELINE} more entries (-o json has them all)`),
    );
  return out;
}

function writes(r: SimResult, c: Colors): string[] {
  const w = apiWrites(r.sim);
  const ctl = w.controller!;
  const parts = Object.entries(ctl.byVerbKind).map(([k, n]) => `${k} ${n}`);
  const simTotal = ['scheduler', 'kubelet', 'node-lifecycle'].reduce(
    (n, k) => n + (w[k]?.total ?? 0),
    0,
  );
  return [
    `  controller        ${c.bold(String(ctl.total))}${parts.length > 0 ? c.dim(`  (${parts.join(' · ')})`) : ''}`,
    `  simulated cluster ${String(simTotal)}${c.dim(`  (scheduler ${w.scheduler!.total} · kubelets ${w.kubelet!.total} · node lifecycle ${w['node-lifecycle']!.total})`)}`,
  ];
}

function checks(r: SimResult, c: Colors): string[] {
  if (r.checks.length === 0) return [c.dim('  (the scenario has no expect: checks)')];
  return r.checks.flatMap((k) =>
    k.passed
      ? [`  ${c.green('✓')} ${k.name}`]
      : [
          `  ${c.red('✗')} ${k.name}`,
          `      ${c.red(k.message)}`,
          `      ${c.dim(`at ${formatDuration(k.atMs)} · ${k.where}`)}`,
        ],
  );
}

/** Renders the summary printed at the end of `everynode sim`. */
export function renderSummary(r: SimResult, opts: SummaryOptions): string {
  const c = colors(opts.color);
  const failed = r.checks.filter((k) => !k.passed).length;
  const stop =
    r.stopReason === 'converged'
      ? 'converged'
      : r.stopReason === 'timeLimit'
        ? 'time limit reached'
        : 'nothing left to happen';
  const header = `${c.bold('everynode sim')} ${r.scenario.name} ${c.dim(`· seed ${r.seed} · ${r.sim.world.nodes.size} nodes · ${formatDuration(r.virtualMs)} simulated in ${(r.wallMs / 1000).toFixed(1)}s · ${stop}`)}`;
  const verdict =
    r.checks.length === 0
      ? c.dim('no checks')
      : failed === 0
        ? c.green(c.bold(`all ${r.checks.length} checks passed`))
        : c.red(c.bold(`${failed} of ${r.checks.length} checks failed`));
  const about = r.scenario.description === '' ? [] : [c.dim(wrap(r.scenario.description, 100))];
  return [
    '',
    header,
    ...about,
    '',
    ...dsTable(r, c),
    '',
    c.bold('Timeline'),
    ...timeline(r.sim.journal.entries, c),
    '',
    c.bold('API writes'),
    ...writes(r, c),
    '',
    c.bold('Checks'),
    ...checks(r, c),
    '',
    verdict,
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}
