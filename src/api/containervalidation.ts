/**
 * Container validation as kube-apiserver's core validation does it for a pod template: names,
 * images, policies, ports, environment, resources, volume mounts and probes. Values are assumed
 * to have the right JSON types (wirecheck.ts runs first).
 */
import { fieldError, type FieldError } from './fielderrors.js';
import { isDNS1123Label, isQualifiedName } from './names.js';
import { parseQuantity } from './quantity.js';
import type { PodSpec } from './types.js';

/** One container of a pod spec. */
export type Container = PodSpec['containers'][number];
type Probe = NonNullable<Container['livenessProbe']>;

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SCHEMES = ['HTTP', 'HTTPS'];
const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const RANGE_PORT = 'must be between 1 and 65535, inclusive';

function oneOf(value: string | undefined, path: string, allowed: readonly string[]): FieldError[] {
  const v = value ?? '';
  if (v === '') return [fieldError('Required', path, v, '')];
  return allowed.includes(v) ? [] : [fieldError('NotSupported', path, v, '', allowed)];
}

/** IsValidPortName: an IANA_SVC_NAME. */
export function portNameProblems(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

function portNumErrors(port: number | undefined, path: string): FieldError[] {
  const p = port ?? 0;
  return p >= 1 && p <= 65535 ? [] : [fieldError('Invalid', path, p, RANGE_PORT)];
}

function validatePorts(c: Container, path: string, hostNetwork: boolean): FieldError[] {
  const out: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((raw, i) => {
    const port = raw ?? {};
    const p = `${path}.ports[${i}]`;
    const name = port.name ?? '';
    if (name !== '') {
      const msgs = portNameProblems(name);
      for (const m of msgs) out.push(fieldError('Invalid', `${p}.name`, name, m));
      if (msgs.length === 0 && names.has(name))
        out.push(fieldError('Duplicate', `${p}.name`, name, ''));
      names.add(name);
    }
    if ((port.containerPort ?? 0) === 0)
      out.push(fieldError('Required', `${p}.containerPort`, 0, ''));
    else out.push(...portNumErrors(port.containerPort, `${p}.containerPort`));
    const host = port.hostPort ?? 0;
    if (host !== 0) out.push(...portNumErrors(host, `${p}.hostPort`));
    if (hostNetwork && host !== 0 && host !== port.containerPort) {
      const d = 'must match `containerPort` when `hostNetwork` is true';
      out.push(fieldError('Invalid', `${p}.hostPort`, host, d));
    }
    out.push(...oneOf(port.protocol, `${p}.protocol`, PROTOCOLS));
  });
  return out;
}

function validateEnv(c: Container, path: string): FieldError[] {
  const out: FieldError[] = [];
  (c.env ?? []).forEach((raw, i) => {
    const name = raw?.name ?? '';
    const p = `${path}.env[${i}].name`;
    // RelaxedEnvironmentVariableValidation (on by default since 1.32): printable ASCII but '='.
    if (name === '') out.push(fieldError('Required', p, name, ''));
    else if (!/^[ -<>-~]+$/.test(name)) {
      out.push(
        fieldError(
          'Invalid',
          p,
          name,
          "must consist only of printable ASCII characters except '='",
        ),
      );
    }
  });
  return out;
}

function resourceNameErrors(name: string, path: string): FieldError[] {
  if (!name.includes('/')) {
    if (STANDARD_RESOURCES.includes(name) || name.startsWith('hugepages-')) return [];
    return [fieldError('Invalid', path, name, 'must be a standard resource for containers')];
  }
  const errs = isQualifiedName(name).map((m) => fieldError('Invalid', path, name, m));
  return errs;
}

/** Extended resources (example.com/foo) may not be overcommitted: request equals limit. */
function isOvercommitAllowed(name: string): boolean {
  return !name.includes('/') || name.startsWith('kubernetes.io/') || name.startsWith('requests.');
}

/** A quantity as written: YAML `cpu: 1` arrives as a number, though the type says string. */
function qtext(q: unknown): string {
  return typeof q === 'string' ? q : JSON.stringify(q);
}

function validateResources(c: Container, path: string): FieldError[] {
  const out: FieldError[] = [];
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const value = (q: unknown): number | undefined => {
    // A null quantity in the map reads as Go's zero Quantity: 0.
    if (q === null || q === undefined) return 0;
    const parsed = parseQuantity(q as string | number);
    return 'value' in parsed ? parsed.value : undefined;
  };
  for (const [name, q] of Object.entries(limits)) {
    const p = `${path}.resources.limits[${name}]`;
    out.push(...resourceNameErrors(name, p));
    if ((value(q) ?? 0) < 0)
      out.push(fieldError('Invalid', p, qtext(q), 'must be greater than or equal to 0'));
  }
  const reqPath = `${path}.resources.requests`;
  for (const [name, q] of Object.entries(requests)) {
    const p = `${reqPath}[${name}]`;
    out.push(...resourceNameErrors(name, p));
    const r = value(q) ?? 0;
    if (r < 0) out.push(fieldError('Invalid', p, qtext(q), 'must be greater than or equal to 0'));
    if (Object.hasOwn(limits, name)) {
      const l = value(limits[name]) ?? 0;
      if (!isOvercommitAllowed(name) && r !== l) {
        const d = `must be equal to ${name} limit of ${qtext(limits[name])}`;
        out.push(fieldError('Invalid', reqPath, qtext(q), d));
      } else if (r > l) {
        const d = `must be less than or equal to ${name} limit of ${qtext(limits[name])}`;
        out.push(fieldError('Invalid', reqPath, qtext(q), d));
      }
    } else if (!isOvercommitAllowed(name)) {
      const d = 'Limit must be set for non overcommitable resources';
      out.push(fieldError('Required', `${path}.resources.limits`, undefined, d));
    }
  }
  return out;
}

function validateMounts(c: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const out: FieldError[] = [];
  const paths = new Set<string>();
  (c.volumeMounts ?? []).forEach((raw, i) => {
    const m = raw ?? {};
    const p = `${path}.volumeMounts[${i}]`;
    const name = m.name ?? '';
    if (name === '') out.push(fieldError('Required', `${p}.name`, name, ''));
    if (!volumes.has(name)) out.push(fieldError('NotFound', `${p}.name`, name, ''));
    const mountPath = m.mountPath ?? '';
    if (mountPath === '') out.push(fieldError('Required', `${p}.mountPath`, mountPath, ''));
    if (paths.has(mountPath))
      out.push(fieldError('Invalid', `${p}.mountPath`, mountPath, 'must be unique'));
    paths.add(mountPath);
  });
  return out;
}

function portOrName(port: number | string | undefined, path: string): FieldError[] {
  if (typeof port === 'string') {
    return portNameProblems(port).map((m) => fieldError('Invalid', path, port, m));
  }
  return portNumErrors(port, path);
}

/** validateHandler: exactly one of exec, httpGet, tcpSocket, grpc (sleep for lifecycle hooks). */
function validateHandler(
  h: Record<string, unknown>,
  path: string,
  kinds: readonly string[],
): FieldError[] {
  const out: FieldError[] = [];
  let n = 0;
  for (const k of kinds) {
    const v = h[k];
    if (v == null) continue;
    if (n++ > 0) {
      out.push(
        fieldError(
          'Forbidden',
          `${path}.${k}`,
          undefined,
          'may not specify more than 1 handler type',
        ),
      );
      continue;
    }
    const a = v as {
      command?: readonly string[];
      path?: string;
      port?: number | string;
      scheme?: string;
    };
    if (k === 'exec' && (a.command ?? []).length === 0)
      out.push(fieldError('Required', `${path}.exec.command`, undefined, ''));
    if (k === 'httpGet') {
      if ((a.path ?? '') === '')
        out.push(fieldError('Required', `${path}.httpGet.path`, undefined, ''));
      out.push(...portOrName(a.port, `${path}.httpGet.port`));
      if (!SCHEMES.includes(a.scheme ?? ''))
        out.push(fieldError('NotSupported', `${path}.httpGet.scheme`, a.scheme ?? '', '', SCHEMES));
    }
    if (k === 'tcpSocket') out.push(...portOrName(a.port, `${path}.tcpSocket.port`));
    if (k === 'grpc') out.push(...portNumErrors(a.port as number | undefined, `${path}.grpc.port`));
  }
  if (n === 0) out.push(fieldError('Required', path, undefined, 'must specify a handler type'));
  return out;
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const PROBE_NUMBERS = [
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
] as const;

function validateProbe(
  probe: Probe | undefined,
  path: string,
  successMustBeOne: boolean,
): FieldError[] {
  if (probe == null) return [];
  const out = validateHandler(probe, path, PROBE_HANDLERS);
  for (const k of PROBE_NUMBERS) {
    const v = probe[k];
    if (v != null && v < 0)
      out.push(fieldError('Invalid', `${path}.${k}`, v, 'must be greater than or equal to 0'));
  }
  if (successMustBeOne && probe.successThreshold != null && probe.successThreshold !== 1) {
    out.push(
      fieldError('Invalid', `${path}.successThreshold`, probe.successThreshold, 'must be 1'),
    );
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (tgps != null && tgps <= 0) {
    out.push(
      fieldError(
        'Invalid',
        `${path}.terminationGracePeriodSeconds`,
        tgps,
        'must be greater than 0',
      ),
    );
  }
  return out;
}

/** The pod-level facts container validation needs. */
export interface ContainerContext {
  readonly volumes: ReadonlySet<string>;
  readonly hostNetwork: boolean;
  /** Names seen so far (init and regular containers share one name space). */
  readonly names: Set<string>;
}

/** validateContainerCommon plus the per-kind rules of regular (init=false) and init containers. */
export function validateContainer(
  raw: Container | undefined | null,
  path: string,
  ctx: ContainerContext,
  init: boolean,
): FieldError[] {
  const c = raw ?? ({} as Container);
  const out: FieldError[] = [];
  const name = c.name ?? '';
  if (name === '') out.push(fieldError('Required', `${path}.name`, name, ''));
  else {
    for (const m of isDNS1123Label(name)) out.push(fieldError('Invalid', `${path}.name`, name, m));
    if (ctx.names.has(name)) out.push(fieldError('Duplicate', `${path}.name`, name, ''));
    ctx.names.add(name);
  }
  if ((c.image ?? '') === '') out.push(fieldError('Required', `${path}.image`, c.image ?? '', ''));
  out.push(
    ...oneOf(c.terminationMessagePolicy, `${path}.terminationMessagePolicy`, MESSAGE_POLICIES),
  );
  out.push(...validatePorts(c, path, ctx.hostNetwork));
  out.push(...validateEnv(c, path));
  out.push(...validateMounts(c, path, ctx.volumes));
  out.push(...oneOf(c.imagePullPolicy, `${path}.imagePullPolicy`, PULL_POLICIES));
  out.push(...validateResources(c, path));
  const restartable = init && c.restartPolicy === 'Always';
  if (!init && c.restartPolicy != null) {
    out.push(
      fieldError(
        'Forbidden',
        `${path}.restartPolicy`,
        undefined,
        'may not be set for non-init containers',
      ),
    );
  }
  if (init && c.restartPolicy != null && c.restartPolicy !== 'Always') {
    out.push(fieldError('NotSupported', `${path}.restartPolicy`, c.restartPolicy, '', ['Always']));
  }
  if (init && !restartable) {
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k] != null) {
        const d = 'may not be set for init containers without restartPolicy=Always';
        out.push(fieldError('Forbidden', `${path}.${k}`, undefined, d));
      }
    }
    return out;
  }
  out.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`, true));
  out.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`, false));
  out.push(...validateProbe(c.startupProbe, `${path}.startupProbe`, true));
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = c.lifecycle?.[hook];
    if (h != null) {
      out.push(
        ...validateHandler(h, `${path}.lifecycle.${hook}`, [
          ...PROBE_HANDLERS.slice(0, 3),
          'sleep',
        ]),
      );
    }
  }
  return out;
}
