import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { Simulation } from '../../src/sim/runner.js';
import { parseScenario } from '../../src/sim/scenario/parse.js';

const opts = {
  loadObjects: () => Promise.reject(new Error('no files in this test')),
  resolvePath: (p: string) => p,
};

function scenario(kubelet: string): Promise<Simulation> {
  const text = `
nodes: [{ prefix: n-, count: 3 }]
kubelet: ${kubelet}
objects:
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: "a:1" }] }
`;
  return parseScenario('kubelet.yaml', text, opts).then((s) => new Simulation(s));
}

/** Every status a pod was seen with (by the simulator's World), as "offset phase ready". */
function recordStatuses(sim: Simulation): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  sim.world.listen({
    onPod: ({ old, obj }: { old: Pod | undefined; obj: Pod | undefined }) => {
      if (obj === undefined || obj.status === old?.status) return;
      const ready = obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const line = `${sim.offset} ${obj.status?.phase ?? '-'} ${ready === true ? 'ready' : ''}`;
      const name = obj.metadata!.name!;
      seen.set(name, [...(seen.get(name) ?? []), line.trim()]);
    },
  });
  return seen;
}

test('kubelet: Pending, Running after pullDelay, Ready after startupDelay, one write each, no conflict', async () => {
  const sim = await scenario('{ pullDelay: 1s, startupDelay: 2s }');
  const seen = recordStatuses(sim);
  const result = await sim.run();
  assert.equal(result.stopReason, 'converged');
  assert.equal(seen.size, 3);
  for (const [name, lines] of seen) {
    // Created Pending by the API server, then the kubelet's three writes on 1 s boundaries.
    assert.deepEqual(lines, ['0 Pending', '0 Pending', '1000 Running', '3000 Running ready'], name);
  }
  const k = sim.memory.stats('kubelet');
  assert.equal(k.byKind.Pod?.updateStatus, 9);
  assert.equal(k.failed, 0, 'no write met a Conflict');
  assert.equal(k.byKind.Pod?.get, undefined, 'no pod had to be read again');
});

test('kubelet: with zero delays a pod is reported Ready in one status write', async () => {
  const sim = await scenario('{ pullDelay: 0s, startupDelay: 0s }');
  const seen = recordStatuses(sim);
  const result = await sim.run();
  assert.equal(result.stopReason, 'converged');
  for (const [name, lines] of seen) assert.deepEqual(lines, ['0 Pending', '0 Running ready'], name);
  const k = sim.memory.stats('kubelet');
  assert.equal(k.byKind.Pod?.updateStatus, 3);
  assert.equal(k.failed, 0);
  for (const pod of sim.world.pods.values()) {
    const s = pod.status!;
    assert.ok(s.startTime !== undefined && s.podIP !== undefined, 'the Pending stage is kept');
    assert.ok(s.containerStatuses?.[0]?.state?.running?.startedAt !== undefined);
    assert.equal(s.containerStatuses?.[0]?.ready, true);
  }
});
