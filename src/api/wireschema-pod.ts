/**
 * More of core/v1's pod types for wireschema.ts: the security contexts, env sources, resource
 * claims and resize policies, and the volume sources beyond the common ones. kube-apiserver's
 * decoder refuses a wrong JSON type in any of these (`runAsNonRoot: 5`: "cannot unmarshal number
 * into Go struct field SecurityContext...runAsNonRoot of type bool") before validation runs.
 */
import type { WireType } from './wiretype.js';

const str = 'string';
const bool = 'boolean';
const strings: WireType = { list: str };
const stringMap: WireType = { map: str };

const seLinuxOptions: WireType = { fields: { user: str, role: str, type: str, level: str } };
const windowsOptions: WireType = {
  fields: {
    gmsaCredentialSpecName: str,
    gmsaCredentialSpec: str,
    runAsUserName: str,
    hostProcess: bool,
  },
};
/** SeccompProfile and AppArmorProfile have the same shape. */
const profile: WireType = { fields: { type: str, localhostProfile: str } };

/** SecurityContext (a container's). */
export const securityContext: WireType = {
  fields: {
    capabilities: { fields: { add: strings, drop: strings } },
    privileged: bool,
    seLinuxOptions,
    windowsOptions,
    runAsUser: 'int64',
    runAsGroup: 'int64',
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    procMount: str,
    seccompProfile: profile,
    appArmorProfile: profile,
  },
};

/** PodSecurityContext. */
export const podSecurityContext: WireType = {
  fields: {
    seLinuxOptions,
    windowsOptions,
    runAsUser: 'int64',
    runAsGroup: 'int64',
    runAsNonRoot: bool,
    supplementalGroups: { list: 'int64' },
    supplementalGroupsPolicy: str,
    fsGroup: 'int64',
    sysctls: { list: { fields: { name: str, value: str } } },
    fsGroupChangePolicy: str,
    seccompProfile: profile,
    appArmorProfile: profile,
    seLinuxChangePolicy: str,
  },
};

const keySelector: WireType = { fields: { name: str, key: str, optional: bool } };
const fieldRef: WireType = { fields: { apiVersion: str, fieldPath: str } };
const resourceFieldRef: WireType = {
  fields: { containerName: str, resource: str, divisor: 'quantity' },
};

/** EnvVar.valueFrom. */
export const envVarSource: WireType = {
  fields: {
    fieldRef,
    resourceFieldRef,
    configMapKeyRef: keySelector,
    secretKeyRef: keySelector,
  },
};

const optionalRef: WireType = { fields: { name: str, optional: bool } };
/** EnvFromSource. */
export const envFromSource: WireType = {
  fields: { prefix: str, configMapRef: optionalRef, secretRef: optionalRef },
};

/** ResourceRequirements.claims. */
export const resourceClaims: WireType = { list: { fields: { name: str, request: str } } };

/** Container.resizePolicy. */
export const resizePolicy: WireType = {
  list: { fields: { resourceName: str, restartPolicy: str } },
};

const keyToPath: WireType = { list: { fields: { key: str, path: str, mode: 'int32' } } };
const downwardAPIItems: WireType = {
  list: { fields: { path: str, fieldRef, resourceFieldRef, mode: 'int32' } },
};

/** VolumeProjection. */
const volumeProjection: WireType = {
  fields: {
    secret: { fields: { name: str, items: keyToPath, optional: bool } },
    configMap: { fields: { name: str, items: keyToPath, optional: bool } },
    downwardAPI: { fields: { items: downwardAPIItems } },
    serviceAccountToken: { fields: { audience: str, expirationSeconds: 'int64', path: str } },
    clusterTrustBundle: {
      fields: { name: str, signerName: str, labelSelector: 'object', optional: bool, path: str },
    },
  },
};

/** Volume sources, with the common ones (hostPath, emptyDir, configMap, secret) first. */
export const volumeSources: Readonly<Record<string, WireType>> = {
  hostPath: { fields: { path: str, type: str } },
  emptyDir: { fields: { medium: str, sizeLimit: 'quantity' } },
  configMap: { fields: { name: str, items: keyToPath, defaultMode: 'int32', optional: bool } },
  secret: { fields: { secretName: str, items: keyToPath, defaultMode: 'int32', optional: bool } },
  projected: { fields: { sources: { list: volumeProjection }, defaultMode: 'int32' } },
  downwardAPI: { fields: { items: downwardAPIItems, defaultMode: 'int32' } },
  persistentVolumeClaim: { fields: { claimName: str, readOnly: bool } },
  nfs: { fields: { server: str, path: str, readOnly: bool } },
  csi: {
    fields: {
      driver: str,
      readOnly: bool,
      fsType: str,
      volumeAttributes: stringMap,
      nodePublishSecretRef: { fields: { name: str } },
    },
  },
  image: { fields: { reference: str, pullPolicy: str } },
  ephemeral: { fields: { volumeClaimTemplate: 'object' } },
};
