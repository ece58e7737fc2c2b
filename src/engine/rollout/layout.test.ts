import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutDecision } from '../rolloutpolicy.js';
import type { RolloutNode } from './inputs.js';
import { stepsLayout } from './layout.js';

type StepsSpec = RolloutDecision['spec']['steps'];

const ZONE = 'topology.kubernetes.io/zone';
const SPEC: StepsSpec = {
  canary: { count: 2, spreadByKey: ZONE },
  waves: { topologyKey: ZONE },
  healthGates: undefined,
};

function nodes(n: number): RolloutNode[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}`,
    labels: { [ZONE]: `zone-${i % 3}` },
  }));
}

test('stepsLayout: the same spec and nodes, in any order and with equal labels, give the layout built before', () => {
  const first = stepsLayout(SPEC, nodes(30), []);
  const copies = nodes(30)
    .reverse()
    .map((n) => ({ ...n, labels: { ...n.labels } }));
  assert.equal(stepsLayout({ ...SPEC }, copies, []), first);
  // The first sync records the canaries; given back, they give the same layout.
  assert.equal(stepsLayout(SPEC, nodes(30), first.canaryNodes ?? []), first);
});

test('stepsLayout: a changed label, impairment, node set or spec builds a new layout', () => {
  const base = stepsLayout(SPEC, nodes(12), []);
  const relabelled = nodes(12);
  relabelled[4] = { name: 'node-4', labels: { [ZONE]: 'zone-9' } };
  const a = stepsLayout(SPEC, relabelled, []);
  assert.notEqual(a, base);
  assert.ok(a.steps.some((s) => s.nodes.includes('node-4') && s.name.includes('zone-9')));

  const impaired = nodes(12).map((n) => (n.name === 'node-0' ? { ...n, impaired: true } : n));
  const b = stepsLayout(SPEC, impaired, []);
  assert.notEqual(b, base);
  assert.ok(!(b.canaryNodes ?? []).includes('node-0'), 'a new canary pick skips an impaired node');

  const fewer = stepsLayout(SPEC, nodes(11), []);
  assert.notEqual(fewer, base);
  assert.equal(fewer.names.size, 11);

  const more = stepsLayout({ ...SPEC, canary: { count: 3, spreadByKey: ZONE } }, nodes(12), []);
  assert.equal(more.canaryNodes?.length, 3);
  // Other canaries given back than the layout's own: built for them.
  const kept = stepsLayout(SPEC, nodes(12), ['node-10', 'node-11']);
  assert.deepEqual(kept.canaryNodes, ['node-10', 'node-11']);
});
