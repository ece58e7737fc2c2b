/**
 * The parts of a pod template that kube-apiserver always writes for an apps/v1 DaemonSet and a
 * custom resource does not keep. kube-apiserver decodes an apps/v1 template into Go structs and
 * encodes it back, so fields that are Go structs (not pointers) appear even when empty:
 * `metadata.creationTimestamp: null`, every container's `resources: {}`, a resourceFieldRef's
 * `divisor: "0"`; and defaulting gives a gRPC probe `service: ""`. A DaemonSet kept as
 * everynode's custom resource lacks them (the API server stores what it was sent, and drops the
 * null), so when it moves to apps/v1 (README, "going back") kube-controller-manager computes its
 * revision data with them; everynode writes a custom resource's revision data with them too, so
 * that kube-controller-manager recognises it as current and restarts nothing.
 *
 * The Go encoder also leaves out zero values of fields that are not pointers (`command: []`,
 * `value: ""`, `hostNetwork: false`): those of the pod spec, containers, env vars and volume
 * mounts are left out here too; and quantities are written as kube-apiserver writes them (`0.5` as
 * `500m`, quantitytext.ts). Not covered (kube-controller-manager then makes a new revision and
 * replaces the pods when it takes over): zero values deeper down (in volume sources, affinity
 * terms, security contexts), defaults everynode does not apply, fields apps/v1 does not know.
 */
import { quantityText } from './quantitytext.js';
import type { PodTemplateSpec } from './types.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** The quantity at o[key] in the text kube-apiserver writes for it. */
function quantity(o: Obj, key: string): void {
  const v = o[key];
  if (typeof v !== 'string' && typeof v !== 'number') return;
  const text = quantityText(v);
  if (text !== undefined) o[key] = text;
}

/** Each quantity of a resource list (limits, requests, overhead). */
function quantities(list: unknown): void {
  if (isObj(list)) for (const k of Object.keys(list)) quantity(list, k);
}

function divisor(ref: unknown): void {
  if (!isObj(ref)) return;
  if (!('divisor' in ref)) ref.divisor = '0';
  else quantity(ref, 'divisor');
}

function downwardItems(source: unknown): void {
  if (!isObj(source)) return;
  for (const item of objects(source.items)) {
    divisor(item.resourceFieldRef);
    // Defaulted as for an env var's fieldRef (SetDefaults_ObjectFieldSelector).
    if (isObj(item.fieldRef) && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  }
}

/**
 * Leaves out what Go's encoder leaves out of these fields when they hold their zero value
 * (`omitempty` on a slice, map, string or bool that is not a pointer).
 */
function omitEmpty(o: Obj, keys: readonly string[]): void {
  for (const k of keys) {
    const v = o[k];
    if (
      v === '' ||
      v === false ||
      (Array.isArray(v) && v.length === 0) ||
      (isObj(v) && Object.keys(v).length === 0)
    )
      Reflect.deleteProperty(o, k);
  }
}

const CONTAINER_OMITEMPTY = [
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'volumeMounts',
  'volumeDevices',
  'resizePolicy',
  'stdin',
  'stdinOnce',
  'tty',
];
const POD_OMITEMPTY = [
  'volumes',
  'initContainers',
  'ephemeralContainers',
  'nodeSelector',
  'serviceAccountName',
  'nodeName',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'imagePullSecrets',
  'hostname',
  'subdomain',
  'tolerations',
  'hostAliases',
  'priorityClassName',
  'readinessGates',
  'topologySpreadConstraints',
  'schedulingGates',
  'resourceClaims',
];

function container(c: Obj): void {
  omitEmpty(c, CONTAINER_OMITEMPTY);
  for (const env of objects(c.env)) omitEmpty(env, ['value']);
  for (const m of objects(c.volumeMounts)) omitEmpty(m, ['readOnly', 'subPath', 'subPathExpr']);
  if (!('resources' in c)) c.resources = {};
  else if (isObj(c.resources)) {
    omitEmpty(c.resources, ['limits', 'requests', 'claims']);
    quantities(c.resources.limits);
    quantities(c.resources.requests);
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (isObj(probe) && isObj(probe.grpc) && !('service' in probe.grpc)) probe.grpc.service = '';
  }
  for (const env of objects(c.env))
    if (isObj(env.valueFrom)) divisor(env.valueFrom.resourceFieldRef);
}

/**
 * The template with the always-written fields added where absent (a new object; the input is not
 * changed). Applied to an apps/v1 template as kube-apiserver serves it, it changes nothing.
 */
export function servedTemplate(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template) as Obj;
  const meta = isObj(t.metadata) ? t.metadata : (t.metadata = {});
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  omitEmpty(meta, ['labels', 'annotations']);
  if (!isObj(t.spec)) return t;
  const spec = t.spec;
  omitEmpty(spec, POD_OMITEMPTY);
  quantities(spec.overhead);
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'])
    for (const c of objects(spec[key])) container(c);
  for (const v of objects(spec.volumes)) {
    downwardItems(v.downwardAPI);
    if (isObj(v.emptyDir)) quantity(v.emptyDir, 'sizeLimit');
    if (isObj(v.projected))
      for (const s of objects(v.projected.sources)) downwardItems(s.downwardAPI);
    if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
      const claim = v.ephemeral.volumeClaimTemplate;
      const claimMeta = isObj(claim.metadata) ? claim.metadata : (claim.metadata = {});
      if (!('creationTimestamp' in claimMeta)) claimMeta.creationTimestamp = null;
      if (isObj(claim.spec) && !('resources' in claim.spec)) claim.spec.resources = {};
      else if (isObj(claim.spec) && isObj(claim.spec.resources)) {
        quantities(claim.spec.resources.limits);
        quantities(claim.spec.resources.requests);
      }
    }
  }
  return t;
}
