/**
 * List and watch filters: namespace, label selector (string form, compiled by api/labels) and
 * field selector (the fields kube-apiserver supports for each kind).
 */
import { SelectorParseError, type Selector } from '../../api/labels.js';
import { parseSelector } from '../../api/selectorparse.js';
import { TerminalError, type KubeObject, type ListOptions, type ResourceKind } from '../port.js';

/** One `field=value` or `field!=value` term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly value: string;
  readonly equal: boolean;
}

/** A compiled list/watch filter; the equality terms on name and nodeName are exposed for indexes. */
export interface ObjectFilter {
  /** The namespace to look in; undefined means every namespace. */
  readonly namespace: string | undefined;
  /** Set when the field selector pins spec.nodeName to one value (pods). */
  readonly nodeName: string | undefined;
  /** Set when the field selector pins metadata.name to one value. */
  readonly name: string | undefined;
  /** True when the filter lets every object of the kind through. */
  readonly all: boolean;
  matches(obj: KubeObject): boolean;
}

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];
const KIND_FIELDS: Readonly<Record<ResourceKind, readonly string[]>> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: ['spec.unschedulable'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  DaemonSet: [],
  EverynodeDaemonSet: [],
  ControllerRevision: [],
  Lease: [],
};

/** The string value kube compares a field selector against ('' for an absent field). */
export function fieldValue(obj: KubeObject, field: string): string {
  const path = field === 'source' ? ['source', 'component'] : field.split('.');
  let v: unknown = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return '';
    v = (v as Record<string, unknown>)[p];
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1]!;
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** Parses a field selector for a kind; unknown fields or bad syntax are a 400 TerminalError. */
export function parseFieldSelector(kind: ResourceKind, text: string): FieldRequirement[] {
  const allowed = new Set([...COMMON_FIELDS, ...KIND_FIELDS[kind]]);
  const reqs: FieldRequirement[] = [];
  for (const raw of splitUnescaped(text, ',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^([^!=]+?)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (m === null) {
      throw new TerminalError(
        `invalid selector: '${text}'; can't understand '${term}'`,
        400,
        'BadRequest',
      );
    }
    const field = m[1]!.trim();
    if (!allowed.has(field)) {
      throw new TerminalError(`field label not supported: ${field}`, 400, 'BadRequest');
    }
    reqs.push({ field, value: unescape(m[3]!), equal: m[2] !== '!=' });
  }
  return reqs;
}

const selectorCache = new Map<string, Selector>();
const SELECTOR_CACHE_LIMIT = 1000;

/** Compiles a label selector string (cached: informers ask for the same few again and again). */
export function compileLabelSelector(text: string): Selector {
  const hit = selectorCache.get(text);
  if (hit !== undefined) return hit;
  let sel: Selector;
  try {
    sel = parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorParseError) {
      throw new TerminalError(
        `unable to parse label selector "${text}": ${err.message}`,
        400,
        'BadRequest',
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  if (selectorCache.size >= SELECTOR_CACHE_LIMIT) selectorCache.clear();
  selectorCache.set(text, sel);
  return sel;
}

/** Builds the filter for list/watch options; namespace is ignored for cluster-scoped kinds. */
export function compileFilter(
  kind: ResourceKind,
  opts: ListOptions | undefined,
  namespaced: boolean,
): ObjectFilter {
  const namespace = namespaced && opts?.namespace ? opts.namespace : undefined;
  const labelText = opts?.labelSelector?.trim() ?? '';
  const label = labelText === '' ? undefined : compileLabelSelector(labelText);
  const fields = opts?.fieldSelector ? parseFieldSelector(kind, opts.fieldSelector) : [];
  const pinned = (f: string): string | undefined =>
    fields.find((r) => r.field === f && r.equal)?.value;
  const all = namespace === undefined && label === undefined && fields.length === 0;
  return {
    namespace,
    nodeName: kind === 'Pod' ? pinned('spec.nodeName') : undefined,
    name: pinned('metadata.name'),
    all,
    matches(obj: KubeObject): boolean {
      if (all) return true;
      if (namespace !== undefined && obj.metadata?.namespace !== namespace) return false;
      if (label !== undefined && !label.matches(obj.metadata?.labels)) return false;
      for (const r of fields) {
        if ((fieldValue(obj, r.field) === r.value) !== r.equal) return false;
      }
      return true;
    },
  };
}
