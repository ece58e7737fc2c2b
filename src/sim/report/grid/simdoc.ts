/** The grid document of a finished simulation (`everynode sim --report`). */
import { formatDuration } from '../../duration.js';
import type { SimResult } from '../../runner.js';
import type { GridRecorder } from './recorder.js';
import { rolloutFact } from './rolloutstate.js';
import { deltaEncode, NODE_MARKS, NODE_STATES, type DsGridDoc, type GridDoc } from './model.js';

/** Pods of a DaemonSet are named "<name>-xxxxx": the common prefix is stored once. */
function commonPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  for (const n of names) {
    let i = 0;
    while (i < p.length && i < n.length && p[i] === n[i]) i++;
    p = p.slice(0, i);
    if (p === '') break;
  }
  return p;
}

/** Node attributes for grouping rows: the zone (waves come with the rollout features). */
function attrs(grid: GridRecorder): GridDoc['nodes']['attrs'] {
  const values: string[] = [];
  const index = new Map<string, number>();
  const of = grid.zones.map((z) => {
    if (z === '') return -1;
    let i = index.get(z);
    if (i === undefined) {
      i = values.length;
      values.push(z);
      index.set(z, i);
    }
    return i;
  });
  return values.length === 0 ? {} : { zone: { values, of } };
}

/** Builds the document from a run that was recorded (RunOptions.record). */
export function simGridDoc(r: SimResult): GridDoc {
  const grid = r.sim.grid;
  if (grid === undefined) throw new Error('the run was not recorded (RunOptions.record)');
  const keys = [...grid.daemonSets.keys()].sort();
  const daemonSets = keys.map((key): DsGridDoc => {
    const rec = grid.daemonSets.get(key)!;
    const track = r.sim.observer.tracks.get(key);
    const prefix = commonPrefix(rec.pods);
    const facts: string[] = [];
    for (const ro of track?.rollouts ?? []) {
      if (ro.initial) continue;
      const took =
        ro.finishedAtMs === undefined
          ? 'not finished'
          : `${ro.superseded ? 'superseded after' : 'done in'} ${formatDuration(ro.finishedAtMs - ro.startedAtMs)}`;
      facts.push(
        `rollout to revision ${ro.revision} at ${formatDuration(ro.startedAtMs)}: ${ro.change}; ${took}, at most ${ro.maxUnavailable} unavailable`,
      );
    }
    const v = track?.view;
    const ds = r.sim.world.daemonSets.get(key);
    const rollout = ds === undefined ? undefined : rolloutFact(ds);
    if (rollout !== undefined) facts.push(`${rollout} (at the end)`);
    facts.push(
      v?.converged === true && track?.convergedAtMs !== undefined
        ? `converged at ${formatDuration(track.convergedAtMs)}: ${v.available} of ${v.desired} available`
        : `not converged: ${v?.why ?? 'never observed'}`,
    );
    return {
      key,
      strategy: rec.strategy,
      facts,
      podPrefix: prefix,
      pods: rec.pods.map((p) => p.slice(prefix.length)),
      podRev: rec.podRev,
      revisions: (track?.rollouts ?? []).map((ro) => ({
        revision: ro.revision,
        hash: ro.hash,
        change: ro.change,
        t: ro.startedAtMs,
      })),
      runs: grid.nodeNames.map((_, i) => deltaEncode(rec.runs[i] ?? [], 4)),
      marks: grid.nodeNames.map((_, i) => deltaEncode(rec.marks[i] ?? [], 2)),
      series: rec.series,
    };
  });
  const dsIndex = new Map(keys.map((k, i) => [k, i]));
  const s = r.scenario;
  return {
    version: 1,
    title: `everynode sim ${s.name}`,
    subtitle: `seed ${r.seed} · ${formatDuration(r.virtualMs)} simulated · ${r.stopReason === 'converged' ? 'converged' : r.stopReason === 'timeLimit' ? 'time limit reached' : 'nothing left to happen'}${s.description ? ` · ${s.description}` : ''}`,
    axis: { kind: 'time', endT: r.virtualMs },
    states: NODE_STATES,
    marks: NODE_MARKS,
    nodes: { names: grid.nodeNames, attrs: attrs(grid) },
    strings: grid.strings.values,
    daemonSets,
    events: r.sim.journal.entries.map((e) => ({
      t: e.atMs,
      kind: e.kind,
      text: e.message,
      ds: e.daemonSet === undefined ? -1 : (dsIndex.get(e.daemonSet) ?? -1),
    })),
    checks: r.checks.map((c) => ({
      name: c.name,
      passed: c.passed,
      message: c.message,
      t: c.atMs,
    })),
  };
}
