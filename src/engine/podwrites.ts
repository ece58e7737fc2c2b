/**
 * The pod writes of a Plan as objects: a delete of a pod, and a create whose pod body is built on
 * first read. The full reconcile and the incremental sync build them here, so both plans hold
 * the same objects for the same decisions.
 */
import type { Pod } from '../api/types.js';
import type { ActionSource, PodCreate, PodDelete } from './types.js';

/** The delete of pod, mapped to node, with its source and reason. */
export function podDelete(pod: Pod, node: string, source: ActionSource, reason: string): PodDelete {
  const meta = pod.metadata;
  return {
    namespace: meta?.namespace ?? '',
    name: meta?.name ?? '',
    uid: meta?.uid ?? '',
    node,
    source,
    reason,
  };
}

/**
 * A create whose pod body is built on first read. A sync plans a create for every node missing
 * a pod (10k on B1's first syncs) though the executor issues at most the burst, so bodies are
 * built only for the creates carried out; a class with the getter on its prototype, not an
 * object literal with a getter of its own (those were a fifth of B1's allocated bytes).
 */
export class LazyCreate implements PodCreate {
  private body: Pod | undefined = undefined;
  constructor(
    private readonly factory: (node: string) => Pod,
    readonly node: string,
    readonly revisionHash: string,
    readonly reason: string,
    readonly source: ActionSource,
  ) {}
  get pod(): Pod {
    return (this.body ??= this.factory(this.node));
  }
}
