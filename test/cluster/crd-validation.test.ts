/**
 * Issue 17 item 1, on a real kube-apiserver: everynode's CRD refuses the typos that apps/v1
 * validation refuses (operator Near, a toleration operator Bogus, maxUnavailable 1e30, ...) at
 * `kubectl apply`, and everynode's own validation (the one the embedded API server, plan, sim and
 * the controller use) agrees with kube-apiserver on every case. Server-side dry runs only: no
 * object is stored, so this costs a few seconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admitStoredDaemonSet } from '../../src/api/dsstrategy.js';
import type { DaemonSet } from '../../src/api/types.js';
import { installCrd } from './helpers.js';
import { kubectl, skipReason } from './kubectl.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(): Doc {
  return {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: {
          containers: [
            {
              name: 'agent',
              image: 'agent:1',
              ports: [{ containerPort: 9100 }],
              resources: { limits: { memory: '64Mi', cpu: 1 } },
            },
          ],
          volumes: [{ name: 'proc', hostPath: { path: '/proc' } }],
          tolerations: [
            {
              key: 'node-role.kubernetes.io/control-plane',
              operator: 'Exists',
              effect: 'NoSchedule',
            },
            { operator: 'Exists' },
          ],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
                    ],
                  },
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
                ],
              },
            },
          },
        },
      },
    },
  };
}

const spec = (d: Doc): Doc => d.spec.template.spec as Doc;
const expr = (d: Doc): Doc =>
  spec(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
    .matchExpressions[0] as Doc;

const REFUSED: readonly [string, (d: Doc) => void][] = [
  [
    'operator Near',
    (d) => {
      expr(d).operator = 'Near';
    },
  ],
  [
    'operator in (lower case)',
    (d) => {
      expr(d).operator = 'in';
    },
  ],
  ['In without values', (d) => delete expr(d).values],
  [
    'nodeSelectorTerms "oops"',
    (d) =>
      (spec(
        d,
      ).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms =
        'oops'),
  ],
  [
    'toleration operator Bogus',
    (d) => {
      spec(d).tolerations[0].operator = 'Bogus';
    },
  ],
  [
    'toleration effect Bogus',
    (d) => {
      spec(d).tolerations[0].effect = 'Bogus';
    },
  ],
  [
    'toleration without key, operator Equal',
    (d) => {
      spec(d).tolerations[1].operator = 'Equal';
    },
  ],
  [
    'maxUnavailable 1e30',
    (d) => {
      d.spec.updateStrategy.rollingUpdate.maxUnavailable = 1e30;
    },
  ],
  [
    'minReadySeconds 2.5',
    (d) => {
      d.spec.minReadySeconds = 2.5;
    },
  ],
  [
    'minReadySeconds 1e20',
    (d) => {
      d.spec.minReadySeconds = 1e20;
    },
  ],
  ['a container without an image', (d) => delete spec(d).containers[0].image],
  [
    'two containers named alike',
    (d) => {
      spec(d).containers.push({ name: 'agent', image: 'x' });
    },
  ],
  [
    'containerPort 70000',
    (d) => {
      spec(d).containers[0].ports[0].containerPort = 70000;
    },
  ],
  [
    'quantity "lots"',
    (d) => {
      spec(d).containers[0].resources.limits.memory = 'lots';
    },
  ],
  [
    'two volumes named alike',
    (d) => {
      spec(d).volumes.push({ name: 'proc', emptyDir: {} });
    },
  ],
  [
    'restartPolicy Never',
    (d) => {
      spec(d).restartPolicy = 'Never';
    },
  ],
  [
    'dnsPolicy Cluster',
    (d) => {
      spec(d).dnsPolicy = 'Cluster';
    },
  ],
];

/** kubectl apply --dry-run=server: undefined when accepted, the error text when refused. */
function dryRun(doc: Doc): string | undefined {
  try {
    kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(doc));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('the CRD refuses what apps/v1 validation refuses', { skip: skipReason }, () => {
  test('a valid DaemonSet is accepted by kube-apiserver and by everynode', async () => {
    await installCrd();
    assert.equal(dryRun(base()), undefined);
    assert.deepEqual(admitStoredDaemonSet(base() as DaemonSet).errors.map(String), []);
  });
  for (const [name, edit] of REFUSED) {
    test(`refused by both: ${name}`, () => {
      const d = base();
      edit(d);
      const kube = dryRun(d);
      assert.notEqual(kube, undefined, `kube-apiserver accepted ${name}`);
      assert.match(kube!, /is invalid/);
      assert.notDeepEqual(admitStoredDaemonSet(d).errors, [], `everynode accepted ${name}`);
    });
  }
});
