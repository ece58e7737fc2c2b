/**
 * Parses and validates a scenario file. Every error names the file, line, column and field path;
 * nothing is half-applied: a scenario either parses completely or not at all.
 */
import { admitDaemonSetCreate } from '../../api/dsstrategy.js';
import { EVERYNODE_GROUP, rolloutSpecOf } from '../../api/rolloutspec.js';
import type { FieldError } from '../../api/fielderrors.js';
import { validateNode } from '../../api/nodevalidation.js';
import { validateAffinity, validateTolerations } from '../../api/schedvalidation.js';
import type { DaemonSet, Pod } from '../../api/types.js';
import { formatInvalid } from '../../api/validation.js';
import { checkWireTypes } from '../../api/wirecheck.js';
import type { KubeObject } from '../../cluster/port.js';
import { MAX_SIMULATED_NODES } from '../nodes.js';
import { parseExpect } from './expect.js';
import { Reader } from './reader.js';
import { ScenarioError, Source, type Path } from './source.js';
import { parsePrometheus } from './prometheus.js';
import { parseTimeline } from './timeline.js';
import {
  ZONE_LABEL,
  type FailureRule,
  type KubeletSpec,
  type NodeSpec,
  type Scenario,
  type SourceLocation,
} from './types.js';

/** An object read from a file, with where it starts. */
export interface LoadedObject {
  readonly object: KubeObject;
  readonly source: { readonly file: string; readonly line: number };
}

/** Loads Kubernetes objects from a file (YAML/JSON, multi-document, Lists); errors name file:line. */
export type ObjectLoader = (path: string) => Promise<readonly LoadedObject[]>;

/** Options for parsing. */
export interface ParseOptions {
  /** Resolves `file:` references (relative to the scenario file's directory). */
  readonly loadObjects: ObjectLoader;
  /** Resolves a path written in the scenario against the scenario's directory. */
  readonly resolvePath: (relative: string) => string;
  /**
   * The line of a field of the object that starts at `line` of `file` (a loaded file's), for
   * errors about it; without it they name the object's first line.
   */
  readonly locateField?: (file: string, line: number, field: string) => Promise<number>;
}

const TOP = [
  'name',
  'description',
  'seed',
  'speed',
  'controller',
  'nodes',
  'kubelet',
  'objects',
  'prometheus',
  'timeline',
  'stop',
  'expect',
];
const DEFAULT_POD_CAPACITY = 110;
/** The most controller workers a scenario may ask for. */
export const MAX_WORKERS = 64;
/** The longest virtual time a scenario may run: 30 days. */
export const MAX_TIME_LIMIT_MS = 30 * 24 * 3_600_000;

/** Parses a scenario file's text. Throws ScenarioError (or the loader's error) on bad input. */
export async function parseScenario(
  file: string,
  text: string,
  opts: ParseOptions,
): Promise<Scenario> {
  const r = new Reader(Source.parse(file, text));
  const root = r.map(r.src.root() ?? {}, [], TOP);
  // One budget for the scenario's nodes and every addNodes: a count past it is an error here,
  // not an out-of-memory abort later.
  const budget: NodeBudget = { left: MAX_SIMULATED_NODES };
  const nodes = root.nodes === undefined ? [] : parseNodeEntries(r, root.nodes, ['nodes'], budget);
  checkUniqueNames(
    r,
    nodes.map((n) => n.name),
    ['nodes'],
  );
  const objects =
    root.objects === undefined ? [] : await parseObjects(r, root.objects, ['objects'], opts);
  const timeline =
    root.timeline === undefined
      ? []
      : await parseTimeline(r, root.timeline, ['timeline'], {
          nodes: (v, p) => parseNodeEntries(r, v, p, budget),
          objects: (v, p) => parseObjects(r, v, p, opts),
        });
  const c =
    root.controller === undefined
      ? {}
      : r.map(root.controller, ['controller'], ['workers', 'burstReplicas', 'nodeEventDelay']);
  const stop =
    root.stop === undefined ? {} : r.map(root.stop, ['stop'], ['converged', 'timeLimit']);
  return {
    file,
    name: root.name === undefined ? file : r.str(root.name, ['name']),
    description: root.description === undefined ? '' : r.str(root.description, ['description']),
    seed: root.seed === undefined ? 1 : r.int(root.seed, ['seed']),
    speed: root.speed === undefined ? 0 : r.num(root.speed, ['speed'], 0, 1e6),
    controller: {
      workers: c.workers === undefined ? 2 : workers(r, c.workers),
      burstReplicas:
        c.burstReplicas === undefined
          ? 250
          : r.int(c.burstReplicas, ['controller', 'burstReplicas'], 1),
      nodeEventDelayMs:
        c.nodeEventDelay === undefined
          ? 0
          : r.duration(c.nodeEventDelay, ['controller', 'nodeEventDelay']),
    },
    nodes,
    kubelet: parseKubelet(r, root.kubelet, ['kubelet']),
    objects,
    dsKind:
      firstDaemonSet.get(r)?.apiVersion === CRD_API_VERSION ? 'EverynodeDaemonSet' : 'DaemonSet',
    timeline,
    stop: {
      converged:
        stop.converged === undefined ? true : r.bool(stop.converged, ['stop', 'converged']),
      timeLimitMs: stop.timeLimit === undefined ? 3_600_000 : timeLimit(r, stop.timeLimit),
    },
    expect: root.expect === undefined ? [] : parseExpect(r, root.expect, ['expect']),
    ...(root.prometheus === undefined
      ? {}
      : { prometheus: parsePrometheus(r, root.prometheus, ['prometheus']) }),
  };
}

