/** Where each kind of the Cluster port lives on kube-apiserver. */
import type { ResourceKind } from '../port.js';

/** The REST location of one kind. */
export interface ResourceInfo {
  readonly apiVersion: string;
  readonly kind: ResourceKind;
  /** e.g. /api/v1 or /apis/apps/v1 */
  readonly prefix: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const table: Readonly<Record<ResourceKind, ResourceInfo>> = {
  Node: { apiVersion: 'v1', kind: 'Node', prefix: '/api/v1', plural: 'nodes', namespaced: false },
  Pod: { apiVersion: 'v1', kind: 'Pod', prefix: '/api/v1', plural: 'pods', namespaced: true },
  Event: { apiVersion: 'v1', kind: 'Event', prefix: '/api/v1', plural: 'events', namespaced: true },
  DaemonSet: {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    prefix: '/apis/apps/v1',
    plural: 'daemonsets',
    namespaced: true,
  },
  EverynodeDaemonSet: {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    prefix: '/apis/apps.everynode.dev/v1alpha1',
    plural: 'daemonsets',
    namespaced: true,
  },
  ControllerRevision: {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    prefix: '/apis/apps/v1',
    plural: 'controllerrevisions',
    namespaced: true,
  },
  Lease: {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    prefix: '/apis/coordination.k8s.io/v1',
    plural: 'leases',
    namespaced: true,
  },
};

/** The REST location of `kind`; every ResourceKind has one. */
export function resourceOf(kind: ResourceKind): ResourceInfo {
  return table[kind];
}

/**
 * The collection path (namespace '' or absent on a namespaced kind = across all namespaces) or,
 * with a name, the object path; `sub` appends a subresource such as `status`.
 */
export function pathOf(
  info: ResourceInfo,
  namespace?: string,
  name?: string,
  sub?: string,
): string {
  let p = info.prefix;
  if (info.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${info.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}
