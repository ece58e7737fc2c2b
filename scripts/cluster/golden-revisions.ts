/**
 * `node --import tsx scripts/cluster/golden-revisions.ts`
 *
 * Regenerates the golden revision data in test/fixtures/revisions/ from a running cluster (the
 * one `npm run cluster:up` started in EVERYNODE_CLUSTER_DIR): turns kube-controller-manager's
 * DaemonSet controller on, creates the DaemonSets of test/cluster/golden.ts in a new namespace,
 * and writes for each the DaemonSet as kube-apiserver served it (<case>.json, identity and status
 * left out) and the data bytes of the ControllerRevision kube-controller-manager wrote
 * (<case>.data, read in protobuf form, byte for byte). Then it deletes the namespace and puts the
 * DaemonSet controller back as it was. Run it after changing the cases or the pinned Kubernetes
 * version, and commit the files; `npm test` compares everynode's bytes with them.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { format } from 'prettier';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import { goldenDir, recordGolden, stableDaemonSet } from '../../test/cluster/golden.js';
import { kubectl } from '../../test/cluster/kubectl.js';
import { cachePaths, componentArgs, flagValue, readState, restartComponent } from './lib.js';

const state = readState();
if (!state) {
  console.error(
    'no running cluster: start one with `npm run cluster:up` (same EVERYNODE_CLUSTER_DIR)',
  );
  process.exit(1);
}
process.env.KUBECONFIG = state.kubeconfig;
process.env.PATH = `${cachePaths().bin}:${process.env.PATH ?? ''}`;
const kcm = state.components.find((c) => c.name === 'kube-controller-manager');
if (!kcm) throw new Error('the cluster has no kube-controller-manager');
const controllersBefore = flagValue(componentArgs(kcm), '--controllers') ?? '*';

const kc = new KubeConfig();
kc.loadFromFile(state.kubeconfig);
const api = new KubeCluster({ kubeConfig: kc });
const ns = `golden-${Date.now().toString(36)}`;
let status = 0;
try {
  await restartComponent('kube-controller-manager', { flags: { '--controllers': '*' } });
  kubectl(['create', 'namespace', ns]);
  const records = await recordGolden(api, state.kubeconfig, ns);
  mkdirSync(goldenDir, { recursive: true });
  for (const f of readdirSync(goldenDir)) rmSync(join(goldenDir, f));
  for (const r of records) {
    const json = await format(JSON.stringify(stableDaemonSet(r.daemonSet)), { parser: 'json' });
    writeFileSync(join(goldenDir, `${r.name}.json`), json);
    writeFileSync(join(goldenDir, `${r.name}.data`), r.data);
    console.error(`${r.name}: ${r.data.length} bytes`);
  }
  console.error(`wrote ${records.length} cases to ${goldenDir}`);
} catch (e) {
  console.error(`golden-revisions: ${(e as Error).message}`);
  status = 1;
} finally {
  try {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  } catch {
    // never created
  }
  api.close();
  await restartComponent('kube-controller-manager', {
    flags: { '--controllers': controllersBefore },
  });
}
process.exit(status);
