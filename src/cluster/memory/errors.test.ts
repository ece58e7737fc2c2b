import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../port.js';
import { alreadyExists, notFound, staleConflict } from './errors.js';
import { podStrategy } from './pod.js';

test('expected answers keep their type, code and wording, and leave the stack limit as it was', () => {
  const before = Error.stackTraceLimit;
  const a = alreadyExists(podStrategy, 'x');
  assert.ok(a instanceof AlreadyExistsError);
  assert.equal(a.code, 409);
  assert.equal(a.message, 'pods "x" already exists');
  assert.ok(notFound(podStrategy, 'y') instanceof NotFoundError);
  const c = staleConflict(podStrategy, 'z');
  assert.ok(c instanceof ConflictError);
  assert.match(c.message, /the object has been modified/);
  assert.equal(Error.stackTraceLimit, before);
  // Other errors still carry their stack.
  assert.match(new Error('e').stack ?? '', /errors\.test\.ts/);
});
