/**
 * The JSON types of the fields everynode reads, per kind, as the Go structs of core/v1 and apps/v1
 * declare them. kube-apiserver's decoder refuses a value of the wrong type (a string where a list
 * belongs, 2.5 or 1e20 in an int32) before any validation runs; wirecheck.ts does the same with
 * these tables. Fields not listed are not checked (kept as they are), so a newer field or one
 * everynode never reads cannot make an object invalid here.
 */

import {
  envFromSource,
  envVarSource,
  podSecurityContext,
  resizePolicy,
  resourceClaims,
  securityContext,
  volumeSources,
} from './wireschema-pod.js';

import type { WireType } from './wiretype.js';

export type { WireType } from './wiretype.js';

const str = 'string';
const bool = 'boolean';
const strings: WireType = { list: str };
const stringMap: WireType = { map: str };
const quantities: WireType = { map: 'quantity' };

const ownerReference: WireType = {
  fields: {
    apiVersion: str,
    kind: str,
    name: str,
    uid: str,
    controller: bool,
    blockOwnerDeletion: bool,
  },
};

/** ObjectMeta. */
export const objectMeta: WireType = {
  fields: {
    name: str,
    generateName: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: 'int64',
    creationTimestamp: 'time',
    deletionTimestamp: 'time',
    deletionGracePeriodSeconds: 'int64',
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: { list: ownerReference },
    finalizers: strings,
  },
};

const labelSelector: WireType = {
  fields: {
    matchLabels: stringMap,
    matchExpressions: { list: { fields: { key: str, operator: str, values: strings } } },
  },
};

const nodeSelectorRequirement: WireType = { fields: { key: str, operator: str, values: strings } };
const nodeSelectorTerm: WireType = {
  fields: {
    matchExpressions: { list: nodeSelectorRequirement },
    matchFields: { list: nodeSelectorRequirement },
  },
};
/** NodeSelector (required node affinity). */
export const nodeSelector: WireType = { fields: { nodeSelectorTerms: { list: nodeSelectorTerm } } };

const podAffinityTerm: WireType = {
  fields: {
    labelSelector,
    namespaces: strings,
    topologyKey: str,
    namespaceSelector: labelSelector,
    matchLabelKeys: strings,
    mismatchLabelKeys: strings,
  },
};
const podAffinity: WireType = {
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: { list: podAffinityTerm },
    preferredDuringSchedulingIgnoredDuringExecution: {
      list: { fields: { weight: 'int32', podAffinityTerm } },
    },
  },
};
const affinity: WireType = {
  fields: {
    nodeAffinity: {
      fields: {
        requiredDuringSchedulingIgnoredDuringExecution: nodeSelector,
        preferredDuringSchedulingIgnoredDuringExecution: {
          list: { fields: { weight: 'int32', preference: nodeSelectorTerm } },
        },
      },
    },
    podAffinity,
    podAntiAffinity: podAffinity,
  },
};

const toleration: WireType = {
  fields: { key: str, operator: str, value: str, effect: str, tolerationSeconds: 'int64' },
};

/** A Node's taint. */
export const taint: WireType = { fields: { key: str, value: str, effect: str, timeAdded: 'time' } };

/** ResourceRequirements (a container's, and the pod-level one). */
const resources: WireType = {
  fields: { limits: quantities, requests: quantities, claims: resourceClaims },
};

const httpGet: WireType = {
  fields: {
    path: str,
    port: 'intOrString',
    host: str,
    scheme: str,
    httpHeaders: { list: { fields: { name: str, value: str } } },
  },
};
const handler = {
  exec: { fields: { command: strings } },
  httpGet,
  tcpSocket: { fields: { port: 'intOrString', host: str } },
} as const satisfies Record<string, WireType>;
const probe: WireType = {
  fields: {
    ...handler,
    grpc: { fields: { port: 'int32', service: str } },
    initialDelaySeconds: 'int32',
    timeoutSeconds: 'int32',
    periodSeconds: 'int32',
    successThreshold: 'int32',
    failureThreshold: 'int32',
    terminationGracePeriodSeconds: 'int64',
  },
};
const lifecycleHandler: WireType = {
  fields: { ...handler, sleep: { fields: { seconds: 'int64' } } },
};

const container: WireType = {
  fields: {
    name: str,
    image: str,
    command: strings,
    args: strings,
    workingDir: str,
    ports: {
      list: {
        fields: {
          name: str,
          hostPort: 'int32',
          containerPort: 'int32',
          protocol: str,
          hostIP: str,
        },
      },
    },
    envFrom: { list: envFromSource },
    env: { list: { fields: { name: str, value: str, valueFrom: envVarSource } } },
    resources,
    resizePolicy,
    restartPolicy: str,
    volumeMounts: {
      list: {
        fields: {
          name: str,
          readOnly: bool,
          mountPath: str,
          subPath: str,
          mountPropagation: str,
          subPathExpr: str,
          recursiveReadOnly: str,
        },
      },
    },
    volumeDevices: { list: { fields: { name: str, devicePath: str } } },
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: {
      fields: { postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: str },
    },
    terminationMessagePath: str,
    terminationMessagePolicy: str,
    imagePullPolicy: str,
    securityContext,
    stdin: bool,
    stdinOnce: bool,
    tty: bool,
  },
};

