/**
 * The pod trimming the controller's pod informer applies before caching (B4), sharing unchanged
 * parts with the previously cached version of the same pod (B3).
 */
import type { Pod } from '../api/types.js';

/**
 * Drops what the controller never reads from a pod before it is cached, so that 100k cached pods
 * stay small (docs/benchmarks.md, B4): managedFields, the last-applied annotation, container
 * details beyond name and image, volumes and every other spec field except nodeName (and the
 * pinned affinity while the pod is unbound, which is how its target node is found), status
 * fields other than phase, and conditions other than Ready (readiness and availability read only
 * that one). Kept: metadata (labels, annotations, ownerReferences, timestamps), nodeName, phase
 * and the Ready condition, and, only for a pod with a restarted, waiting or terminated container,
 * the reasons, exit codes, restart counts and times the health gates read (issue 12). The result
 * is still a valid wire-form pod.
 *
 * With prev (the cached trimmed version of the same pod) the result shares prev's labels,
 * annotations, owner references, containers, Ready condition, spec and status wherever they are
 * equal by value: the controller reads the same values, and a status update of a pod allocates
 * and retains almost nothing new (B3: every pod version the informer receives is trimmed).
 */
export function trimPod(pod: Pod, prev?: Pod): Pod {
  const spec = pod.spec;
  const bound = (spec?.nodeName ?? '') !== '';
  const ready = readyOf(pod.status?.conditions);
  // Assigned in the wire order (apiVersion, kind, metadata, spec, status), without spreads.
  const out: { -readonly [K in keyof Pod]: Pod[K] } = {};
  if (pod.apiVersion !== undefined) out.apiVersion = pod.apiVersion;
  if (pod.kind !== undefined) out.kind = pod.kind;
  out.metadata = trimMeta(pod.metadata, prev?.metadata);
  if (spec !== undefined) out.spec = trimSpec(spec, bound, prev?.spec);
  if (pod.status !== undefined) {
    out.status = withGateStatuses(
      trimStatus(pod.status.phase, ready, prev?.status),
      gateStatuses(pod.status),
    );
  }
  return out;
}

type PodMeta = NonNullable<Pod['metadata']>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The metadata without managedFields and the last-applied annotation, sharing prev's labels,
 * annotations and owner references where they are equal. Metadata with nothing to drop whose
 * shared parts already are prev's (the memory cluster's versions share them; so does a first
 * version) is kept as it is: a copy would hold the same values and the same objects (B3).
 */
function trimMeta(src: PodMeta | undefined, pm: PodMeta | undefined): PodMeta {
  if (
    src !== undefined &&
    !('managedFields' in src) &&
    src.annotations?.[LAST_APPLIED] === undefined &&
    (pm === undefined ||
      (src.labels === pm.labels &&
        src.annotations === pm.annotations &&
        src.ownerReferences === pm.ownerReferences))
  )
    return src;
  // A for-in copy rather than rest destructuring: cheaper in V8, and this runs per pod event.
  const from = (src ?? {}) as Readonly<Record<string, unknown>>;
  const copy: Record<string, unknown> = {};
  for (const k in from) if (k !== 'managedFields') copy[k] = from[k];
  const metadata = copy as { -readonly [K in keyof PodMeta]: PodMeta[K] };
  const annotations = metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _la, ...rest } = annotations;
    metadata.annotations = rest;
  }
  if (pm !== undefined) {
    if (metadata.labels !== undefined && sameStrings(metadata.labels, pm.labels)) {
      metadata.labels = pm.labels!;
    }
    if (metadata.annotations !== undefined && sameStrings(metadata.annotations, pm.annotations)) {
      metadata.annotations = pm.annotations!;
    }
    if (
      metadata.ownerReferences !== undefined &&
      sameList(metadata.ownerReferences, pm.ownerReferences, sameFlat)
    ) {
      metadata.ownerReferences = pm.ownerReferences!;
    }
  }
  return metadata;
}

