/**
 * Issue 12 on the real control plane, for everynode's CRD and native apps/v1 DaemonSets (the
 * strategy annotation): a Manual canary that `everynode rollout promote` releases; a pod health
 * gate tripped by pods that never become ready (kwok never pulls the image), which records
 * status.rollout.failure / the HealthGateFailed condition and pauses with only the canary touched;
 * waves by a zone label in a given order. Lean: the harness's kwok nodes, one controller per mode,
 * tests and modes concurrent, every wait asynchronous and bounded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, Mutable } from '../../src/api/types.js';
import {
  closeApi,
  createDs,
  dropNamespaces,
  dsManifest,
  Everynode,
  getDs,
  imageOf,
  installCrd,
  livePods,
  modes,
  nodeOf,
  readyNodes,
  root,
  setImage,
  waitRolledOut,
  waitUntil,
  type Mode,
} from './helpers.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';
/** The harness's bad-image pattern: kwok keeps such a pod not ready. */
const BAD = 'registry.invalid/agent:does-not-exist';
const BASE = 'e2e-canary';
const ZONE = 'e2e-canary-zone';

const run = promisify(execFile);

async function promote(mode: Mode, ns: string, name: string) {
  try {
    const r = await run(
      process.execPath,
      [
        join(root, 'bin', 'everynode.js'),
        'rollout',
        'promote',
        name,
        '-n',
        ns,
        '--resource',
        mode,
        '--kubeconfig',
        process.env.KUBECONFIG!,
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** A DaemonSet on the base nodes with issue 12's fields (CRD spec, or the strategy annotation). */
function manifest(mode: Mode, ns: string, name: string, fields: Record<string, unknown>) {
  const ds = structuredClone(
    dsManifest(mode, ns, name, { maxUnavailable: 1 }),
  ) as Mutable<DaemonSet>;
  ds.spec!.template.spec!.nodeSelector = { [BASE]: 'yes' };
  if (mode === 'crd') {
    ds.spec!.updateStrategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, ...fields },
    };
  } else {
    ds.metadata = {
      ...ds.metadata,
      annotations: {
        'rollout.everynode.dev/strategy': JSON.stringify({ rollingUpdate: fields }),
      },
    };
  }
  return ds;
}

const progressing = (ds: DaemonSet) => ds.status?.conditions?.find((c) => c.type === 'Progressing');

describe('e2e: canary, gates, waves (issue 12)', { skip: skipReason, concurrency: true }, () => {
  const namespaces: string[] = [];
  let nodes: string[] = [];
  before(async () => {
    await installCrd();
    nodes = (await readyNodes()).sort();
    kubectl(['label', 'node', ...nodes, `${BASE}=yes`, '--overwrite']);
    nodes.forEach((n, i) => kubectl(['label', 'node', n, `${ZONE}=z${i}`, '--overwrite']));
  });
  after(() => {
    dropNamespaces(namespaces);
    kubectl(['label', 'node', ...nodes, `${BASE}-`, `${ZONE}-`]);
    closeApi();
  });

  for (const mode of modes) {
    describe(`--resource ${mode}`, { concurrency: true }, () => {
      let ns = '';
      let ctl: Everynode | undefined;
      before(async () => {
        ns = await freshNamespace(`e2e-canary-${mode}`);
        namespaces.push(ns);
        ctl = Everynode.start(`canary-${mode}`, mode, ns);
        await ctl.waitForLog('daemonset controller started');
      });
      after(async () => {
        assert.equal(await ctl?.stop(), 0);
      });

      test('a Manual canary waits for `everynode rollout promote`, then the rest rolls', async () => {
        createDs(manifest(mode, ns, 'canary', { canary: { count: 1, promotion: 'Manual' } }));
        await waitRolledOut(mode, ns, 'canary', nodes, V1);
        setImage(mode, ns, 'canary', V2);
        await waitUntil('the canary awaits promotion', async () => {
          const ds = await getDs(mode, ns, 'canary');
          return progressing(ds)?.reason === 'AwaitingPromotion';
        });
        const pods = await livePods(ns, 'canary');
        assert.deepEqual(
          pods.filter((p) => imageOf(p) === V2).map(nodeOf),
          [nodes[0]],
          'only the canary (first node) runs the new image',
        );
        if (mode === 'crd')
          assert.deepEqual((await getDs(mode, ns, 'canary')).status?.rollout?.canaryNodes, [
            nodes[0],
          ]);
        const r = await promote(mode, ns, 'canary');
        assert.equal(r.code, 0, r.stderr);
        await waitRolledOut(mode, ns, 'canary', nodes, V2);
      });

      test('pods that never become ready trip the gate: HealthGateFailed, only the canary touched', async () => {
        createDs(
          manifest(mode, ns, 'gate', {
            canary: { count: 1 },
            healthGates: { maxNotReadySeconds: 5 },
          }),
        );
        await waitRolledOut(mode, ns, 'gate', nodes, V1);
        setImage(mode, ns, 'gate', BAD);
        const ds = await waitUntil('the gate trips', async () => {
          const cur = await getDs(mode, ns, 'gate');
          const p = progressing(cur);
          return p?.status === 'False' && p.reason === 'HealthGateFailed' ? cur : undefined;
        });
        assert.match(progressing(ds)?.message ?? '', new RegExp(`on node ${nodes[0]!}`));
        if (mode === 'crd') assert.equal(ds.status?.rollout?.failure?.node, nodes[0]);
        const pods = await livePods(ns, 'gate');
        assert.equal(pods.filter((p) => imageOf(p) === V1).length, nodes.length - 1);
      });

      test('waves by a zone label in the given order', async () => {
        const order = [`z${nodes.length - 1}`];
        createDs(
          manifest(mode, ns, 'waves', {
            waves: { topologyKey: ZONE, order, bakeSeconds: 3 },
          }),
        );
        await waitRolledOut(mode, ns, 'waves', nodes, V1);
        setImage(mode, ns, 'waves', V2);
        await waitUntil('the first wave bakes', async () => {
          const cur = await getDs(mode, ns, 'waves');
          return progressing(cur)?.reason === 'WaveBaking';
        });
        const first = (await livePods(ns, 'waves')).filter((p) => imageOf(p) === V2).map(nodeOf);
        assert.deepEqual(first, [nodes.at(-1)], `the first wave is ${order[0]!}`);
        await waitRolledOut(mode, ns, 'waves', nodes, V2);
      });
    });
  }
});
