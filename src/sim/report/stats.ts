/** API write counts per client (the controller, and the simulation's own components). */
import type { ApiCallStats } from '../../cluster/memory/index.js';
import type { Simulation } from '../runner.js';

/** Writes of one client: total and "verb Kind" counts, largest first. */
export interface WriteCounts {
  readonly total: number;
  readonly byVerbKind: Readonly<Record<string, number>>;
}

function writes(s: ApiCallStats): WriteCounts {
  const out: [string, number][] = [];
  for (const [kind, verbs] of Object.entries(s.byKind)) {
    for (const [verb, n] of Object.entries(verbs ?? {})) {
      if (verb === 'list' || verb === 'watch' || verb === 'get' || n === undefined || n === 0)
        continue;
      out.push([`${verb} ${kind}`, n]);
    }
  }
  out.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { total: s.writes, byVerbKind: Object.fromEntries(out) };
}

/** The controller's writes, and the writes of each simulated component. */
export function apiWrites(sim: Simulation): Record<string, WriteCounts> {
  const out: Record<string, WriteCounts> = {};
  for (const client of ['controller', 'scheduler', 'kubelet', 'node-lifecycle', 'scenario'])
    out[client] = writes(sim.memory.stats(client));
  return out;
}
