/**
 * everynode's ControllerRevision data against kube-controller-manager's, byte for byte, for the
 * golden set in test/fixtures/revisions/ (recorded from a real control plane by
 * scripts/cluster/golden-revisions.ts; test/cluster/golden.ts lists the templates). The path is
 * the controller's: the DaemonSet as served, defaulted as the controller defaults it, the
 * revision the engine plans, its data written as the kube adapter writes it. The same templates
 * written as everynode's custom resource (as a user writes them, without what kube-apiserver
 * adds for apps/v1) must give the same bytes too: that is what lets kube-controller-manager
 * recognise the revision after the DaemonSet moves back to apps/v1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDaemonSet } from '../src/api/defaults.js';
import { goMarshal } from '../src/api/gojson.js';
import { revisionDataMatches } from '../src/api/hash.js';
import { newRevision } from '../src/engine/history.js';
import { servedTemplate } from '../src/api/servedform.js';
import type { DaemonSet } from '../src/api/types.js';
import { goldenCases, goldenDaemonSet, readGolden } from './cluster/golden.js';

const golden = readGolden();

test('the golden set is there (one file pair per template)', () => {
  assert.ok(golden.length >= 7, `only ${golden.length} golden cases`);
});

for (const g of golden) {
  test(`golden ${g.name}: everynode's revision data bytes are kube-controller-manager's`, () => {
    const rev = newRevision(defaultDaemonSet(g.daemonSet), 1);
    const mine = Buffer.from(goMarshal(rev.data), 'utf8');
    assert.equal(mine.toString('utf8'), g.data.toString('utf8'));
    assert.ok(mine.equals(g.data), 'same text, different bytes');
  });

  test(`golden ${g.name}: kube-controller-manager's revision is recognised as current`, () => {
    assert.equal(revisionDataMatches(g.daemonSet, JSON.parse(g.data.toString('utf8'))), true);
    assert.equal(revisionDataMatches(g.daemonSet, g.data.toString('utf8')), true);
  });
}

for (const gc of goldenCases) {
  test(`golden ${gc.name}: as the custom resource, the same bytes kube-controller-manager writes`, () => {
    const expected = golden.find((g) => g.name === gc.name);
    assert.ok(expected, `no golden file for ${gc.name}`);
    // What a user writes and the custom resource stores: the case's template, nothing added.
    const crd = {
      ...goldenDaemonSet('golden', gc),
      apiVersion: 'apps.everynode.dev/v1alpha1',
    } as unknown as DaemonSet;
    const rev = newRevision(defaultDaemonSet(crd), 1);
    assert.equal(goMarshal(rev.data), expected.data.toString('utf8'));
    assert.equal(revisionDataMatches(defaultDaemonSet(crd), rev.data), true);
  });
}

test('servedTemplate changes nothing in a template as kube-apiserver serves it', () => {
  for (const g of golden) {
    const t = g.daemonSet.spec!.template;
    assert.deepEqual(servedTemplate(t), t, g.name);
  }
});
