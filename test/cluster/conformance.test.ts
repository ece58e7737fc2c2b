/**
 * The Cluster conformance suite (test/conformance/) against the kube adapter and the real
 * control plane that `npm run test:cluster` starts: the same tests the memory adapter passes.
 */
import { after } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import { runClusterConformance } from '../conformance/suite.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

if (skipReason === false) {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG!);
  const cluster = new KubeCluster({ kubeConfig: kc });
  after(() => {
    cluster.close();
  });
  runClusterConformance('kube (kube-apiserver v1.33)', async () => {
    const namespace = await freshNamespace('conf');
    return {
      cluster,
      namespace,
      cleanup: () => {
        kubectl(['delete', 'namespace', namespace, '--wait=false']);
        return Promise.resolve();
      },
      // kube-controller-manager's garbage collector runs; bookmarks and watch-history expiry
      // cannot be forced on a real apiserver, so those tests are skipped.
      capabilities: { garbageCollection: true, timeoutMs: 30_000 },
    };
  });
}
