/** Turns kube-apiserver's answers (HTTP status plus a Status body) into the port's typed errors. */
import { fieldError, type FieldError, type FieldErrorType } from '../../api/validation.js';
import {
  AlreadyExistsError,
  ClusterError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TerminalError,
  UnavailableError,
} from '../port.js';

/** The parts of a metav1.Status body this module reads. */
export interface StatusBody {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly {
      readonly reason?: string;
      readonly message?: string;
      readonly field?: string;
    }[];
  };
}

const causeTypes: Readonly<Record<string, FieldErrorType>> = {
  FieldValueInvalid: 'Invalid',
  FieldValueRequired: 'Required',
  FieldValueNotSupported: 'NotSupported',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate',
  FieldValueTooLong: 'TooLong',
  FieldValueNotFound: 'NotFound',
};
const typeText: Readonly<Record<FieldErrorType, string>> = {
  Invalid: 'Invalid value',
  Required: 'Required value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  Duplicate: 'Duplicate value',
  TooLong: 'Too long',
  NotFound: 'Not found',
};

/**
 * One status cause as a FieldError. The server sends "Invalid value: <json>: <detail>"; the value
 * is recovered when the text before a ": " parses as JSON, so the error prints the same again.
 */
function toFieldError(
  c: NonNullable<NonNullable<StatusBody['details']>['causes']>[number],
): FieldError {
  const type = causeTypes[c.reason ?? ''] ?? 'Invalid';
  const field = c.field ?? '';
  let rest = c.message ?? '';
  const prefix = `${typeText[type]}: `;
  if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  else if (rest.startsWith(typeText[type])) rest = rest.slice(typeText[type].length);
  const showsValue = type !== 'Required' && type !== 'Forbidden' && type !== 'TooLong';
  if (showsValue) {
    for (let i = rest.indexOf(': '); i >= 0; i = rest.indexOf(': ', i + 1)) {
      try {
        const value: unknown = JSON.parse(rest.slice(0, i));
        return fieldError(type, field, value, rest.slice(i + 2));
      } catch {
        // not the end of the value yet
      }
    }
  }
  return fieldError(type, field, undefined, rest);
}

/** Parses a response body as a Status when it is one. */
export function parseStatus(body: string): StatusBody | undefined {
  try {
    const v = JSON.parse(body) as StatusBody;
    return v && typeof v === 'object' && v.kind === 'Status' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The port error for an HTTP status and its Status body (if any). Never returns undefined. */
export function errorFromStatus(
  httpCode: number,
  status: StatusBody | undefined,
  context: string,
): ClusterError {
  const code = status?.code ?? httpCode;
  const reason = status?.reason;
  const message = status?.message ?? `${context}: HTTP ${httpCode}`;
  if (code === 404 || reason === 'NotFound') return new NotFoundError(message);
  if (reason === 'AlreadyExists') return new AlreadyExistsError(message);
  if (code === 409) return new ConflictError(message);
  if (code === 410 || reason === 'Expired' || reason === 'Gone') return new GoneError(message);
  if (code === 422 || reason === 'Invalid') {
    return new InvalidError(message, (status?.details?.causes ?? []).map(toFieldError));
  }
  if (code === 429 || code >= 500 || reason === 'ServerTimeout' || reason === 'Timeout') {
    return new UnavailableError(message, code || 503);
  }
  return new TerminalError(message, code, reason);
}

/** A transport failure (refused, reset, timed out) as a retryable error. */
export function transportError(err: unknown, context: string): UnavailableError {
  const msg = err instanceof Error ? err.message : String(err);
  return new UnavailableError(`${context}: ${msg}`, 503, { cause: err });
}