type PodSpec = NonNullable<Pod['spec']>;
type PodStatus = NonNullable<Pod['status']>;
type Condition = NonNullable<PodStatus['conditions']>[number];
type SlimContainer = { readonly name: string; readonly image?: string };

// Loops instead of closures in the functions below: they run for every pod watch event (B3).
// Indexed loops rather than for-of: a for-of in code V8 has not fully optimised allocates an
// iterator result per element (B3's allocation profile put 40 MB on one such loop).

/** The Ready condition, if any. */
function readyOf(cs: readonly Condition[] | undefined): Condition | undefined {
  if (cs === undefined) return undefined;
  for (let i = 0; i < cs.length; i++) if (cs[i]!.type === 'Ready') return cs[i];
  return undefined;
}

/** prev holds slim containers (name and image only) with the same names and images as cs. */
function sameContainers(cs: PodSpec['containers'], prev: PodSpec['containers']): boolean {
  if (prev === undefined || cs.length !== prev.length) return false;
  for (let i = 0; i < cs.length; i++) {
    const a = cs[i]!;
    const b = prev[i]!;
    if (a.name !== b.name || a.image !== b.image) return false;
    let n = 0;
    for (const _ in b) n++;
    if (n !== (b.image === undefined ? 1 : 2)) return false;
  }
  return true;
}

function trimSpec(spec: PodSpec, bound: boolean, prev: PodSpec | undefined): PodSpec {
  const cs = spec.containers ?? [];
  const same = prev !== undefined && sameContainers(cs, prev.containers);
  let containers: SlimContainer[];
  if (same) containers = prev.containers as SlimContainer[];
  else {
    containers = [];
    for (const c of cs)
      containers.push(c.image === undefined ? { name: c.name } : { name: c.name, image: c.image });
  }
  const affinity = bound ? undefined : spec.affinity;
  if (
    same &&
    affinity === undefined &&
    prev.affinity === undefined &&
    (bound ? prev.nodeName === spec.nodeName : prev.nodeName === undefined)
  ) {
    return prev;
  }
  const out: { -readonly [K in keyof PodSpec]: PodSpec[K] } = { containers };
  if (bound) out.nodeName = spec.nodeName;
  if (affinity !== undefined) out.affinity = affinity;
  return out;
}

type ContainerStatus = NonNullable<PodStatus['containerStatuses']>[number];

type Terminated = NonNullable<NonNullable<ContainerStatus['state']>['terminated']>;

/** A terminated state cut to what the health gates read. */
function term(x: Terminated): Terminated {
  return {
    exitCode: x.exitCode,
    ...(x.reason === undefined ? {} : { reason: x.reason }),
    ...(x.message === undefined ? {} : { message: x.message }),
    ...(x.finishedAt === undefined ? {} : { finishedAt: x.finishedAt }),
  };
}

/** A container status cut to what the health gates read (engine/rollout/healthgates.ts). */
function gateStatus(c: ContainerStatus): ContainerStatus {
  const w = c.state?.waiting;
  const t = c.state?.terminated;
  const lt = c.lastState?.terminated;
  const started = c.state?.running?.startedAt;
  const state = {
    ...(w?.reason === undefined ? {} : { waiting: { reason: w.reason, message: w.message } }),
    ...(t === undefined ? {} : { terminated: term(t) }),
    ...(started === undefined || c.restartCount === 0 ? {} : { running: { startedAt: started } }),
  };
  return {
    name: c.name,
    restartCount: c.restartCount,
    ...(Object.keys(state).length === 0 ? {} : { state }),
    ...(lt === undefined ? {} : { lastState: { terminated: term(lt) } }),
  } as ContainerStatus;
}

/** A container with something for the gates: a restart, a waiting or terminated reason. */
const notable = (c: ContainerStatus | null | undefined): boolean =>
  c != null &&
  ((c.restartCount ?? 0) > 0 ||
    c.state?.waiting?.reason !== undefined ||
    c.state?.terminated !== undefined ||
    c.lastState?.terminated !== undefined);

