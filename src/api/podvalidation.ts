/**
 * Pod-template validation as kube-apiserver's ValidatePodTemplateSpec does it, for the fields a
 * DaemonSet user writes: labels, volumes, containers (containervalidation.ts), restartPolicy,
 * dnsPolicy, nodeSelector, affinity and tolerations (schedvalidation.ts), names that must be DNS
 * names, topology spread constraints, activeDeadlineSeconds. Values are assumed to have the right
 * JSON types: wirecheck.ts runs first.
 */
import { validateContainer, type ContainerContext } from './containervalidation.js';
import { fieldError } from './fielderrors.js';
import type { FieldError } from './fielderrors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import {
  validateAffinity,
  validateLabelSelector,
  validateLabels,
  validateTolerations,
} from './schedvalidation.js';
import type { PodSpec, PodTemplateSpec } from './types.js';

export { validateLabels } from './schedvalidation.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const HOST_PATH_TYPES = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];
const MAX_MODE = 0o777;

type Volume = NonNullable<PodSpec['volumes']>[number];

function enumErrors(value: string | undefined, path: string, allowed: string[]): FieldError[] {
  const v = value ?? '';
  if (v === '') return [fieldError('Required', path, v, '')];
  return allowed.includes(v) ? [] : [fieldError('NotSupported', path, v, '', allowed)];
}

function dnsNameErrors(
  value: string | undefined,
  path: string,
  check: (s: string) => string[],
): FieldError[] {
  if (value == null || value === '') return [];
  return check(value).map((m) => fieldError('Invalid', path, value, m));
}

function modeErrors(mode: number | undefined, path: string): FieldError[] {
  if (mode == null || (mode >= 0 && mode <= MAX_MODE)) return [];
  const d = 'must be a number between 0 and 0777 (octal), both inclusive';
  return [fieldError('Invalid', path, mode, d)];
}

/** validateVolumeSource: exactly one source; the checks of the sources DaemonSets use most. */
function validateVolumeSource(v: Volume, path: string): FieldError[] {
  const out: FieldError[] = [];
  // Any key but the name is a source: a source kind newer than this table still counts as one.
  const sources = Object.keys(v).filter(
    (k) => k !== 'name' && (v as Record<string, unknown>)[k] != null,
  );
  if (sources.length === 0) {
    return [fieldError('Required', path, undefined, 'must specify a volume type')];
  }
  for (const extra of sources.slice(1)) {
    const d = 'may not specify more than 1 volume type';
    out.push(fieldError('Forbidden', `${path}.${extra}`, undefined, d));
  }
  const hp = v.hostPath;
  if (hp != null && sources[0] === 'hostPath') {
    if ((hp.path ?? '') === '') out.push(fieldError('Required', `${path}.hostPath.path`, '', ''));
    if (!HOST_PATH_TYPES.includes(hp.type ?? '')) {
      out.push(
        fieldError('NotSupported', `${path}.hostPath.type`, hp.type, '', HOST_PATH_TYPES.slice(1)),
      );
    }
  }
  out.push(...modeErrors(v.configMap?.defaultMode, `${path}.configMap.defaultMode`));
  out.push(...modeErrors(v.secret?.defaultMode, `${path}.secret.defaultMode`));
  out.push(...modeErrors(v.projected?.defaultMode, `${path}.projected.defaultMode`));
  out.push(...modeErrors(v.downwardAPI?.defaultMode, `${path}.downwardAPI.defaultMode`));
  return out;
}

/** ValidateVolumes: each a DNS label, unique, with one source; returns the usable names. */
function validateVolumes(
  volumes: PodSpec['volumes'],
  path: string,
): { names: Set<string>; errors: FieldError[] } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  (volumes ?? []).forEach((raw, i) => {
    const v = raw ?? ({} as Volume);
    const p = `${path}[${i}]`;
    const el = validateVolumeSource(v, p);
    const name = v.name ?? '';
    if (name === '') el.push(fieldError('Required', `${p}.name`, name, ''));
    else for (const m of isDNS1123Label(name)) el.push(fieldError('Invalid', `${p}.name`, name, m));
    if (names.has(name)) el.push(fieldError('Duplicate', `${p}.name`, name, ''));
    if (el.length === 0) names.add(name);
    else errors.push(...el);
  });
  return { names, errors };
}

