/**
 * Smoke test of the real-cluster harness: the fake nodes are Ready, the built-in DaemonSet
 * controller is really off (a DaemonSet gets no pods and no status), and a pod bound to a kwok
 * node becomes Running and Ready.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  eventually,
  expectedNodes,
  freshNamespace,
  kubectl,
  kubectlJson,
  skipReason,
} from './kubectl.js';

interface Condition {
  type: string;
  status: string;
}
interface Obj {
  metadata: { name: string; generation?: number };
  spec?: { taints?: unknown[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    observedGeneration?: number;
    desiredNumberScheduled?: number;
  };
}
const ready = (o: Obj): boolean =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('real-cluster harness smoke', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  after(() => {
    for (const ns of namespaces) kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  test('kubectl get nodes shows every fake node Ready and untainted', () => {
    const nodes = (kubectlJson(['get', 'nodes']) as { items: Obj[] }).items;
    assert.equal(nodes.length, expectedNodes);
    for (const n of nodes) {
      assert.ok(ready(n), `${n.metadata.name} is not Ready`);
      assert.deepEqual(n.spec?.taints ?? [], [], `${n.metadata.name} has taints`);
    }
  });

  test('the built-in DaemonSet controller is off: a DaemonSet gets no pods', async () => {
    const ns = await freshNamespace('smoke-ds');
    namespaces.push(ns);
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'probe', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'probe' } },
        template: {
          metadata: { labels: { app: 'probe' } },
          spec: { containers: [{ name: 'c', image: 'registry.invalid/probe:1' }] },
        },
      },
    };
    kubectl(['create', '-f', '-'], JSON.stringify(ds));
    // Control: a pod in the same namespace is admitted and bound, so the namespace works and any
    // DaemonSet pod would have shown up by the time this one is Ready.
    kubectl(['-n', ns, 'run', 'control', '--image=registry.invalid/x:1', '--restart=Never']);
    await eventually('control pod Ready', () =>
      ready(kubectlJson(['-n', ns, 'get', 'pod', 'control']) as Obj),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const pods = (kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app=probe']) as { items: Obj[] })
      .items;
    assert.deepEqual(
      pods.map((p) => p.metadata.name),
      [],
      'DaemonSet pods appeared: is the built-in controller on?',
    );
    const got = kubectlJson(['-n', ns, 'get', 'daemonset', 'probe']) as Obj;
    assert.equal(got.status?.observedGeneration, undefined, 'something wrote DaemonSet status');
  });

  test('a pod bound to a kwok node becomes Running and Ready', async () => {
    const ns = await freshNamespace('smoke-pod');
    namespaces.push(ns);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pinned', namespace: ns },
      spec: { nodeName: 'kwok-node-0', containers: [{ name: 'c', image: 'registry.invalid/x:1' }] },
    };
    kubectl(['create', '-f', '-'], JSON.stringify(pod));
    const got = await eventually('pinned pod Running and Ready', () => {
      const p = kubectlJson(['-n', ns, 'get', 'pod', 'pinned']) as Obj;
      return p.status?.phase === 'Running' && ready(p) ? p : undefined;
    });
    assert.equal(got.status?.phase, 'Running');
  });
});
