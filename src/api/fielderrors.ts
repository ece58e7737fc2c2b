/**
 * Field errors shaped and printed like apimachinery's field.Error, shared by every validator.
 */

export type FieldErrorType =
  'Invalid' | 'Required' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'TooLong' | 'NotFound';

/** One field error; toString() reads like kube-apiserver's, e.g.
 * `spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero`. */
export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
  /** For NotSupported: the supported values. */
  readonly supported?: readonly string[];
  toString(): string;
}

const TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  Invalid: 'Invalid value',
  Required: 'Required value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  Duplicate: 'Duplicate value',
  TooLong: 'Too long',
  NotFound: 'Not found',
};

/** Renders a bad value: numbers and booleans bare, strings quoted, anything else as JSON. */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The error text after the field, as field.Error.ErrorBody builds it. */
function body(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  // Required, Forbidden and TooLong never show the value.
  if (e.type !== 'Required' && e.type !== 'Forbidden' && e.type !== 'TooLong')
    s += `: ${renderValue(e.value)}`;
  if (e.detail !== '') s += `: ${e.detail}`;
  return s;
}

/** Builds a FieldError (exported so other layers report the same shape). */
export function fieldError(
  type: FieldErrorType,
  field: string,
  value: unknown,
  detail: string,
  supported?: readonly string[],
): FieldError {
  let d = detail;
  if (type === 'NotSupported' && d === '' && supported !== undefined && supported.length > 0) {
    d = `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const e: FieldError = {
    type,
    field,
    value,
    detail: d,
    ...(supported !== undefined ? { supported: [...supported] } : {}),
    toString(): string {
      return `${field}: ${body(e)}`;
    },
  };
  return e;
}

/** `DaemonSet.apps "name" is invalid: [err1, err2]`, as kubectl prints an Invalid status. */
export function formatInvalid(kind: string, name: string, errors: readonly FieldError[]): string {
  const head = `${kind} ${JSON.stringify(name)} is invalid`;
  // Like utilerrors.Aggregate: duplicate messages collapse, one message has no brackets.
  const msgs = [...new Set(errors.map((e) => e.toString()))];
  if (msgs.length === 0) return head;
  if (msgs.length === 1) return `${head}: ${msgs[0]!}`;
  return `${head}: [${msgs.join(', ')}]`;
}
