/**
 * Taints and tolerations: ToleratesTaint, and the default daemon tolerations with their merge.
 */
import type { Mutable, Taint, Toleration } from './types.js';

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

/** ToleratesTaint: effect, key and operator/value rules of spec §2.2. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  const effect = toleration.effect ?? '';
  if (effect !== '' && effect !== taint.effect) return false;
  const key = toleration.key ?? '';
  const operator = toleration.operator ?? '';
  if (key === '' && operator !== 'Exists') return false;
  if (key !== '' && key !== taint.key) return false;
  switch (operator) {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      // Lt/Gt exist only behind a feature gate that is off here; unknown operators never match.
      return false;
  }
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
