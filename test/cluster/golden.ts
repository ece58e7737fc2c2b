/**
 * The golden set of revision data: DaemonSet templates whose ControllerRevision bytes, as
 * kube-controller-manager writes them, are kept under test/fixtures/revisions/ and compared with
 * everynode's (offline in test/revisions-golden.test.ts, live in e2e-revisions.test.ts).
 * `recordGolden` creates the DaemonSets on a cluster whose built-in DaemonSet controller is on and
 * reads back what it wrote; scripts/cluster/golden-revisions.ts uses it to regenerate the files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSet } from '../../src/api/types.js';
import type { KubeCluster } from '../../src/cluster/kube/index.js';
import { kubectl } from './kubectl.js';
import { rawRevisionData } from './rawrevision.js';

/** Where the golden files live: <case>.json (the DaemonSet as served) and <case>.data (bytes). */
export const goldenDir = join(import.meta.dirname, '..', 'fixtures', 'revisions');

/** One golden case: a name and the pod template (selector and labels are added). */
export interface GoldenCase {
  readonly name: string;
  readonly template: Record<string, unknown>;
}

const noNode = { nodeSelector: { 'golden.everynode.dev/none': 'true' } };
const c = (extra: Record<string, unknown>): Record<string, unknown> => ({
  name: 'c',
  image: 'registry.invalid/agent:1',
  ...extra,
});

/**
 * The templates: each exercises one part of Go's encoding (field order, nulls and empty objects
 * the API server adds, quantities it canonicalises, escapes, key order, large numbers). A
 * nodeSelector no node has keeps them from creating pods: the revision is written regardless.
 */
export const goldenCases: readonly GoldenCase[] = [
  { name: 'minimal', template: { spec: { ...noNode, containers: [c({})] } } },
  {
    name: 'probes',
    template: {
      spec: {
        ...noNode,
        containers: [
          c({
            ports: [
              { name: 'http', containerPort: 8080 },
              { containerPort: 9090, hostPort: 9090 },
            ],
            livenessProbe: { httpGet: { port: 8080, httpHeaders: [{ name: 'X-A', value: 'b' }] } },
            readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 3 },
            startupProbe: { exec: { command: ['/bin/check', '--fast'] }, failureThreshold: 30 },
          }),
          c({ name: 'grpc', livenessProbe: { grpc: { port: 9000 } } }),
        ],
      },
    },
  },
  {
    name: 'resources',
    template: {
      spec: {
        ...noNode,
        containers: [
          c({
            resources: {
              requests: { cpu: '0.5', memory: '1024Mi', 'ephemeral-storage': '1e3' },
              limits: { cpu: '2000m', memory: '1.5Gi', 'hugepages-2Mi': '0' },
            },
          }),
        ],
      },
    },
  },
  {
    name: 'env-escapes',
    template: {
      metadata: {
        annotations: { '9': 'nine', '10': '<ten> & more', 'a.example/Z': 'x', 'a.example/a': 'y' },
        labels: { tier: 'a' },
      },
      spec: {
        ...noNode,
        containers: [
          c({
            env: [
              { name: 'HTML', value: '<script>alert("x & y")</script>' },
              { name: 'UNICODE', value: 'é 中文 😀 \u00a0 \ufeff' },
              { name: 'SEPARATORS', value: 'a\u2028b\u2029c' },
              { name: 'CONTROL', value: 'tab\tnl\ncr\rbs\bff\fone\u0001del\u007f' },
              { name: 'QUOTES', value: 'say "hi" \\ back/slash' },
              { name: 'LONE_SURROGATE', value: 'x\ud800y' },
              { name: 'EMPTY', value: '' },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              {
                name: 'CPU',
                valueFrom: { resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
              },
            ],
          }),
        ],
      },
    },
  },
  {
    name: 'volumes',
    template: {
      spec: {
        ...noNode,
        containers: [
          c({
            volumeMounts: [
              { name: 'host', mountPath: '/host', readOnly: true },
              { name: 'scratch', mountPath: '/tmp' },
              { name: 'cfg', mountPath: '/etc/cfg' },
            ],
          }),
        ],
        volumes: [
          { name: 'host', hostPath: { path: '/' } },
          { name: 'scratch', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.conf' }] } },
          { name: 'sec', secret: { secretName: 's', optional: true } },
          {
            name: 'proj',
            projected: {
              sources: [
                {
                  downwardAPI: {
                    items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }],
                  },
                },
                { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
              ],
            },
          },
        ],
      },
    },
  },
  {
    name: 'empty-and-null',
    template: {
      metadata: { annotations: { empty: '' }, creationTimestamp: null },
      spec: {
        ...noNode,
        securityContext: {},
        affinity: {},
        tolerations: [{ operator: 'Exists' }],
        initContainers: [c({ name: 'init', args: [], securityContext: {} })],
        containers: [c({ command: [], resources: {}, lifecycle: {} })],
        hostNetwork: false,
      },
    },
  },
  {
    name: 'numbers',
    template: {
      spec: {
        ...noNode,
        // 2^53 - 1: getPatch keeps integers as int64; JSON.parse keeps them exactly up to here.
        terminationGracePeriodSeconds: Number.MAX_SAFE_INTEGER,
        containers: [
          c({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 2147483647 } }),
        ],
        priority: 0,
      },
    },
  },
];

