/**
 * The watch stream decoder: events cut from raw bytes however the chunks fall (inside an event,
 * inside a multi-byte character), BOOKMARK reduced to its version, ERROR 410 as GoneError.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { GoneError, type WatchEvent } from '../port.js';
import type { Transport } from './http.js';
import { startWatch } from './watch.js';

function fakeTransport(stream: PassThrough): Transport {
  const res = Object.assign(stream, { statusCode: 200 }) as unknown as IncomingMessage;
  return { open: () => Promise.resolve(res) } as unknown as Transport;
}

const line = (o: unknown): string => JSON.stringify(o) + '\n';

test('events split anywhere across chunks arrive whole and in order', async () => {
  const stream = new PassThrough();
  const events: WatchEvent<{ metadata?: { name?: string } }>[] = [];
  const w = await startWatch(fakeTransport(stream), { method: 'GET', path: '/x' }, (e) => {
    events.push(e);
  });
  const text =
    line({ type: 'ADDED', object: { metadata: { name: 'pod-ä-1', resourceVersion: '5' } } }) +
    '\n' +
    line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }) +
    line({ type: 'MODIFIED', object: { metadata: { name: 'ünï-2' } } }) +
    line({ type: 'DELETED', object: { metadata: { name: 'three' } } }).trimEnd();
  const bytes = Buffer.from(text, 'utf8');
  // One byte at a time: every boundary, including inside the two-byte characters.
  for (let i = 0; i < bytes.length; i++) stream.write(bytes.subarray(i, i + 1));
  stream.end();
  await w.done;
  assert.deepEqual(
    events.map((e) =>
      e.type === 'BOOKMARK'
        ? `BOOKMARK ${e.resourceVersion}`
        : `${e.type} ${e.object.metadata?.name}`,
    ),
    ['ADDED pod-ä-1', 'BOOKMARK 7', 'MODIFIED ünï-2', 'DELETED three'],
  );
});

test('an ERROR event with code 410 ends the watch with GoneError; later lines are not delivered', async () => {
  const stream = new PassThrough();
  const events: unknown[] = [];
  const w = await startWatch(fakeTransport(stream), { method: 'GET', path: '/x' }, (e) => {
    events.push(e);
  });
  stream.write(
    line({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } }) +
      line({ type: 'ADDED', object: { metadata: { name: 'late' } } }),
  );
  await assert.rejects(w.done, GoneError);
  assert.equal(events.length, 0);
});

test('stop() resolves done and delivers nothing more', async () => {
  const stream = new PassThrough();
  const events: unknown[] = [];
  const w = await startWatch(fakeTransport(stream), { method: 'GET', path: '/x' }, (e) => {
    events.push(e);
  });
  stream.write(line({ type: 'ADDED', object: { metadata: { name: 'a' } } }));
  await new Promise((r) => setImmediate(r));
  w.stop();
  await w.done;
  assert.equal(events.length, 1);
});
