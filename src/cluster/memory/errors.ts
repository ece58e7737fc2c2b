/** The port errors worded as kube-apiserver words them, for the memory cluster's registry. */
import { fieldError, formatInvalid, type FieldError } from '../../api/validation.js';
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from '../port.js';
import type { KindStrategy } from './strategy.js';

/** `pods "x" not found`. */
export function notFound(st: KindStrategy, name: string): NotFoundError {
  return new NotFoundError(`${st.resource} "${name}" not found`);
}

/** `pods "x" already exists`. */
export function alreadyExists(st: KindStrategy, name: string): AlreadyExistsError {
  return new AlreadyExistsError(`${st.resource} "${name}" already exists`);
}

/** The optimistic-concurrency Conflict kube returns for a stale resourceVersion. */
export function staleConflict(st: KindStrategy, name: string): ConflictError {
  return new ConflictError(
    `Operation cannot be fulfilled on ${st.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
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
  return new ConflictError(
    `Operation cannot be fulfilled on ${st.resource} "${name}": Precondition failed: ${what} in precondition: ${want}, ${what} in object meta: ${have}`,
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
