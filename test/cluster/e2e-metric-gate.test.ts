/**
 * The Prometheus health gate on the real control plane (issue 12), for everynode's CRD and native
 * apps/v1 DaemonSets (the strategy annotation): `everynode run` against kube-apiserver + kwok, its
 * gate querying a real Prometheus 3.16 (scripts/cluster/build-tools.sh) on the wall clock.
 * Recording rules over vector() give fixed values: agent:error_ratio:ok = 0.02, :bad = 0.9.
 * A canary whose metric is 0.02 (max 0.5) bakes 4 s and rolls out; one at 0.9 trips MetricFailed
 * after 2 answers 2 s apart and aborts back to the first image. Lean: one controller per mode,
 * tests and modes concurrent, every wait bounded; ~15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, Mutable } from '../../src/api/types.js';
import { queryPrometheus } from '../../src/controller/prometheus.js';
import {
  GATE_RULES,
  gateQuery,
  prometheusBinary,
  startPrometheus,
  type RunningPrometheus,
} from '../prometheus/server.js';
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
  readyNodes,
  setImage,
  waitRolledOut,
  waitUntil,
  type Mode,
} from './helpers.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';
const BASE = 'e2e-metric-gate';

let prom: RunningPrometheus | undefined;

/** A DaemonSet with a canary gated by `rule` (CRD spec, or the strategy annotation). */
function manifest(mode: Mode, ns: string, name: string, rule: string): DaemonSet {
  const fields = {
    canary: { count: 1, bakeSeconds: 4 },
    healthGates: {
      onFailure: 'Abort',
      prometheus: {
        address: prom!.url,
        query: gateQuery(rule),
        max: 0.5,
        intervalSeconds: 2,
        failureLimit: 2,
      },
    },
  };
  const ds = structuredClone(
    dsManifest(mode, ns, name, { maxUnavailable: 1 }),
  ) as Mutable<DaemonSet>;
  ds.spec!.template.spec!.nodeSelector = { [BASE]: 'yes' };
  if (mode === 'crd')
    ds.spec!.updateStrategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, ...fields },
    };
  else
    ds.metadata = {
      ...ds.metadata,
      annotations: { 'rollout.everynode.dev/strategy': JSON.stringify({ rollingUpdate: fields }) },
    };
  return ds;
}

const progressing = (ds: DaemonSet) => ds.status?.conditions?.find((c) => c.type === 'Progressing');

describe('e2e: the Prometheus gate (issue 12)', { skip: skipReason, concurrency: true }, () => {
  const namespaces: string[] = [];
  let nodes: string[] = [];
  before(async () => {
    const bin = prometheusBinary();
    if (!bin) throw new Error('no prometheus binary: scripts/cluster/build-tools.sh builds it');
    prom = await startPrometheus(
      bin,
      'global: { evaluation_interval: 1s }\nrule_files: [rules.yml]',
      {
        rules: GATE_RULES,
      },
    );
    await waitUntil('the recording rules', async () => {
      const o = await queryPrometheus(prom!.url, 'agent:error_ratio:bad');
      return o.kind === 'value';
    });
    await installCrd();
    nodes = (await readyNodes()).sort();
    kubectl(['label', 'node', ...nodes, `${BASE}=yes`, '--overwrite']);
  });
  after(async () => {
    dropNamespaces(namespaces);
    kubectl(['label', 'node', ...nodes, `${BASE}-`]);
    closeApi();
    await prom?.stop();
  });

  for (const mode of modes) {
    describe(`--resource ${mode}`, { concurrency: true }, () => {
      let ns = '';
      let ctl: Everynode | undefined;
      before(async () => {
        ns = await freshNamespace(`e2e-metric-${mode}`);
        namespaces.push(ns);
        ctl = Everynode.start(`metric-${mode}`, mode, ns);
        await ctl.waitForLog('daemonset controller started');
      });
      after(async () => {
        assert.equal(await ctl?.stop(), 0);
      });

      test('a metric under max: the canary bakes and the rollout completes', async () => {
        createDs(manifest(mode, ns, 'ok', 'agent:error_ratio:ok'));
        await waitRolledOut(mode, ns, 'ok', nodes, V1);
        setImage(mode, ns, 'ok', V2);
        await waitRolledOut(mode, ns, 'ok', nodes, V2);
        const ds = await getDs(mode, ns, 'ok');
        assert.notEqual(progressing(ds)?.reason, 'RolloutAborted');
        if (mode === 'crd') assert.equal(ds.status?.rollout?.failure, undefined);
      });

      test('a metric over max: MetricFailed twice aborts, the canary goes back', async () => {
        createDs(manifest(mode, ns, 'bad', 'agent:error_ratio:bad'));
        await waitRolledOut(mode, ns, 'bad', nodes, V1);
        setImage(mode, ns, 'bad', V2);
        const ds = await waitUntil('the gate aborts', async () => {
          const cur = await getDs(mode, ns, 'bad');
          return progressing(cur)?.reason === 'RolloutAborted' ? cur : undefined;
        });
        assert.match(
          progressing(ds)?.message ?? '',
          /aborted by a health gate \(MetricFailed: prometheus gate: query returned 0\.9, outside <= 0\.5, 2 times in a row/,
        );
        if (mode === 'crd') {
          assert.equal(ds.status?.rollout?.failure?.reason, 'MetricFailed');
          assert.equal(ds.status?.rollout?.metric?.lastResult, '0.9');
        }
        await waitUntil('every node back on the first image', async () => {
          const pods = await livePods(ns, 'bad');
          return pods.length === nodes.length && pods.every((p) => imageOf(p) === V1);
        });
      });
    });
  }
});