function validateTopologySpread(spec: PodSpec, path: string): FieldError[] {
  const out: FieldError[] = [];
  (spec.topologySpreadConstraints ?? []).forEach((raw, i) => {
    const c = raw ?? {};
    const p = `${path}[${i}]`;
    if ((c.maxSkew ?? 0) <= 0) {
      out.push(fieldError('Invalid', `${p}.maxSkew`, c.maxSkew ?? 0, 'must be greater than zero'));
    }
    if ((c.topologyKey ?? '') === '') {
      out.push(fieldError('Required', `${p}.topologyKey`, undefined, 'can not be empty'));
    } else {
      for (const m of isQualifiedName(c.topologyKey))
        out.push(fieldError('Invalid', `${p}.topologyKey`, c.topologyKey, m));
    }
    out.push(
      ...enumErrors(c.whenUnsatisfiable, `${p}.whenUnsatisfiable`, [
        'DoNotSchedule',
        'ScheduleAnyway',
      ]),
    );
    out.push(...validateLabelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return out;
}

function validateDnsConfig(spec: PodSpec, path: string): FieldError[] {
  const servers = spec.dnsConfig?.nameservers ?? [];
  const out: FieldError[] = [];
  if (spec.dnsPolicy === 'None' && servers.length === 0) {
    const d = 'must provide at least one DNS nameserver when `dnsPolicy` is None';
    out.push(fieldError('Required', `${path}.dnsConfig`, undefined, d));
  }
  if (servers.length > 3) {
    const d = 'must not have more than 3 nameservers';
    out.push(fieldError('Invalid', `${path}.dnsConfig.nameservers`, servers, d));
  }
  return out;
}

/** ValidatePodSpec for a pod template (path e.g. "spec.template.spec"). */
export function validatePodSpec(spec: PodSpec | undefined | null, path: string): FieldError[] {
  const s = spec ?? ({} as PodSpec);
  const out: FieldError[] = [];
  const tgps = s.terminationGracePeriodSeconds;
  if (tgps == null) {
    out.push(fieldError('Required', `${path}.terminationGracePeriodSeconds`, undefined, ''));
  }
  const volumes = validateVolumes(s.volumes, `${path}.volumes`);
  out.push(...volumes.errors);
  const ctx: ContainerContext = {
    volumes: volumes.names,
    hostNetwork: s.hostNetwork === true,
    names: new Set(),
  };
  const containers = s.containers ?? [];
  if (containers.length === 0)
    out.push(fieldError('Required', `${path}.containers`, undefined, ''));
  containers.forEach((c, i) =>
    out.push(...validateContainer(c, `${path}.containers[${i}]`, ctx, false)),
  );
  (s.initContainers ?? []).forEach((c, i) =>
    out.push(...validateContainer(c, `${path}.initContainers[${i}]`, ctx, true)),
  );
  if ((s.ephemeralContainers ?? []).length > 0) {
    const d = 'ephemeral containers not allowed in pod template';
    out.push(fieldError('Forbidden', `${path}.ephemeralContainers`, undefined, d));
  }
  out.push(...enumErrors(s.restartPolicy, `${path}.restartPolicy`, RESTART_POLICIES));
  out.push(...enumErrors(s.dnsPolicy, `${path}.dnsPolicy`, DNS_POLICIES));
  out.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  out.push(...validateAffinity(s.affinity, `${path}.affinity`));
  out.push(...validateDnsConfig(s, path));
  out.push(...validateTopologySpread(s, `${path}.topologySpreadConstraints`));
  (s.readinessGates ?? []).forEach((g, i) => {
    const p = `${path}.readinessGates[${i}].conditionType`;
    for (const m of isQualifiedName(g?.conditionType ?? ''))
      out.push(fieldError('Invalid', p, g?.conditionType ?? '', m));
  });
  out.push(
    ...dnsNameErrors(s.serviceAccountName, `${path}.serviceAccountName`, isDNS1123Subdomain),
  );
  out.push(...dnsNameErrors(s.nodeName, `${path}.nodeName`, isDNS1123Subdomain));
  out.push(...dnsNameErrors(s.hostname, `${path}.hostname`, isDNS1123Label));
  out.push(...dnsNameErrors(s.subdomain, `${path}.subdomain`, isDNS1123Label));
  out.push(...dnsNameErrors(s.priorityClassName, `${path}.priorityClassName`, isDNS1123Subdomain));
  const ads = s.activeDeadlineSeconds;
  if (ads != null && (ads < 1 || ads > 2147483647)) {
    const d = 'must be between 1 and 2147483647, inclusive';
    out.push(fieldError('Invalid', `${path}.activeDeadlineSeconds`, ads, d));
  }
  if ((s.tolerations ?? []).length > 0)
    out.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  if (s.hostUsers === false && s.hostNetwork === true) {
    const d = 'when `pod.Spec.HostUsers` is false';
    out.push(fieldError('Forbidden', `${path}.hostNetwork`, undefined, d));
  }
  return out;
}

/** ValidatePodTemplateSpec, for what a DaemonSet template holds (path e.g. "spec.template"). */
export function validatePodTemplateSpec(
  template: PodTemplateSpec | undefined | null,
  path: string,
): FieldError[] {
  return [
    ...validateLabels(template?.metadata?.labels, `${path}.metadata.labels`),
    ...validatePodSpec(template?.spec, `${path}.spec`),
  ];
}
