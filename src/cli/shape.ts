/**
 * The type check at the file boundary (the decoder's check, api/wirecheck.ts) for every object
 * `plan` reads, and Node validation (taints with a known effect, labels, name): an object of the
 * wrong shape is reported with its file, line and field path instead of being ignored or
 * crashing the plan. apps/v1 validation of the DaemonSet (api/dsstrategy.ts) does the rest.
 */
import type { FieldError } from '../api/fielderrors.js';
import { validateNode } from '../api/nodevalidation.js';
import { checkWireTypes } from '../api/wirecheck.js';
import { UsageError } from './errors.js';
import type { LoadedObject } from './load.js';

/** At most this many field errors are printed for one object; the rest are counted. */
const MAX_ERROR_LINES = 20;

/** `where: The Kind "x" is invalid: ...`, one line per field error, as kubectl prints it. */
export function invalidObjectError(
  where: string,
  kind: string,
  name: string,
  errors: readonly FieldError[],
): UsageError {
  const head = `${where}: The ${kind} "${name}" is invalid:`;
  const lines = [...new Set(errors.map(String))];
  if (lines.length === 1) return new UsageError(`${head} ${lines[0]!}`);
  const shown = lines.slice(0, MAX_ERROR_LINES).map((l) => `* ${l}`);
  if (lines.length > MAX_ERROR_LINES)
    shown.push(`* ... and ${lines.length - MAX_ERROR_LINES} more`);
  return new UsageError(`${head}\n${shown.join('\n')}`);
}

/**
 * Checks each object's field types against its kind (Nodes are validated in full). Throws
 * UsageError like `nodes.yaml:4: The Node "a" is invalid: spec.taints: Invalid value: "x": must be a list`.
 */
export function checkShapes(objs: readonly LoadedObject[]): void {
  for (const { object, source } of objs) {
    const errors =
      object.kind === 'Node' ? validateNode(object) : checkWireTypes(object, object.kind);
    if (errors.length > 0) {
      const name = object.metadata?.name;
      throw invalidObjectError(
        `${source.file}:${source.line}`,
        object.kind,
        typeof name === 'string' ? name : '',
        errors,
      );
    }
  }
}
