/**
 * syncNodes (§5.4): pod creates in slow-start batches under the burst cap, then deletes in
 * parallel, with expectations set before the first call and adjusted for every create or delete
 * that will never be observed through the watch.
 */
import type { DaemonSet, Pod } from '../api/types.js';
import { NotFoundError, TerminalError } from '../cluster/port.js';
import type { Cluster } from '../cluster/port.js';
import type { PodCreate, PodDelete } from '../engine/types.js';
import type { ControllerExpectations } from './expectations.js';
import type { Logger } from './logger.js';
import type { EventSink } from './recorder.js';

/** Upstream's SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;
/** The TerminalError reason the port uses for "namespace is being terminated". */
export const NAMESPACE_TERMINATING_REASON = 'NamespaceTerminating';

/** Several errors from one sync, reported as one. */
export class SyncAggregateError extends Error {
  override name = 'SyncAggregateError';
  constructor(readonly errors: readonly Error[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** True when a create failed only because the namespace is being terminated (ignored, §11). */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof TerminalError && err.reason === NAMESPACE_TERMINATING_REASON;
}

/** Inputs of one syncNodes call. */
export interface SyncNodesInput {
  readonly key: string;
  readonly ds: DaemonSet;
  readonly creates: readonly PodCreate[];
  readonly deletes: readonly PodDelete[];
  readonly burst: number;
  readonly cluster: Cluster;
  readonly expectations: ControllerExpectations;
  readonly recorder: EventSink;
  readonly logger: Logger;
}

/** The outcome: an aggregate error (or undefined) and the API calls made. */
export interface SyncNodesResult {
  readonly error: Error | undefined;
  readonly createCalls: number;
  readonly deleteCalls: number;
  /** Creates left out after a failing batch (their expectations were lowered). */
  readonly skipped: number;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Issues the creates and deletes; never throws. */
export async function syncNodes(input: SyncNodesInput): Promise<SyncNodesResult> {
  const { key, ds, cluster, expectations, recorder } = input;
  const createDiff = Math.min(input.creates.length, input.burst);
  const deleteDiff = Math.min(input.deletes.length, input.burst);
  // Set before any call, so that watch events for our own writes are counted against them.
  expectations.setExpectations(key, createDiff, deleteDiff);
  const errors: Error[] = [];
  let createCalls = 0;
  let skipped = 0;

  const createOne = async (c: PodCreate): Promise<boolean> => {
    createCalls++;
    try {
      const created = await cluster.create<Pod>('Pod', c.pod);
      recorder.event(
        ds,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata?.name ?? ''}`,
      );
      return true;
    } catch (err) {
      if (isNamespaceTerminating(err)) {
        // Neither an error nor observed: the expectation times out with the namespace.
        return true;
      }
      input.logger.warn({ ds: key, node: c.node, err: String(err) }, 'failed creating daemon pod');
      expectations.creationObserved(key);
      recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${asError(err).message}`);
      errors.push(asError(err));
      return false;
    }
  };

  let pos = 0;
  let batch = Math.min(createDiff, SLOW_START_INITIAL_BATCH_SIZE);
  while (pos < createDiff) {
    const slice = input.creates.slice(pos, pos + batch);
    const before = errors.length;
    await Promise.all(slice.map(createOne));
    pos += slice.length;
    if (errors.length > before) {
      skipped = createDiff - pos;
      if (skipped > 0) {
        input.logger.info(
          { ds: key, skipped },
          'slow start: skipping the remaining creates after errors',
        );
        expectations.lowerExpectations(key, skipped, 0);
      }
      break;
    }
    batch = Math.min(2 * batch, createDiff - pos);
  }

  const toDelete = input.deletes.slice(0, deleteDiff);
  await Promise.all(
    toDelete.map(async (d) => {
      try {
        await cluster.delete('Pod', d.namespace, d.name, d.uid === '' ? {} : { uid: d.uid });
        recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${d.name}`);
      } catch (err) {
        expectations.deletionObserved(key);
        if (err instanceof NotFoundError) return;
        input.logger.warn({ ds: key, pod: d.name, err: String(err) }, 'failed deleting daemon pod');
        recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${asError(err).message}`);
        errors.push(asError(err));
      }
    }),
  );

  const error =
    errors.length === 0
      ? undefined
      : errors.length === 1
        ? errors[0]
        : new SyncAggregateError(errors);
  return { error, createCalls, deleteCalls: toDelete.length, skipped };
}
