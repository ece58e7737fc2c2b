/**
 * apps/v1 defaulting for DaemonSets and the core defaults of their pod templates.
 * The template-generation annotation is not set here: the API server (registry) owns it.
 */
import type { DaemonSet, Mutable, PodTemplateSpec } from './types.js';

type MDaemonSet = Mutable<DaemonSet>;
type MTemplate = Mutable<PodTemplateSpec>;
type MPodSpec = NonNullable<MTemplate['spec']>;
type MContainer = MPodSpec['containers'][number];
type MProbe = NonNullable<MContainer['livenessProbe']>;

/** The image's tag, as ParseImageName reads it: "latest" when neither tag nor digest is given. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  if (colon > slash) return named.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultProbe(probe: MProbe | undefined): void {
  if (probe == null) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet != null) {
    if (!probe.httpGet.path) probe.httpGet.path = '/';
    if (!probe.httpGet.scheme) probe.httpGet.scheme = 'HTTP';
  }
}

function defaultContainer(c: MContainer): void {
  if (!c.imagePullPolicy)
    c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.fieldRef;
    if (ref != null && !ref.apiVersion) ref.apiVersion = 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultPodSpec(spec: MPodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  // Init containers get the same container defaults as regular ones.
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap != null) v.configMap.defaultMode ??= 0o644;
    if (v.secret != null) v.secret.defaultMode ??= 0o644;
    if (v.downwardAPI != null) v.downwardAPI.defaultMode ??= 0o644;
    if (v.projected != null) v.projected.defaultMode ??= 0o644;
    if (v.hostPath != null) v.hostPath.type ??= '';
  }
}

function defaultTemplateInPlace(t: MTemplate): void {
  t.spec ??= { containers: [] };
  defaultPodSpec(t.spec);
}

/** The core pod defaults (restartPolicy, dnsPolicy, terminationGracePeriodSeconds, schedulerName,
 * securityContext, container terminationMessagePath/Policy, imagePullPolicy, ...). */
export function defaultPodTemplate(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template) as MTemplate;
  defaultTemplateInPlace(t);
  return t;
}

/** SetDefaults_DaemonSet plus pod-template defaults; returns a new object, never mutates. */
export function defaultDaemonSet(ds: DaemonSet): DaemonSet {
  const out = structuredClone(ds) as MDaemonSet;
  out.spec ??= {} as NonNullable<MDaemonSet['spec']>;
  const spec = out.spec;
  spec.updateStrategy ??= {};
  const strategy = spec.updateStrategy;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= 1;
    strategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  // A missing template is left for validation to report; only a present one is defaulted.
  if (spec.template != null) defaultTemplateInPlace(spec.template);
  return out;
}
