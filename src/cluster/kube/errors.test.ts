import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TerminalError,
  UnavailableError,
} from '../port.js';
import { errorFromStatus } from './errors.js';

const st = (code: number, reason: string, message = 'm') => ({
  kind: 'Status',
  code,
  reason,
  message,
});

test('Status bodies map to the typed port errors', () => {
  assert.ok(errorFromStatus(404, st(404, 'NotFound'), 'x') instanceof NotFoundError);
  assert.ok(errorFromStatus(409, st(409, 'AlreadyExists'), 'x') instanceof AlreadyExistsError);
  assert.ok(errorFromStatus(409, st(409, 'Conflict'), 'x') instanceof ConflictError);
  assert.ok(errorFromStatus(410, st(410, 'Expired'), 'x') instanceof GoneError);
  assert.ok(errorFromStatus(429, st(429, 'TooManyRequests'), 'x') instanceof UnavailableError);
  assert.ok(errorFromStatus(503, undefined, 'x') instanceof UnavailableError);
  const forbidden = errorFromStatus(
    403,
    st(403, 'Forbidden', 'namespace is being terminated'),
    'x',
  );
  assert.ok(forbidden instanceof TerminalError);
  assert.equal(forbidden.code, 403);
  assert.equal(forbidden.message, 'namespace is being terminated');
});

test('422 causes become field errors with value and detail recovered', () => {
  const e = errorFromStatus(
    422,
    {
      kind: 'Status',
      code: 422,
      reason: 'Invalid',
      message: 'DaemonSet.apps "x" is invalid: ...',
      details: {
        causes: [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.minReadySeconds',
            message: 'Invalid value: -1: must be greater than or equal to 0',
          },
          { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
        ],
      },
    },
    'x',
  );
  assert.ok(e instanceof InvalidError);
  assert.equal(e.causes.length, 2);
  assert.equal(e.causes[0]?.type, 'Invalid');
  assert.equal(e.causes[0]?.field, 'spec.minReadySeconds');
  assert.equal(e.causes[0]?.value, -1);
  assert.equal(e.causes[0]?.detail, 'must be greater than or equal to 0');
  assert.equal(e.causes[1]?.type, 'Required');
});