function workers(r: Reader, v: unknown): number {
  const n = r.int(v, ['controller', 'workers'], 1);
  if (n > MAX_WORKERS) r.fail(['controller', 'workers'], `at most ${MAX_WORKERS} workers`);
  return n;
}

function timeLimit(r: Reader, v: unknown): number {
  const ms = r.duration(v, ['stop', 'timeLimit']);
  if (ms > MAX_TIME_LIMIT_MS)
    r.fail(['stop', 'timeLimit'], 'at most 720h (30 days) of virtual time');
  return ms;
}

/** How many more nodes a scenario may define (MAX_SIMULATED_NODES in all). */
export interface NodeBudget {
  left: number;
}

function takeNodes(r: Reader, budget: NodeBudget, n: number, path: Path): void {
  if (n > budget.left) {
    r.fail(
      path,
      `${n} node${n === 1 ? '' : 's'} would pass the simulator's limit of ${MAX_SIMULATED_NODES} nodes in all`,
    );
  }
  budget.left -= n;
}

/** Node entries: single nodes ({name, ...}) and groups ({count, prefix, ...}), expanded. */
export function parseNodeEntries(
  r: Reader,
  v: unknown,
  path: Path,
  budget: NodeBudget = { left: MAX_SIMULATED_NODES },
): NodeSpec[] {
  const out: NodeSpec[] = [];
  r.list(v, path).forEach((entry, i) => {
    const p = [...path, i];
    const m = r.map(entry, p, [
      'name',
      'count',
      'prefix',
      'labels',
      'taints',
      'zone',
      'zones',
      'pods',
      'ready',
    ]);
    const labels = m.labels === undefined ? {} : r.labels(m.labels, [...p, 'labels']);
    const taints = m.taints === undefined ? [] : r.taints(m.taints, [...p, 'taints']);
    const pods = m.pods === undefined ? DEFAULT_POD_CAPACITY : r.int(m.pods, [...p, 'pods']);
    const ready = m.ready === undefined ? true : r.bool(m.ready, [...p, 'ready']);
    const zones =
      m.zones !== undefined
        ? r.list(m.zones, [...p, 'zones']).map((z, j) => r.str(z, [...p, 'zones', j]))
        : m.zone !== undefined
          ? [r.str(m.zone, [...p, 'zone'])]
          : [];
    if (m.zone !== undefined && m.zones !== undefined)
      r.fail([...p, 'zones'], 'give zone or zones, not both');
    zones.forEach((z) => {
      r.checkLabel(ZONE_LABEL, z, [...p, m.zones !== undefined ? 'zones' : 'zone']);
    });
    const withZone = (k: number): Record<string, string> =>
      zones.length === 0 ? labels : { ...labels, [ZONE_LABEL]: zones[k % zones.length]! };
    if (m.name !== undefined) {
      if (m.count !== undefined || m.prefix !== undefined)
        r.fail([...p, 'name'], 'a node has either a name, or a count and a prefix');
      takeNodes(r, budget, 1, p);
      out.push({
        name: nodeName(r, m.name, [...p, 'name']),
        labels: withZone(0),
        taints,
        pods,
        ready,
      });
      return;
    }
    if (m.count === undefined) r.fail(p, 'a node entry needs a name, or a count and a prefix');
    const count = r.int(m.count, [...p, 'count'], 1);
    takeNodes(r, budget, count, [...p, 'count']);
    const prefix = m.prefix === undefined ? 'node-' : r.str(m.prefix, [...p, 'prefix']);
    const width = Math.max(2, String(count).length);
    for (let k = 0; k < count; k++) {
      const name = `${prefix}${String(k + 1).padStart(width, '0')}`;
      out.push({
        name: nodeName(r, name, [...p, 'prefix']),
        labels: withZone(k),
        taints,
        pods,
        ready,
      });
    }
  });
  return out;
}

