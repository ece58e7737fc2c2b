/**
 * Taints and tolerations: ToleratesTaint, and the default daemon tolerations with their merge.
 * A toleration kube-apiserver would refuse (operator `Bogus`, effect `Bogus`) is never read as
 * "does not tolerate": it throws InvalidTolerationError, so the engine reports the DaemonSet.
 */
import type { Mutable, Taint, Toleration } from './types.js';

/** A toleration that validation refuses; matching it is an error, never "not tolerated". */
export class InvalidTolerationError extends Error {
  override name = 'InvalidTolerationError';
}

function isKnownEffect(effect: string): boolean {
  return effect === 'NoSchedule' || effect === 'NoExecute' || effect === 'PreferNoSchedule';
}

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
const MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
const PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

const BASE_DEFAULTS: readonly Toleration[] = Object.freeze([
  { key: NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
]);

/** The default daemon tolerations of spec §2.2, in merge order (network-unavailable only with hostNetwork). */
export function defaultDaemonTolerations(hostNetwork: boolean): readonly Toleration[] {
  const out = BASE_DEFAULTS.map((t) => ({ ...t }));
  if (hostNetwork) out.push({ key: NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

// Upstream compares these four with plain string equality; an absent field reads as "".
function sameIdentity(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '')
  );
}

function identical(a: Toleration, b: Toleration): boolean {
  return sameIdentity(a, b) && (a.tolerationSeconds ?? null) === (b.tolerationSeconds ?? null);
}

/** Merges the defaults into the given tolerations as AddOrUpdateTolerationInPodSpec does. */
export function addDefaultDaemonTolerations(
  tolerations: readonly Toleration[] | undefined,
  hostNetwork: boolean,
): Toleration[] {
  const out: Toleration[] = (tolerations ?? []).map(
    (t) => structuredClone(t) as Mutable<Toleration>,
  );
  for (const d of defaultDaemonTolerations(hostNetwork)) {
    const i = out.findIndex((t) => sameIdentity(t, d));
    if (i < 0) out.push({ ...d });
    else if (!identical(out[i]!, d)) out[i] = { ...d };
  }
  return out;
}

/**
 * ToleratesTaint: effect, key and operator/value rules of spec §2.2. Throws InvalidTolerationError
 * for an operator or effect that validation refuses, whatever the taint.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  const effect = toleration.effect ?? '';
  const operator = toleration.operator ?? '';
  if (effect !== '' && !isKnownEffect(effect)) {
    throw new InvalidTolerationError(
      `toleration effect ${JSON.stringify(effect)} is not supported (NoSchedule, PreferNoSchedule or NoExecute)`,
    );
  }
  if (operator !== '' && operator !== 'Equal' && operator !== 'Exists') {
    throw new InvalidTolerationError(
      `toleration operator ${JSON.stringify(operator)} is not supported (Equal or Exists)`,
    );
  }
  if (effect !== '' && effect !== taint.effect) return false;
  const key = toleration.key ?? '';
  if (key === '' && operator !== 'Exists') return false;
  if (key !== '' && key !== taint.key) return false;
  switch (operator) {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return true; // Exists
  }
}

/**
 * Why a node's taints cannot be read as kube-apiserver would have stored them (not a list, a
 * taint that is not a map, without a key, or with an effect validation refuses), or undefined.
 * Such a node must not be acted on: the engine reports it instead of guessing.
 */
export function malformedTaints(taints: unknown): string | undefined {
  if (taints === undefined || taints === null) return undefined;
  if (!Array.isArray(taints)) return 'spec.taints is not a list';
  for (let i = 0; i < taints.length; i++) {
    const t = taints[i] as unknown;
    if (typeof t !== 'object' || t === null) return `spec.taints[${i}] is not a map`;
    const { key, effect } = t as { key?: unknown; effect?: unknown };
    if (typeof key !== 'string' || key === '') return `spec.taints[${i}] has no key`;
    if (typeof effect !== 'string' || !isKnownEffect(effect)) {
      return `spec.taints[${i}] (${key}) has the effect ${JSON.stringify(effect ?? null)}, not NoSchedule, PreferNoSchedule or NoExecute`;
    }
  }
  return undefined;
}

/** The first taint (passing filter) that no toleration tolerates, or undefined. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[],
  filter: (taint: Taint) => boolean,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!filter(taint)) continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

/** "key=value:Effect" or "key:Effect", as kubectl prints a taint. */
export function formatTaint(taint: Taint): string {
  const value = taint.value ?? '';
  const base = value === '' ? taint.key : `${taint.key}=${value}`;
  return taint.effect ? `${base}:${taint.effect}` : base;
}