/** The DaemonSet of a case in namespace `ns`: apps/v1, or everynode's custom resource. */
export function goldenDaemonSet(ns: string, gc: GoldenCase, crd = false): DaemonSet {
  const app = `golden-${gc.name}`;
  const meta = (gc.template.metadata ?? {}) as { labels?: Record<string, string> };
  return {
    apiVersion: crd ? 'apps.everynode.dev/v1alpha1' : 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: app, namespace: ns },
    spec: {
      selector: { matchLabels: { app } },
      template: { ...gc.template, metadata: { ...meta, labels: { ...meta.labels, app } } },
    },
  } as unknown as DaemonSet;
}

/** A recorded case: the DaemonSet as kube-apiserver served it, and the revision's data bytes. */
export interface GoldenRecord {
  readonly name: string;
  readonly daemonSet: DaemonSet;
  readonly data: Buffer;
}

/** The DaemonSet with what varies from run to run taken out (identity, times, status). */
export function stableDaemonSet(ds: DaemonSet): DaemonSet {
  const { metadata, spec } = ds;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: metadata?.name, namespace: 'golden' },
    spec,
  };
}

/**
 * Creates every golden DaemonSet in `ns` (apps/v1, or with `crd` everynode's custom resource),
 * waits until each has its one ControllerRevision (written by whichever controller runs them),
 * and returns the DaemonSets as served with the revisions' data bytes read in protobuf form.
 */
export async function recordGolden(
  api: KubeCluster,
  kubeconfig: string,
  ns: string,
  opts: { readonly crd?: boolean; readonly timeoutMs?: number } = {},
): Promise<GoldenRecord[]> {
  const cases = goldenCases;
  const crd = opts.crd ?? false;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  for (const gc of cases)
    kubectl(['create', '-f', '-'], JSON.stringify(goldenDaemonSet(ns, gc, crd)));
  const out: GoldenRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const gc of cases) {
    const name = `golden-${gc.name}`;
    for (;;) {
      const revs = await api.list<{ metadata?: { name?: string } }>('ControllerRevision', {
        namespace: ns,
        labelSelector: `app=${name}`,
      });
      if (revs.items.length === 1) {
        const daemonSet = await api.get<DaemonSet>(
          crd ? 'EverynodeDaemonSet' : 'DaemonSet',
          ns,
          name,
        );
        const data = await rawRevisionData(kubeconfig, ns, revs.items[0]!.metadata!.name!);
        out.push({ name: gc.name, daemonSet, data });
        break;
      }
      if (revs.items.length > 1)
        throw new Error(`${ns}/${name} has ${revs.items.length} revisions`);
      if (Date.now() > deadline) throw new Error(`no ControllerRevision for ${ns}/${name} in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return out;
}

/** The golden files: each case's served DaemonSet and kube-controller-manager's bytes. */
export function readGolden(): GoldenRecord[] {
  return readdirSync(goldenDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.json'.length);
      return {
        name,
        daemonSet: JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as DaemonSet,
        data: readFileSync(join(goldenDir, `${name}.data`)),
      };
    });
}