function nodeName(r: Reader, v: unknown, path: Path): string {
  const s = r.str(v, path);
  if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(s))
    r.fail(
      path,
      `"${s}" is not a valid node name (lowercase letters, digits, "-" and ".", at most 63: it is also the kubernetes.io/hostname label)`,
    );
  return s;
}

function checkUniqueNames(r: Reader, names: readonly string[], path: Path): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) r.fail(path, `node "${n}" is defined twice`);
    seen.add(n);
  }
}

const KUBELET = ['pullDelay', 'startupDelay', 'terminationDelay', 'syncPeriod', 'failures'];

function parseKubelet(r: Reader, v: unknown, path: Path): KubeletSpec {
  const m = v === undefined ? {} : r.map(v, path, KUBELET);
  const dist = (k: string, def: string) => r.distribution(m[k] ?? def, [...path, k]);
  const syncPeriodMs =
    m.syncPeriod === undefined ? 1000 : r.duration(m.syncPeriod, [...path, 'syncPeriod']);
  if (syncPeriodMs <= 0) r.fail([...path, 'syncPeriod'], 'must be greater than 0');
  const failures =
    m.failures === undefined
      ? []
      : r.list(m.failures, [...path, 'failures']).map((f, i): FailureRule => {
          const p = [...path, 'failures', i];
          const fm = r.map(f, p, ['mode', 'image', 'daemonSet', 'nodes', 'probability']);
          const rule: { -readonly [K in keyof FailureRule]: FailureRule[K] } = {
            mode: r.oneOf(
              fm.mode,
              [...p, 'mode'],
              ['imagePullBackOff', 'crashLoop', 'fail'],
              'mode',
            ),
            probability:
              fm.probability === undefined ? 1 : r.num(fm.probability, [...p, 'probability'], 0, 1),
          };
          if (fm.image !== undefined) rule.image = r.str(fm.image, [...p, 'image']);
          if (fm.daemonSet !== undefined)
            rule.daemonSet = Object.values(r.dsRef(fm.daemonSet, [...p, 'daemonSet'])).join('/');
          if (fm.nodes !== undefined) rule.nodes = r.nodeRef(fm.nodes, [...p, 'nodes'], ZONE_LABEL);
          if (
            rule.image === undefined &&
            rule.daemonSet === undefined &&
            rule.nodes === undefined
          ) {
            r.fail(p, 'a failure rule needs image, daemonSet or nodes to say which pods it hits');
          }
          return rule;
        });
  return {
    pullDelay: dist('pullDelay', '1s'),
    startupDelay: dist('startupDelay', '3s'),
    terminationDelay: dist('terminationDelay', '2s'),
    syncPeriodMs,
    failures,
  };
}

const KINDS = ['DaemonSet', 'Node', 'Pod'];
/** everynode's CRD; a scenario's DaemonSets are all of it or all apps/v1. */
const CRD_API_VERSION = `${EVERYNODE_GROUP}/v1alpha1`;
const DS_API_VERSIONS = ['apps/v1', CRD_API_VERSION];
/** The first DaemonSet of each parse: its apiVersion and where it is (the kind of the run). */
const firstDaemonSet = new WeakMap<Reader, { apiVersion: string; where: string }>();

/** Objects: inline Kubernetes objects, or {file: path} entries loaded through the loader. */
export async function parseObjects(
  r: Reader,
  v: unknown,
  path: Path,
  opts: ParseOptions,
): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const list = r.list(v, path);
  for (let i = 0; i < list.length; i++) {
    const p = [...path, i];
    const entry = list[i];
    if (typeof entry === 'object' && entry !== null && 'file' in entry) {
      r.map(entry, p, ['file']);
      const rel = r.str(entry.file, [...p, 'file']);
      const loaded = await opts.loadObjects(opts.resolvePath(rel));
      for (const { object, source } of loaded) {
        try {
          out.push(checkObject(r, object, [...p, 'file'], source));
        } catch (err) {
          throw await atFieldLine(err, source, opts);
        }
      }
    } else {
      out.push(checkObject(r, r.map(entry, p, Object.keys(entry ?? {})), p));
    }
  }
  return out;
}

/** A bad field of an object from a file: where the object starts, and the field. */
class FileObjectError extends ScenarioError {
  constructor(
    readonly text: string,
    loc: SourceLocation,
    readonly field: string,
  ) {
    super(text, loc);
  }
}

/**
 * A FileObjectError names the object's first line; with a locateField hook, the line of the bad
 * field itself (`(the object at ds.yaml:3)` becomes `(at ds.yaml:14)`).
 */
