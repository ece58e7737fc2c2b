/**
 * Pod-template fields with a JSON value of the wrong type (issue 17): kube-apiserver's decoder
 * refuses each for apps/v1 ("cannot unmarshal number into Go struct field ... of type bool")
 * before validation runs. test/validation/wire-types.test.ts checks that everynode's one
 * DaemonSet strategy (embedded API server, plan, sim, controller) refuses them too, naming the
 * field; test/cluster/wire-types.test.ts checks, with server dry runs, that kube-apiserver does.
 * The ACCEPTED cases are right-typed values both must take.
 */

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid apps/v1 DaemonSet with a container, a volume and an env var to edit. */
export function baseDaemonSet(): Doc {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: {
          securityContext: {},
          containers: [
            {
              name: 'agent',
              image: 'agent:1',
              securityContext: {},
              env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ containerPort: 9100 }],
              readinessProbe: { tcpSocket: { port: 9100 } },
            },
          ],
          volumes: [{ name: 'proc', hostPath: { path: '/proc' } }],
        },
      },
    },
  };
}

export const podSpec = (d: Doc): Doc => d.spec.template.spec as Doc;
export const container = (d: Doc): Doc => podSpec(d).containers[0] as Doc;

/** A refused case: its name, the edit, and the field path everynode's error must name. */
export type Case = readonly [name: string, edit: (d: Doc) => void, path: string];

const C = 'spec.template.spec.containers[0]';
const P = 'spec.template.spec';

