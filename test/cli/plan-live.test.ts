/**
 * `everynode plan ds/NAME` against a fake API server on the loopback interface (offline): the
 * same plan as from the files the server serves, GET requests only, and clear errors for a
 * missing DaemonSet and an unreachable server. The real control plane runs the same command in
 * test:cluster (test/cluster/plan-live.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UsageError } from '../../src/cli/errors.js';
import { loadObjects } from '../../src/cli/load.js';
import { runPlan, type PlanOptions } from '../../src/cli/plan.js';

const ex = (f: string): string => join('examples', 'plan', f);
const NOW = '2026-11-28T21:00:00Z';
const dir = mkdtempSync(join(tmpdir(), 'everynode-plan-live-'));
const requests: string[] = [];
let server: Server;
let kubeconfig: string;

async function list(file: string, kind: string, apiVersion: string): Promise<unknown> {
  const items = (await loadObjects(ex(file))).map((o) => o.object);
  return { apiVersion, kind, metadata: { resourceVersion: '100' }, items };
}

/** apps/v1 `ds` as a CRD object named crd-exporter, its template without the pod defaults. */
function asStoredCr(ds: unknown): unknown {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed manifest, edited
  const cr = structuredClone(ds) as any;
  cr.apiVersion = 'apps.everynode.dev/v1alpha1';
  cr.metadata.name = 'crd-exporter';
  delete cr.metadata.annotations['deprecated.daemonset.template.generation'];
  const spec = cr.spec.template.spec;
  delete spec.dnsPolicy;
  delete spec.restartPolicy;
  delete spec.schedulerName;
  delete spec.terminationGracePeriodSeconds;
  for (const c of spec.containers) {
    delete c.imagePullPolicy;
    delete c.terminationMessagePath;
    delete c.terminationMessagePolicy;
  }
  return cr;
}

before(async () => {
  const [ds] = (await loadObjects(ex('daemonset.yaml'))).map((o) => o.object);
  const routes: Record<string, unknown> = {
    '/apis/apps/v1/namespaces/monitoring/daemonsets/node-exporter': ds,
    // The CRD as kube-apiserver stores a custom resource: no pod-template defaults applied.
    '/apis/apps.everynode.dev/v1alpha1/namespaces/monitoring/daemonsets/crd-exporter':
      asStoredCr(ds),
    '/api/v1/nodes': await list('nodes.yaml', 'NodeList', 'v1'),
    '/api/v1/namespaces/monitoring/pods': await list('pods.yaml', 'PodList', 'v1'),
    '/apis/apps/v1/namespaces/monitoring/controllerrevisions': await list(
      'revisions.yaml',
      'ControllerRevisionList',
      'apps/v1',
    ),
  };
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    requests.push(`${req.method ?? ''} ${path}`);
    const body = req.method === 'GET' ? routes[path] : undefined;
    res.setHeader('content-type', 'application/json');
    if (body === undefined) {
      res.statusCode = 404;
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: `${path} not found`,
        }),
      );
      return;
    }
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: { server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true }
users:
  - name: fake
    user: { token: fake }
contexts:
  - name: fake
    context: { cluster: fake, user: fake, namespace: monitoring }
current-context: fake
`,
  );
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(opts: Partial<PlanOptions>): Promise<string> {
  let out = '';
  await runPlan(
    { output: 'table', now: NOW, ...opts },
    {
      stdout: {
        write: (s: string) => {
          out += s;
        },
      },
    },
  );
  return out;
}

const files = {
  nodes: ex('nodes.yaml'),
  pods: ex('pods.yaml'),
  revisions: ex('revisions.yaml'),
};

test('plan ds/NAME reads the cluster and plans as from the same objects in files', async () => {
  requests.length = 0;
  const live = await plan({ target: 'ds/node-exporter', namespace: 'monitoring', kubeconfig });
  assert.equal(live, await plan({ filename: ex('daemonset.yaml'), ...files }));
  assert.match(live, /worker-4 +yes +yes +- +no daemon pod on an eligible node/);
  assert.ok(requests.length >= 4 && requests.every((r) => r.startsWith('GET ')), requests.join());
});

test('plan ds/NAME -f new.yaml: the change as the API server would store it, step by step', async () => {
  // The context's namespace (monitoring) is the default.
  const live = await plan({
    target: 'daemonset/node-exporter',
    kubeconfig,
    filename: ex('daemonset-v1.8.2.yaml'),
    rollout: true,
  });
  assert.equal(
    live,
    await plan({ filename: ex('daemonset-v1.8.2.yaml'), ...files, rollout: true }),
  );
  assert.match(live, /Rollout: 5 steps over 4s; at most 2 of 4 nodes unavailable/);
  const json = JSON.parse(
    await plan({
      target: 'ds/node-exporter',
      kubeconfig,
      filename: ex('daemonset-v1.8.2.yaml'),
      output: 'json',
    }),
  ) as { daemonSet: { generation: number; templateGeneration: string } };
  assert.equal(json.daemonSet.generation, 2);
  assert.equal(json.daemonSet.templateGeneration, '2');
});

test('plan ends/NAME: the CRD planned with the pod defaults the controller applies (its revision hash)', async () => {
  const out = await plan({ target: 'ends/crd-exporter', kubeconfig });
  // Without the defaults the template hashes differently: "no revision matches the template".
  assert.doesNotMatch(out, /to be created|create revision/);
  // The revision of the same uid whose data is the defaulted template (upstream matches by data).
  assert.match(out, /^Revision: +node-exporter-75c94b6df8 \(revision 1, hash 75c94b6df8\)$/m);
});

test('plan ds/NAME: a missing DaemonSet, files mixed in, an unreachable server', async () => {
  await assert.rejects(plan({ target: 'ends/node-exporter', kubeconfig }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /daemonsets.apps.everynode.dev "node-exporter" not found/);
    return true;
  });
  await assert.rejects(
    plan({ target: 'ds/node-exporter', kubeconfig, nodes: ex('nodes.yaml') }),
    /--nodes, --pods and --revisions read files; with ds\/node-exporter they come from the cluster/,
  );
  await assert.rejects(plan({ target: 'pod/x', kubeconfig }), /"pod" is not a DaemonSet type/);
  // eds was the CRD's short name before ends: still read as the CRD.
  await assert.rejects(
    plan({ target: 'eds/node-exporter', kubeconfig }),
    /daemonsets.apps.everynode.dev "node-exporter" not found/,
  );
  const down = join(dir, 'down');
  writeFileSync(
    down,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:9', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`,
  );
  await assert.rejects(plan({ target: 'ds/x', kubeconfig: down }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /cannot reach the Kubernetes API server at http:\/\/127.0.0.1:9/);
    return true;
  });
});