const volume: WireType = { fields: { name: str, ...volumeSources } };

/** PodSpec. */
export const podSpec: WireType = {
  fields: {
    volumes: { list: volume },
    initContainers: { list: container },
    containers: { list: container },
    ephemeralContainers: { list: 'object' },
    restartPolicy: str,
    terminationGracePeriodSeconds: 'int64',
    activeDeadlineSeconds: 'int64',
    dnsPolicy: str,
    nodeSelector: stringMap,
    serviceAccountName: str,
    serviceAccount: str,
    automountServiceAccountToken: bool,
    nodeName: str,
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    shareProcessNamespace: bool,
    securityContext: podSecurityContext,
    imagePullSecrets: { list: { fields: { name: str } } },
    hostname: str,
    subdomain: str,
    affinity,
    schedulerName: str,
    tolerations: { list: toleration },
    hostAliases: { list: { fields: { ip: str, hostnames: strings } } },
    priorityClassName: str,
    priority: 'int32',
    dnsConfig: {
      fields: {
        nameservers: strings,
        searches: strings,
        options: { list: { fields: { name: str, value: str } } },
      },
    },
    readinessGates: { list: { fields: { conditionType: str } } },
    runtimeClassName: str,
    enableServiceLinks: bool,
    preemptionPolicy: str,
    overhead: quantities,
    topologySpreadConstraints: {
      list: {
        fields: {
          maxSkew: 'int32',
          topologyKey: str,
          whenUnsatisfiable: str,
          labelSelector,
          minDomains: 'int32',
          nodeAffinityPolicy: str,
          nodeTaintsPolicy: str,
          matchLabelKeys: strings,
        },
      },
    },
    setHostnameAsFQDN: bool,
    os: { fields: { name: str } },
    hostUsers: bool,
    schedulingGates: { list: { fields: { name: str } } },
    resources,
  },
};

/** PodTemplateSpec. */
export const podTemplateSpec: WireType = { fields: { metadata: objectMeta, spec: podSpec } };

const condition: WireType = {
  fields: {
    type: str,
    status: str,
    lastTransitionTime: 'time',
    lastHeartbeatTime: 'time',
    lastProbeTime: 'time',
    reason: str,
    message: str,
  },
};

/** DaemonSet (apps/v1; everynode's CRD has the same spec). */
export const daemonSet: WireType = {
  fields: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      fields: {
        selector: labelSelector,
        template: podTemplateSpec,
        updateStrategy: {
          fields: {
            type: str,
            rollingUpdate: { fields: { maxUnavailable: 'intOrString', maxSurge: 'intOrString' } },
          },
        },
        minReadySeconds: 'int32',
        templateGeneration: 'int64',
        revisionHistoryLimit: 'int32',
      },
    },
    status: {
      fields: {
        currentNumberScheduled: 'int32',
        numberMisscheduled: 'int32',
        desiredNumberScheduled: 'int32',
        numberReady: 'int32',
        observedGeneration: 'int64',
        updatedNumberScheduled: 'int32',
        numberAvailable: 'int32',
        numberUnavailable: 'int32',
        collisionCount: 'int32',
        conditions: { list: condition },
      },
    },
  },
};

/** Node. */
export const node: WireType = {
  fields: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      fields: {
        podCIDR: str,
        podCIDRs: strings,
        providerID: str,
        unschedulable: bool,
        taints: { list: taint },
      },
    },
    status: {
      fields: {
        capacity: quantities,
        allocatable: quantities,
        phase: str,
        conditions: { list: condition },
        addresses: { list: { fields: { type: str, address: str } } },
      },
    },
  },
};

/** Pod. */
export const pod: WireType = {
  fields: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: podSpec,
    status: {
      fields: {
        phase: str,
        conditions: { list: condition },
        hostIP: str,
        podIP: str,
        startTime: 'time',
      },
    },
  },
};

/** ControllerRevision. */
export const controllerRevision: WireType = {
  fields: { apiVersion: str, kind: str, metadata: objectMeta, data: 'object', revision: 'int64' },
};

/** The schema of each kind everynode reads from files and from its API server. */
export const WIRE_SCHEMAS: Readonly<Record<string, WireType>> = {
  DaemonSet: daemonSet,
  Node: node,
  Pod: pod,
  ControllerRevision: controllerRevision,
};
