/**
 * Live progress while a simulation runs: in a terminal, a view redrawn in place (one bar per
 * DaemonSet, the virtual clock, the latest timeline entries); otherwise plain lines, at most one
 * per DaemonSet every 30 virtual seconds, printed when its counts change.
 */
import { createLogUpdate } from 'log-update';
import type { DaemonSet } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { formatOffset } from '../duration.js';
import type { Simulation } from '../runner.js';
import { bar, colors, columns, visibleWidth, type Colors } from './format.js';

const REDRAW_MS = 40;
const PLAIN_EVERY_MS = 30_000;

function counts(ds: DaemonSet): {
  desired: number;
  current: number;
  updated: number;
  ready: number;
  available: number;
} {
  const s = ds.status;
  return {
    desired: s?.desiredNumberScheduled ?? 0,
    current: s?.currentNumberScheduled ?? 0,
    updated: s?.updatedNumberScheduled ?? 0,
    ready: s?.numberReady ?? 0,
    available: s?.numberAvailable ?? 0,
  };
}

/** Shows progress on a stream (a terminal gets the live view). */
export class Progress {
  private readonly c: Colors;
  private readonly log: ReturnType<typeof createLogUpdate> | undefined;
  private lastDraw = 0;
  private readonly lastPlain = new Map<string, { atMs: number; text: string }>();
  private sim: Simulation | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
    color: boolean = tty,
  ) {
    this.c = colors(color);
    this.log = tty ? createLogUpdate(out) : undefined;
  }

  begin(sim: Simulation): void {
    this.sim = sim;
  }

  update(sim: Simulation): void {
    if (this.log === undefined) {
      this.plain(sim);
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.log(this.view(sim));
  }

  end(): void {
    if (this.log !== undefined && this.sim !== undefined) {
      this.log(this.view(this.sim));
      this.log.clear();
    }
  }

  private daemonSets(sim: Simulation): DaemonSet[] {
    return [...sim.world.daemonSets.values()].sort((a, b) =>
      objectKey(a) < objectKey(b) ? -1 : 1,
    );
  }

  private view(sim: Simulation): string {
    const c = this.c;
    const cols = Math.max(40, (this.out.columns || 120) - 1);
    const rowsOf = (barSize: number, details: boolean): string[][] =>
      this.daemonSets(sim).map((ds) => {
        const n = counts(ds);
        const done = Math.min(n.updated, n.available);
        const converged = sim.observer.tracks.get(objectKey(ds))?.view?.converged === true;
        const row = [
          converged ? c.green('✓') : c.yellow('…'),
          objectKey(ds),
          bar(done, n.updated - done, n.desired, barSize, c),
          `${n.updated}/${n.desired} updated`,
        ];
        if (details)
          row.push(c.dim(`current ${n.current} · ready ${n.ready} · available ${n.available}`));
        return row;
      });
    // Fit the terminal: drop the details, then shorten the bar (10 at the least).
    const fits = (rows: string[][]): boolean =>
      columns(rows).every((l) => visibleWidth(l) + 2 <= cols);
    let rows = rowsOf(24, true);
    if (!fits(rows)) rows = rowsOf(24, false);
    for (let size = 20; !fits(rows) && size >= 10; size -= 2) rows = rowsOf(size, false);
    const fit = (m: string): string => (m.length > cols - 11 ? `${m.slice(0, cols - 12)}…` : m);
    const recent = sim.journal.entries
      .slice(-4)
      .map((e) => `  ${c.dim(formatOffset(e.atMs))}  ${fit(e.message)}`);
    const nodes = sim.world.nodes.size;
    return [
      `${c.bold('everynode sim')} ${sim.scenario.name}  ${c.cyan(`t=${formatOffset(sim.offset).trim()}`)}  ${c.dim(`${nodes} nodes · ${sim.world.pods.size} pods`)}`,
      ...columns(rows).map((l) => `  ${l}`),
      ...recent,
    ].join('\n');
  }

  private plain(sim: Simulation): void {
    for (const ds of this.daemonSets(sim)) {
      const key = objectKey(ds);
      const n = counts(ds);
      const text = `${n.updated}/${n.desired} updated, ${n.ready} ready, ${n.available} available`;
      const last = this.lastPlain.get(key);
      if (last?.text === text) continue;
      const converged = n.desired === n.updated && n.desired === n.available;
      if (last !== undefined && sim.offset - last.atMs < PLAIN_EVERY_MS && !converged) continue;
      this.lastPlain.set(key, { atMs: sim.offset, text });
      this.out.write(`${formatOffset(sim.offset)}  ${key}  ${text}\n`);
    }
  }
}
