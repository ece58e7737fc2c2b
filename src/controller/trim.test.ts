import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.js';
import { trimPod } from './trim.js';

function pod(containerStatuses: unknown[], ready = 'False'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', resourceVersion: '1', managedFields: [{}] },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img', ports: [] }] },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: ready },
      ],
      containerStatuses,
    },
  } as unknown as Pod;
}

const creating = {
  name: 'c',
  image: 'img',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: 'ContainerCreating' } },
};

test('trimPod keeps what the health gates read and shares an unchanged cut with prev', () => {
  const first = trimPod(pod([creating]));
  assert.deepEqual(first.status, {
    phase: 'Pending',
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [
      {
        name: 'c',
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating', message: undefined } },
      },
    ],
  });
  assert.deepEqual(first.spec, { containers: [{ name: 'c', image: 'img' }], nodeName: 'n1' });
  assert.equal(first.metadata?.managedFields, undefined);
  // The same statuses again (a new object from the server): the cached parts are shared.
  const again = trimPod(pod([{ ...creating, imageID: 'x' }]), first);
  assert.equal(again.status, first.status);
  assert.equal(again.spec, first.spec);
  // A restart and a last terminated state: a new cut with the exit code and reason.
  const crashed = trimPod(
    pod([
      {
        ...creating,
        restartCount: 2,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: 't' } },
      },
    ]),
    again,
  );
  assert.notEqual(crashed.status, again.status);
  assert.deepEqual(crashed.status?.containerStatuses, [
    {
      name: 'c',
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: 't' } },
    },
  ]);
  // Healthy and ready: no container statuses kept at all.
  const healthy = trimPod(
    pod(
      [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: 't' } } }],
      'True',
    ),
    crashed,
  );
  assert.deepEqual(healthy.status, {
    phase: 'Pending',
    conditions: [{ type: 'Ready', status: 'True' }],
  });
});