/**
 * The container statuses the health gates read (issue 12), only when some container restarted,
 * waits with a reason or terminated: a healthy pod keeps none, so the cache stays as small (B4).
 */
function gateStatuses(status: PodStatus): GateStatuses | undefined {
  const cs = status.containerStatuses ?? [];
  const ics = status.initContainerStatuses ?? [];
  if (!anyNotable(cs) && !anyNotable(ics)) return undefined;
  const out: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] } =
    {};
  if (cs.length > 0) out.containerStatuses = gateCut(cs);
  if (ics.length > 0) out.initContainerStatuses = gateCut(ics);
  return out;
}

function anyNotable(cs: readonly (ContainerStatus | null | undefined)[]): boolean {
  for (let i = 0; i < cs.length; i++) if (notable(cs[i])) return true;
  return false;
}

/** The gates' cut of each container status, absent entries left out. */
function gateCut(cs: readonly (ContainerStatus | null | undefined)[]): ContainerStatus[] {
  const out: ContainerStatus[] = [];
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (c != null) out.push(gateStatus(c));
  }
  return out;
}

type GateStatuses = Pick<PodStatus, 'containerStatuses' | 'initContainerStatuses'>;

/** Equal JSON values (the cut container statuses: plain objects, arrays, primitives). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (!(k in rb) || !sameJson(ra[k], rb[k])) return false;
    n++;
  }
  for (const _ in rb) n--;
  return n === 0;
}

/** The trimmed status with `gate` (or none); `st` itself when it already holds the same. */
function withGateStatuses(st: PodStatus, gate: GateStatuses | undefined): PodStatus {
  const has = st.containerStatuses !== undefined || st.initContainerStatuses !== undefined;
  if (gate === undefined && !has) return st;
  if (
    gate !== undefined &&
    has &&
    sameJson(st.containerStatuses, gate.containerStatuses) &&
    sameJson(st.initContainerStatuses, gate.initContainerStatuses)
  )
    return st;
  // st's other fields, then gate's (as a rest and a spread would), copied by loops.
  const from = st as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const k in from)
    if (k !== 'containerStatuses' && k !== 'initContainerStatuses') out[k] = from[k];
  if (gate !== undefined) {
    const g = gate as Readonly<Record<string, unknown>>;
    for (const k in g) out[k] = g[k];
  }
  const result: PodStatus = out;
  return result;
}

function trimStatus(
  phase: PodStatus['phase'],
  ready: Condition | undefined,
  prev: PodStatus | undefined,
): PodStatus {
  const prevReady = prev?.conditions?.[0];
  const sameReady =
    ready === undefined
      ? prev?.conditions === undefined
      : prevReady !== undefined && sameFlat(ready, prevReady);
  if (prev !== undefined && sameReady && prev.phase === phase) return prev;
  // Assignments rather than spreads of literals (phase first, then conditions): per pod event.
  const out: { -readonly [K in keyof PodStatus]: PodStatus[K] } = {};
  if (phase !== undefined) out.phase = phase;
  if (ready !== undefined)
    out.conditions = [sameReady && prevReady !== undefined ? prevReady : ready];
  return out;
}

/** Equal string maps (labels, annotations). */
function sameStrings(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  if (b === undefined) return false;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  return n === Object.keys(b).length;
}

/** Equal objects whose own values are all primitives (owner references, conditions). */
function sameFlat(a: object, b: object): boolean {
  if (a === b) return true;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    const v = ra[k];
    if (v !== null && typeof v === 'object') return false;
    if (v !== rb[k] || !(k in rb)) return false;
    n++;
  }
  return n === Object.keys(rb).length;
}

function sameList<A, B>(
  a: readonly A[],
  b: readonly B[] | undefined,
  eq: (x: A, y: B) => boolean,
): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i]!, b[i]!)) return false;
  return true;
}
