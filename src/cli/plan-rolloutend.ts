/**
 * Where `plan --rollout`'s preview ends for everynode's rollout controls: one more (pure)
 * reconcile of the final state gives the phase and what holds the rollout there, and the final
 * pods say which nodes stay off the update revision (a pause, a partition, a freeze). The
 * summary lines say it in words, with the progress deadline.
 */
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { getTargetNodeName } from '../api/pod.js';
import { reconcile } from '../engine/reconcile.js';
import type { Snapshot } from '../engine/types.js';
import type { Colors } from './output.js';
import { rolloutInfo, type RolloutInfoView } from './plan-rolloutinfo.js';

/** The rollout at the end of a preview, and the nodes not on the update revision there. */
export type RolloutEndView = RolloutInfoView & { readonly heldNodes: readonly string[] };

/** `{rollout}` for the view, or `{}` for a plain apps/v1 DaemonSet. */
export function endOfRollout(final: Snapshot): { rollout?: RolloutEndView } {
  const plan = reconcile(final, { mode: 'harness' });
  const info = rolloutInfo(final.ds, plan);
  if (info === null) return {};
  const name = final.ds.metadata?.name ?? '';
  const update = info.updateRevision.startsWith(`${name}-`)
    ? info.updateRevision.slice(name.length + 1)
    : info.updateRevision;
  const held = new Set<string>();
  for (const p of final.pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === update) continue;
    const t = getTargetNodeName(p);
    if ('node' in t) held.add(t.node);
  }
  const heldNodes = [...held].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { rollout: { ...info, heldNodes } };
}

const MAX_NODES = 6;

function nodes(list: readonly string[]): string {
  return list.length <= MAX_NODES
    ? list.join(', ')
    : `${list.slice(0, MAX_NODES).join(', ')} (+${list.length - MAX_NODES} more)`;
}

/** The summary's lines about the controls: what holds the rollout at the end, the deadline. */
export function rolloutSummaryLines(r: RolloutEndView, c: Colors): string[] {
  const out: string[] = [];
  const stable = r.stableRevision ?? 'the stable revision';
  const conditions = r.conditions
    .map((x) => `${x.type} ${x.status}${x.reason ? ` (${x.reason})` : ''}`)
    .join(' · ');
  out.push(`${c.bold('Phase:')}   ${r.phase} at the end${conditions ? `; ${conditions}` : ''}.`);
  const kept =
    r.heldNodes.length === 0
      ? ''
      : `; ${nodes(r.heldNodes)} ${r.heldNodes.length === 1 ? 'stays' : 'stay'} on ${stable}`;
  if (r.suspend === 'Freeze')
    out.push(`${c.bold('Held:')}    frozen (suspend Freeze): no pod is created or deleted${kept}.`);
  else if (r.suspend === 'ScaleToZero')
    out.push(`${c.bold('Held:')}    scaled to zero (suspend ScaleToZero): every pod is removed.`);
  else if (r.aborted)
    out.push(
      `${c.bold('Aborted:')} pods not at ${stable} are replaced by stable ones; Progressing stays False (RolloutAborted) until the template changes or a retry.`,
    );
  else if (r.hold === 'paused')
    out.push(
      `${c.bold('Held:')}    paused by ${r.pausedBy ?? 'the spec'}: no pod moves to ${r.updateRevision}${kept}; nodes that need a pod get ${stable}.`,
    );
  else if (r.hold === 'partition' && r.partition !== null)
    out.push(
      `${c.bold('Held:')}    at the partition (${String(r.partition.value)})${kept} (Progressing True, PartitionRolledOut: \`rollout status\` exits 0).`,
    );
  if (r.progressDeadlineSeconds !== null)
    out.push(
      `${c.bold('Deadline:')} ${r.progressDeadlineSeconds}s without progress fails the rollout (Progressing False, ProgressDeadlineExceeded)${r.progressDeadlineAbort ? ' and aborts it' : ''}; every step of this preview makes progress sooner.`,
    );
  return out;
}
