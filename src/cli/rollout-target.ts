/**
 * What every `everynode rollout` subcommand shares: the DaemonSet it acts on (CRD or apps/v1),
 * kubectl's name forms and error type, and the revisions the DaemonSet controls.
 */
import { labelSelectorAsSelector } from '../api/labels.js';
import type { ControllerRevision, DaemonSet } from '../api/types.js';
import type { Cluster, ResourceKind } from '../cluster/port.js';
import { UsageError } from './errors.js';

/** One DaemonSet the rollout commands act on. */
export interface RolloutTarget {
  readonly cluster: Cluster;
  /** crd: apps.everynode.dev/v1alpha1; native: apps/v1. */
  readonly resource: 'crd' | 'native';
  readonly namespace: string;
  readonly name: string;
}

/** A kubectl-style failure: printed as `error: <message>`, exit code 1. */
export class RolloutError extends UsageError {
  override name = 'RolloutError';
  constructor(message: string) {
    super(message, 1);
  }
}

/** The Cluster kind of the target: EverynodeDaemonSet for the CRD, DaemonSet for apps/v1. */
export function kindOf(t: RolloutTarget): ResourceKind {
  return t.resource === 'native' ? 'DaemonSet' : 'EverynodeDaemonSet';
}

/** How kubectl names the object in its output: `daemonset.apps/foo` (or the CRD's group). */
export function displayName(t: Pick<RolloutTarget, 'resource' | 'name'>): string {
  return `${t.resource === 'native' ? 'daemonset.apps' : 'daemonset.apps.everynode.dev'}/${t.name}`;
}

const ALIASES = new Set([
  'daemonset',
  'daemonsets',
  'ds',
  'daemonset.apps',
  'daemonsets.apps',
  'daemonset.apps.everynode.dev',
  'daemonsets.apps.everynode.dev',
  'ends',
  // The CRD's short name before `ends` (DataDog's ExtendedDaemonSet has `eds`): still accepted.
  'eds',
]);

/** Accepts `foo`, `daemonset/foo`, `ds/foo`, `daemonset.apps.everynode.dev/foo`, ... */
export function parseName(arg: string): string {
  const i = arg.indexOf('/');
  if (i < 0) return arg;
  const type = arg.slice(0, i).toLowerCase();
  if (!ALIASES.has(type)) {
    throw new RolloutError(`everynode rollout works on DaemonSets only, not "${arg.slice(0, i)}"`);
  }
  const name = arg.slice(i + 1);
  if (name === '') throw new RolloutError(`no name given in "${arg}"`);
  return name;
}

/** The target DaemonSet as the API server has it now (NotFoundError when there is none). */
export async function getDs(t: RolloutTarget): Promise<DaemonSet> {
  return t.cluster.get<DaemonSet>(kindOf(t), t.namespace, t.name);
}

/** The ControllerRevisions that match the DaemonSet's selector and are controlled by it (§8.7). */
export async function controlledRevisions(
  cluster: Cluster,
  ds: DaemonSet,
): Promise<ControllerRevision[]> {
  const selector = labelSelectorAsSelector(ds.spec?.selector);
  const uid = ds.metadata?.uid ?? '';
  const list = await cluster.list<ControllerRevision>('ControllerRevision', {
    namespace: ds.metadata?.namespace ?? '',
  });
  return list.items.filter(
    (r) =>
      selector.matches(r.metadata?.labels) &&
      (r.metadata?.ownerReferences ?? []).some((o) => o.controller === true && o.uid === uid),
  );
}
