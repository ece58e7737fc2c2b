/**
 * Helpers shared by the rolling-update, OnDelete and history scenarios (sections E–H): a cluster
 * rolled out on template T1 and made Ready, template edits, and (creates, deletes) pairs.
 */
import type { DaemonSet, Mutable } from '../../src/api/types.js';
import { Harness, type SyncResult } from '../harness/harness.js';
import { newNodes, dsWith, type StrategySpec } from '../harness/fixtures.js';

type Template = Mutable<NonNullable<NonNullable<DaemonSet['spec']>['template']>>;

/** The (creates, deletes) of one sync, the notation of the scenarios. */
export function cd(r: SyncResult): [number, number] {
  return [r.creates, r.deletes];
}

/** Sets the first container's image (a template change: T2, T3, ...). */
export function setImage(h: Harness, image: string): void {
  h.setTemplate((t: Template) => {
    t.spec!.containers[0]!.image = image;
  });
}

/**
 * `nodes` nodes with one Ready pod of template T1 each, created by syncs under `initial` (OnDelete
 * unless given), with every pod bound to its node.
 */
export function rolledOut(
  nodes: number,
  initial: StrategySpec = { type: 'OnDelete' },
  tweak?: (ds: Mutable<DaemonSet>) => void,
): Harness {
  const h = new Harness({ ds: dsWith(initial, tweak), nodes: newNodes(nodes) });
  h.sync();
  h.bindAll();
  h.markAllReady();
  h.sync();
  return h;
}

/** Syncs until a sync plans nothing (at most `max`), marking every pod Ready after each; the results. */
export function syncUntilQuiet(h: Harness, max = 100, afterEach?: () => void): SyncResult[] {
  const out: SyncResult[] = [];
  for (let i = 0; i < max; i++) {
    const r = h.sync();
    out.push(r);
    h.bindAll();
    h.markAllReady();
    afterEach?.();
    if (r.creates + r.deletes === 0) return out;
  }
  throw new Error(`no quiet sync after ${max} syncs`);
}