export const REFUSED: readonly Case[] = [
  [
    'pod securityContext.runAsNonRoot: 5',
    (d) => (podSpec(d).securityContext.runAsNonRoot = 5),
    `${P}.securityContext.runAsNonRoot`,
  ],
  [
    'container securityContext.runAsNonRoot: "yes"',
    (d) => (container(d).securityContext.runAsNonRoot = 'yes'),
    `${C}.securityContext.runAsNonRoot`,
  ],
  [
    'container securityContext.privileged: "true"',
    (d) => (container(d).securityContext.privileged = 'true'),
    `${C}.securityContext.privileged`,
  ],
  [
    'container securityContext.runAsUser: "1000"',
    (d) => (container(d).securityContext.runAsUser = '1000'),
    `${C}.securityContext.runAsUser`,
  ],
  [
    'container securityContext.runAsUser: 2.5',
    (d) => (container(d).securityContext.runAsUser = 2.5),
    `${C}.securityContext.runAsUser`,
  ],
  [
    'container securityContext.readOnlyRootFilesystem: 1',
    (d) => (container(d).securityContext.readOnlyRootFilesystem = 1),
    `${C}.securityContext.readOnlyRootFilesystem`,
  ],
  [
    'container securityContext.capabilities.add: "NET_ADMIN"',
    (d) => (container(d).securityContext.capabilities = { add: 'NET_ADMIN' }),
    `${C}.securityContext.capabilities.add`,
  ],
  [
    'container securityContext.seccompProfile: "RuntimeDefault"',
    (d) => (container(d).securityContext.seccompProfile = 'RuntimeDefault'),
    `${C}.securityContext.seccompProfile`,
  ],
  [
    'container securityContext.windowsOptions.hostProcess: "false"',
    (d) => (container(d).securityContext.windowsOptions = { hostProcess: 'false' }),
    `${C}.securityContext.windowsOptions.hostProcess`,
  ],
  [
    'pod securityContext.fsGroup: "2000"',
    (d) => (podSpec(d).securityContext.fsGroup = '2000'),
    `${P}.securityContext.fsGroup`,
  ],
  [
    'pod securityContext.supplementalGroups: ["a"]',
    (d) => (podSpec(d).securityContext.supplementalGroups = ['a']),
    `${P}.securityContext.supplementalGroups[0]`,
  ],
  [
    'pod securityContext.supplementalGroups: 5',
    (d) => (podSpec(d).securityContext.supplementalGroups = 5),
    `${P}.securityContext.supplementalGroups`,
  ],
  [
    'pod securityContext.sysctls[0].value: 1',
    (d) => (podSpec(d).securityContext.sysctls = [{ name: 'net.core.somaxconn', value: 1 }]),
    `${P}.securityContext.sysctls[0].value`,
  ],
  [
    'env valueFrom.fieldRef.fieldPath: 5',
    (d) => (container(d).env[0].valueFrom.fieldRef.fieldPath = 5),
    `${C}.env[0].valueFrom.fieldRef.fieldPath`,
  ],
  [
    'env valueFrom.secretKeyRef.optional: "no"',
    (d) =>
      (container(d).env[0].valueFrom = { secretKeyRef: { name: 's', key: 'k', optional: 'no' } }),
    `${C}.env[0].valueFrom.secretKeyRef.optional`,
  ],
  [
    'envFrom configMapRef.optional: "false"',
    (d) => (container(d).envFrom = [{ configMapRef: { name: 'cm', optional: 'false' } }]),
    `${C}.envFrom[0].configMapRef.optional`,
  ],
  [
    'resources.claims: "gpu"',
    (d) => (container(d).resources = { claims: 'gpu' }),
    `${C}.resources.claims`,
  ],
  [
    'resizePolicy: "NotRequired"',
    (d) => (container(d).resizePolicy = 'NotRequired'),
    `${C}.resizePolicy`,
  ],
  [
    'readinessProbe.periodSeconds: "10"',
    (d) => (container(d).readinessProbe.periodSeconds = '10'),
    `${C}.readinessProbe.periodSeconds`,
  ],
  [
    'ports[0].hostPort: "80"',
    (d) => (container(d).ports[0].hostPort = '80'),
    `${C}.ports[0].hostPort`,
  ],
  [
    'lifecycle.preStop.sleep.seconds: "5"',
    (d) => (container(d).lifecycle = { preStop: { sleep: { seconds: '5' } } }),
    `${C}.lifecycle.preStop.sleep.seconds`,
  ],
  [
    'projected serviceAccountToken.expirationSeconds: "3600"',
    (d) => {
      podSpec(d).volumes.push({
        name: 'token',
        projected: {
          sources: [{ serviceAccountToken: { path: 't', expirationSeconds: '3600' } }],
        },
      });
    },
    `${P}.volumes[1].projected.sources[0].serviceAccountToken.expirationSeconds`,
  ],
  [
    'csi volume readOnly: "true"',
    (d) => {
      podSpec(d).volumes.push({ name: 'c', csi: { driver: 'd.example.com', readOnly: 'true' } });
    },
    `${P}.volumes[1].csi.readOnly`,
  ],
  [
    'pod-level resources.requests: "1"',
    (d) => (podSpec(d).resources = { requests: '1' }),
    `${P}.resources.requests`,
  ],
];

/** Right-typed values (null is absent, as Go reads it): both accept them. */
export const ACCEPTED: readonly (readonly [string, (d: Doc) => void])[] = [
  [
    'runAsNonRoot true, runAsUser 1000, fsGroup 2000, supplementalGroups [3000]',
    (d) => {
      podSpec(d).securityContext = {
        runAsNonRoot: true,
        runAsUser: 1000,
        fsGroup: 2000,
        supplementalGroups: [3000],
        seccompProfile: { type: 'RuntimeDefault' },
      };
    },
  ],
  [
    'capabilities drop ["ALL"], privileged false, readOnlyRootFilesystem true',
    (d) => {
      container(d).securityContext = {
        capabilities: { drop: ['ALL'] },
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      };
    },
  ],
  [
    'runAsNonRoot: null, env secretKeyRef optional true',
    (d) => {
      container(d).securityContext.runAsNonRoot = null;
      container(d).env[0].valueFrom = { secretKeyRef: { name: 's', key: 'k', optional: true } };
    },
  ],
];
