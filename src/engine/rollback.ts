/**
 * The pure part of `kubectl rollout undo` and `kubectl rollout history` for DaemonSets (§8.7):
 * which revision an undo targets, with kubectl's own messages, and the history table.
 */
import { revisionDataMatches } from '../api/hash.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
} from '../api/types.js';

/** kubectl's output after a successful undo. */
export const ROLLBACK_SUCCESS = 'rolled back';

/** The outcome of an undo: patch the DS with the revision's data, nothing to do, or an error. */
export type RollbackTarget =
  | { readonly kind: 'rollback'; readonly revision: ControllerRevision; readonly patch: unknown }
  | { readonly kind: 'skipped'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

function notFound(n: number): RollbackTarget {
  return { kind: 'error', message: `unable to find specified revision ${n} in history` };
}

/**
 * What `kubectl rollout undo daemonset/x --to-revision=N` does, given the revisions controlled by
 * the DS: N = 0 is the second-highest revision ("no last revision to roll back to" with fewer than
 * two), a missing or negative N is "unable to find specified revision N in history", a revision that
 * already matches the template is skipped (kubectl prints N as given, so 0 for a plain undo), and
 * otherwise the patch to send is the revision's data, which replaces spec.template wholesale.
 */
export function rollbackTarget(
  revisions: readonly ControllerRevision[],
  toRevision: number,
  ds: DaemonSet,
): RollbackTarget {
  if (toRevision < 0) return notFound(toRevision);
  if (toRevision === 0 && revisions.length <= 1) {
    return { kind: 'error', message: 'no last revision to roll back to' };
  }
  let target: ControllerRevision | undefined;
  if (toRevision === 0) {
    const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
    target = sorted[sorted.length - 2];
  } else {
    target = revisions.find((r) => r.revision === toRevision);
  }
  if (target === undefined) return notFound(toRevision);
  if (revisionDataMatches(ds, target.data)) {
    return {
      kind: 'skipped',
      message: `skipped rollback (current template already matches revision ${toRevision})`,
    };
  }
  return { kind: 'rollback', revision: target, patch: structuredClone(target.data) };
}

/**
 * The DaemonSet after the API server applies an undo patch: `{"spec":{"template":{...,"$patch":
 * "replace"}}}` replaces spec.template wholesale (the `$patch` directive itself is dropped).
 * Throws Error when the patch has no spec.template object. The template generation and
 * metadata.generation are the API server's to raise, not this function's.
 */
export function applyRollbackPatch(ds: DaemonSet, patch: unknown): DaemonSet {
  const template = (patch as { spec?: { template?: unknown } } | null)?.spec?.template;
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('rollback patch has no spec.template object');
  }
  const { $patch: _directive, ...rest } = structuredClone(template) as Record<string, unknown>;
  const next = structuredClone(ds) as Mutable<DaemonSet>;
  next.spec = { ...next.spec!, template: rest };
  return next;
}

/** One row of `kubectl rollout history`. */
export interface HistoryRow {
  readonly revision: number;
  /** The revision's kubernetes.io/change-cause annotation, or `<none>`. */
  readonly changeCause: string;
}

/** The rows of `kubectl rollout history`, by revision ascending. */
export function historyTable(revisions: readonly ControllerRevision[]): HistoryRow[] {
  return [...revisions]
    .sort((a, b) => a.revision - b.revision)
    .map((r) => {
      const cause = r.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '';
      return { revision: r.revision, changeCause: cause === '' ? '<none>' : cause };
    });
}

/**
 * The table as kubectl prints it (a tabwriter with padding 2): `REVISION  CHANGE-CAUSE`, then one
 * line per row, each line ending in a newline.
 */
export function formatHistoryTable(rows: readonly HistoryRow[]): string {
  const lines: [string, string][] = [
    ['REVISION', 'CHANGE-CAUSE'],
    ...rows.map((r): [string, string] => [String(r.revision), r.changeCause]),
  ];
  const width = Math.max(...lines.map(([a]) => a.length)) + 2;
  return lines.map(([a, b]) => `${a.padEnd(width)}${b}\n`).join('');
}