async function atFieldLine(
  err: unknown,
  source: LoadedObject['source'],
  opts: ParseOptions,
): Promise<unknown> {
  if (!(err instanceof FileObjectError) || opts.locateField === undefined) return err;
  const line = await opts.locateField(source.file, source.line, err.field);
  if (line === source.line) return err;
  const text = err.text.replace(
    ` (the object at ${source.file}:${source.line})`,
    ` (at ${source.file}:${line})`,
  );
  return new ScenarioError(text, err.loc);
}

/** The segments of a field path such as `spec.containers[0].ports[1]` or `metadata.labels[a.b]`. */
function fieldPath(field: string): Path {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}

/** Throws a ScenarioError at the first bad field of an inline object (or at its file entry). */
function refuseInvalid(
  r: Reader,
  obj: KubeObject,
  kind: string,
  errors: readonly FieldError[],
  path: Path,
  file: string | undefined,
): void {
  if (errors.length === 0) return;
  const where = file === undefined ? '' : ` (the object at ${file})`;
  const at = file === undefined ? [...path, ...fieldPath(errors[0]!.field)] : path;
  const text = `${formatInvalid(kind, obj.metadata?.name ?? '', errors)}${where}`;
  if (file !== undefined) throw new FileObjectError(text, r.src.at(at), errors[0]!.field);
  throw new ScenarioError(text, r.src.at(at));
}

/** apps/v1 or everynode's CRD, and the same as the scenario's other DaemonSets. */
function checkDaemonSetKind(
  r: Reader,
  obj: KubeObject,
  path: Path,
  file: string | undefined,
): void {
  const apiVersion = obj.apiVersion ?? 'apps/v1';
  const at = file === undefined ? [...path, 'apiVersion'] : path;
  const where = file ?? formatPlace(r, at);
  if (!DS_API_VERSIONS.includes(apiVersion)) {
    r.fail(
      at,
      `DaemonSet apiVersion ${apiVersion} is not supported (use ${DS_API_VERSIONS.join(' or ')})`,
    );
  }
  const first = firstDaemonSet.get(r);
  if (first === undefined) {
    firstDaemonSet.set(r, { apiVersion, where });
    return;
  }
  if (first.apiVersion !== apiVersion) {
    r.fail(
      at,
      `this DaemonSet is ${apiVersion} but the one at ${first.where} is ${first.apiVersion}: a scenario runs one kind, as one controller does (everynode run --resource native|crd)`,
    );
  }
}

function formatPlace(r: Reader, path: Path): string {
  const loc = r.src.at(path);
  return `${loc.file}:${loc.line}`;
}

function checkObject(
  r: Reader,
  obj: KubeObject,
  path: Path,
  from?: LoadedObject['source'],
): KubeObject {
  const file = from === undefined ? undefined : `${from.file}:${from.line}`;
  const where = file === undefined ? '' : ` (the object at ${file})`;
  const kind = obj.kind;
  if (typeof kind !== 'string' || !KINDS.includes(kind)) {
    r.fail(
      file === undefined ? [...path, 'kind'] : path,
      `unsupported kind ${JSON.stringify(kind ?? null)}${where}; a scenario can apply ${KINDS.join(', ')}`,
    );
  }
  if (typeof obj.metadata?.name !== 'string' || obj.metadata.name === '') {
    r.fail(
      file === undefined ? [...path, 'metadata', 'name'] : path,
      `${kind} has no metadata.name${where}`,
    );
  }
  if (kind === 'Node') {
    refuseInvalid(r, obj, 'Node', validateNode(obj), path, file);
    return obj;
  }
  const namespaced = {
    ...obj,
    metadata: { ...obj.metadata, namespace: obj.metadata.namespace ?? 'default' },
  };
  if (kind === 'DaemonSet') {
    checkDaemonSetKind(r, obj, path, file);
    const errors = admitDaemonSetCreate(namespaced as DaemonSet).errors;
    refuseInvalid(r, obj, 'DaemonSet', errors, path, file);
    // The strategy annotation (apps/v1) and the control annotations: a controller only reports
    // them (an Event, InvalidStrategy); a scenario's manifest with one that does not parse is
    // refused like any invalid field (exit 2).
    refuseInvalid(
      r,
      obj,
      'DaemonSet',
      rolloutSpecOf(namespaced as DaemonSet).annotationErrors,
      path,
      file,
    );
  } else {
    // A Pod: the decoder's types, and what the simulated scheduler reads.
    const types = checkWireTypes(namespaced, 'Pod');
    const spec = (namespaced as Pod).spec;
    const errors =
      types.length > 0
        ? types
        : [
            ...validateAffinity(spec?.affinity, 'spec.affinity'),
            ...validateTolerations(spec?.tolerations, 'spec.tolerations'),
          ];
    refuseInvalid(r, obj, 'Pod', errors, path, file);
  }
  return namespaced;
}
