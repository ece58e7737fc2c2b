/**
 * The part of core pod-template validation that matters for DaemonSets: labels, containers
 * (names, images, policies, ports), restartPolicy, dnsPolicy, activeDeadlineSeconds.
 */
import { fieldError } from './fielderrors.js';
import type { FieldError } from './fielderrors.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue } from './names.js';
import type { PodSpec, PodTemplateSpec } from './types.js';

/** ValidateLabels: every key a qualified name, every value a label value (errors on `field`). */
export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  field: string,
): FieldError[] {
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) out.push(fieldError('Invalid', field, k, m));
    for (const m of isValidLabelValue(v)) out.push(fieldError('Invalid', field, v, m));
  }
  return out;
}

type Container = PodSpec['containers'][number];

function validateContainer(c: Container, path: string, seen: Set<string>): FieldError[] {
  const out: FieldError[] = [];
  const name = c.name ?? '';
  if (name === '') out.push(fieldError('Required', `${path}.name`, name, ''));
  else {
    for (const m of isDNS1123Label(name)) out.push(fieldError('Invalid', `${path}.name`, name, m));
    if (seen.has(name)) out.push(fieldError('Duplicate', `${path}.name`, name, ''));
    seen.add(name);
  }
  if ((c.image ?? '').trim() === '') out.push(fieldError('Required', `${path}.image`, c.image, ''));
  const pull = c.imagePullPolicy ?? '';
  const pullValues = ['Always', 'IfNotPresent', 'Never'];
  if (pull === '') out.push(fieldError('Required', `${path}.imagePullPolicy`, pull, ''));
  else if (!pullValues.includes(pull))
    out.push(fieldError('NotSupported', `${path}.imagePullPolicy`, pull, '', pullValues));
  const tmp = c.terminationMessagePolicy ?? '';
  const tmpValues = ['File', 'FallbackToLogsOnError'];
  if (tmp === '') out.push(fieldError('Required', `${path}.terminationMessagePolicy`, tmp, ''));
  else if (!tmpValues.includes(tmp)) {
    out.push(fieldError('NotSupported', `${path}.terminationMessagePolicy`, tmp, '', tmpValues));
  }
  (c.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      out.push(
        fieldError(
          'Invalid',
          `${pp}.containerPort`,
          p.containerPort,
          'must be between 1 and 65535, inclusive',
        ),
      );
    }
    const proto = p.protocol ?? '';
    const protos = ['SCTP', 'TCP', 'UDP'];
    if (proto === '') out.push(fieldError('Required', `${pp}.protocol`, proto, ''));
    else if (!protos.includes(proto))
      out.push(fieldError('NotSupported', `${pp}.protocol`, proto, '', protos));
  });
  return out;
}

function validatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  (spec?.initContainers ?? []).forEach((c, i) =>
    out.push(...validateContainer(c, `${path}.initContainers[${i}]`, seen)),
  );
  const containers = spec?.containers ?? [];
  if (containers.length === 0)
    out.push(fieldError('Required', `${path}.containers`, undefined, ''));
  containers.forEach((c, i) => out.push(...validateContainer(c, `${path}.containers[${i}]`, seen)));
  const restart = spec?.restartPolicy ?? '';
  const restartValues = ['Always', 'OnFailure', 'Never'];
  if (restart === '') out.push(fieldError('Required', `${path}.restartPolicy`, restart, ''));
  else if (!restartValues.includes(restart)) {
    out.push(fieldError('NotSupported', `${path}.restartPolicy`, restart, '', restartValues));
  }
  const dns = spec?.dnsPolicy ?? '';
  const dnsValues = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (dns === '') out.push(fieldError('Required', `${path}.dnsPolicy`, dns, ''));
  else if (!dnsValues.includes(dns))
    out.push(fieldError('NotSupported', `${path}.dnsPolicy`, dns, '', dnsValues));
  const ads = spec?.activeDeadlineSeconds;
  if (ads != null && (ads < 1 || ads > 2147483647)) {
    out.push(
      fieldError(
        'Invalid',
        `${path}.activeDeadlineSeconds`,
        ads,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  return out;
}

/** ValidatePodTemplateSpec, reduced to what a DaemonSet template needs (path e.g. "spec.template"). */
export function validatePodTemplateSpec(
  template: PodTemplateSpec | undefined,
  path: string,
): FieldError[] {
  return [
    ...validateLabels(template?.metadata?.labels, `${path}.metadata.labels`),
    ...validatePodSpec(template?.spec, `${path}.spec`),
  ];
}
