/** The port errors worded as kube-apiserver words them, for the memory cluster's registry. */
import { fieldError, formatInvalid, type FieldError } from '../../api/validation.js';
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from '../port.js';
import type { KindStrategy } from './strategy.js';

/**
 * Builds one of the answers clients expect and handle as a matter of course (NotFound, Conflict,
 * AlreadyExists) without capturing a stack trace. Like an error read from kube-apiserver's
 * response it has no server-side stack worth showing, and capturing one cost about ten times the
 * rest of the error: a visible share of a run where a client meets thousands of them.
 */
function answer<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** `pods "x" not found`. */
export function notFound(st: KindStrategy, name: string): NotFoundError {
  return answer(() => new NotFoundError(`${st.resource} "${name}" not found`));
}

/** `pods "x" already exists`. */
export function alreadyExists(st: KindStrategy, name: string): AlreadyExistsError {
  return answer(() => new AlreadyExistsError(`${st.resource} "${name}" already exists`));
}

/** The optimistic-concurrency Conflict kube returns for a stale resourceVersion. */
export function staleConflict(st: KindStrategy, name: string): ConflictError {
  return answer(
    () =>
      new ConflictError(
        `Operation cannot be fulfilled on ${st.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      ),
  );
}

/** A failed uid or resourceVersion precondition. */
export function preconditionConflict(
  st: KindStrategy,
  name: string,
  what: string,
  want: string,
  have: string,
): ConflictError {
  return answer(
    () =>
      new ConflictError(
        `Operation cannot be fulfilled on ${st.resource} "${name}": Precondition failed: ${what} in precondition: ${want}, ${what} in object meta: ${have}`,
      ),
  );
}

/** 422 with the field errors, worded like kubectl prints it. */
export function invalid(
  st: KindStrategy,
  name: string,
  errors: readonly FieldError[],
): InvalidError {
  return new InvalidError(formatInvalid(st.qualifiedKind, name, errors), errors);
}

/** 422 for a single field problem. */
export function invalidField(
  st: KindStrategy,
  name: string,
  type: FieldError['type'],
  field: string,
  value: unknown,
  detail: string,
): InvalidError {
  return invalid(st, name, [fieldError(type, field, value, detail)]);
}
