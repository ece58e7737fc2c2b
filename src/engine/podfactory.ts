/**
 * The pod the controller creates for a node (§1.5, §2.5): the template with the revision labels,
 * a controller reference, the default daemon tolerations, and a required node affinity that pins
 * the pod to its node.
 */
import { templateGenerationOf } from '../api/pod.js';
import { addDefaultDaemonTolerations } from '../api/taints.js';
import { daemonSetControllerRef } from './history.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  POD_TEMPLATE_GENERATION_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  type Affinity,
  type DaemonSet,
  type Mutable,
  type NodeSelectorTerm,
  type Pod,
  type PodSpec,
} from '../api/types.js';
import { deepFreeze } from '../api/freeze.js';

type MutablePod = Mutable<Pod>;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * `<name>-`, or the bare name when that is not a valid generateName prefix (upstream validates the
 * prefix with its trailing dash masked, as ValidatePodName(prefix, true) does).
 */
export function generateNameFor(dsName: string): string {
  const masked = `${dsName}a`;
  return masked.length <= 253 && DNS1123_SUBDOMAIN.test(masked) ? `${dsName}-` : dsName;
}

/** The single required term `metadata.name In [node]`. */
export function nodePinTerm(node: string): NodeSelectorTerm {
  return { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the required node selector becomes the single pin term
 * (user required terms are dropped, the controller already checked eligibility); preferred terms
 * and other affinity kinds are kept. Returns a new object.
 */
export function pinAffinityToNode(affinity: Affinity | undefined, node: string): Affinity {
  const nodeAffinity = affinity?.nodeAffinity;
  const required = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    ...(affinity ?? {}),
    nodeAffinity: {
      ...(nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: {
        ...(required ?? {}),
        nodeSelectorTerms: [nodePinTerm(node)],
      },
    },
  };
}

/** Builds pods for nodes from one prepared template; see makePodFactory. */
export type PodFactory = (node: string) => Pod;

/** What a cached factory was built from, besides the template object it is keyed on. */
interface FactoryKey {
  readonly hash: string;
  readonly apiVersion: string | undefined;
  readonly name: string | undefined;
  readonly namespace: string | undefined;
  readonly uid: string | undefined;
  readonly generation: string | undefined;
}

const factories = new WeakMap<object, { key: FactoryKey; factory: PodFactory }>();

function factoryKey(ds: DaemonSet, hash: string): FactoryKey {
  return {
    hash,
    apiVersion: ds.apiVersion,
    name: ds.metadata?.name,
    namespace: ds.metadata?.namespace,
    uid: ds.metadata?.uid,
    generation: ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION],
  };
}

function sameKey(a: FactoryKey, b: FactoryKey): boolean {
  return (
    a.hash === b.hash &&
    a.uid === b.uid &&
    a.name === b.name &&
    a.namespace === b.namespace &&
    a.apiVersion === b.apiVersion &&
    a.generation === b.generation
  );
}

/**
 * Prepares the DaemonSet's template once (labels with hash and pod-template-generation,
 * annotations and finalizers, owner reference, default tolerations) and returns a factory that
 * gives each node its own pod with the node pin. spec.nodeName stays as in the template. A
 * frozen template (a cache's, which keeps the object across status writes) keeps its factory
 * while the hash and the DaemonSet's identity and generation annotation stay the same, so a sync
 * does not prepare the template again after every status write.
 */
export function makePodFactory(ds: DaemonSet, hash: string): PodFactory {
  const template = ds.spec?.template;
  // Only a frozen template is known not to change under the same object.
  if (template === undefined || !Object.isFrozen(template) || !Object.isFrozen(template.spec))
    return buildPodFactory(ds, hash);
  const key = factoryKey(ds, hash);
  const hit = factories.get(template);
  if (hit !== undefined && sameKey(hit.key, key)) return hit.factory;
  const factory = buildPodFactory(ds, hash);
  factories.set(template, { key, factory });
  return factory;
}

function buildPodFactory(ds: DaemonSet, hash: string): PodFactory {
  const template = ds.spec?.template;
  const labels: Record<string, string> = { ...(template?.metadata?.labels ?? {}) };
  const generation = templateGenerationOf(ds);
  if (generation !== undefined) labels[POD_TEMPLATE_GENERATION_LABEL] = generation;
  if (hash !== '') labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  const spec = structuredClone(template?.spec ?? { containers: [] }) as Mutable<PodSpec>;
  const base: MutablePod = {
    metadata: {
      generateName: generateNameFor(ds.metadata?.name ?? ''),
      namespace: ds.metadata?.namespace ?? '',
      labels,
      ownerReferences: [structuredClone(daemonSetControllerRef(ds))],
    },
    spec,
  };
  if (template?.metadata?.annotations)
    base.metadata!.annotations = { ...template.metadata.annotations };
  if (template?.metadata?.finalizers) base.metadata!.finalizers = [...template.metadata.finalizers];
  base.spec!.tolerations = addDefaultDaemonTolerations(
    template?.spec?.tolerations,
    template?.spec?.hostNetwork === true,
  );
  // Every consumer copies a create's body before changing it (the API server, the harness), so
  // bodies share the frozen template parts and only the node pin is new per pod: a deep copy per
  // pod was a fifth of the controller's time in B3. Frozen, so a write by mistake throws.
  deepFreeze(base);
  const podSpec = base.spec!;
  const affinity = podSpec.affinity;
  const nodeAffinity = affinity?.nodeAffinity;
  const required = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (node: string): Pod => {
    // pinAffinityToNode with only the new objects frozen (the rest is the frozen base's).
    const values = Object.freeze([node]);
    const field = Object.freeze({ key: 'metadata.name', operator: 'In' as const, values });
    const term = Object.freeze({ matchFields: Object.freeze([field]) });
    const pinned = Object.freeze({
      ...affinity,
      nodeAffinity: Object.freeze({
        ...nodeAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: Object.freeze({
          ...required,
          nodeSelectorTerms: Object.freeze([term]),
        }),
      }),
    });
    return Object.freeze({ ...base, spec: Object.freeze({ ...podSpec, affinity: pinned }) });
  };
}

/** The pod that would be created for one node (the simple wrapper around makePodFactory). */
export function newDaemonPod(ds: DaemonSet, hash: string, node: string): Pod {
  return makePodFactory(ds, hash)(node);
}
