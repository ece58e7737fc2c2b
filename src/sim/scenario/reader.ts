/**
 * Typed readers over a scenario document: each takes a value and its path, and either returns the
 * value in the shape the runner wants or fails with the field path and line.
 */
import { isQualifiedName, isValidLabelValue } from '../../api/names.js';
import type { Taint } from '../../api/types.js';
import { parseDuration } from '../duration.js';
import type { Distribution } from '../random.js';
import { ScenarioError, type Path, type Source } from './source.js';
import type { Comparison, DsRef, NodeRef } from './types.js';

type Obj = Readonly<Record<string, unknown>>;

/** Reads typed values out of one scenario document. */
export class Reader {
  constructor(readonly src: Source) {}

  fail(path: Path, message: string): never {
    return this.src.fail(path, message);
  }

  /** A map whose keys must all be in `allowed` (unknown keys are reported with suggestions). */
  map(v: unknown, path: Path, allowed: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      this.fail(path, `expected a map, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) {
        throw this.unknown([...path, k], 'field', k, allowed);
      }
    }
    return v as Obj;
  }

  /** An error for an unknown name (at the map key, or at the value when atValue), listing what is allowed. */
  unknown(
    path: Path,
    what: string,
    got: string,
    allowed: readonly string[],
    atValue = false,
  ): ScenarioError {
    const msg = `unknown ${what} "${got}"${suggest(got, allowed)}; expected one of ${allowed.join(', ')}`;
    return new ScenarioError(msg, atValue ? this.src.at(path) : this.src.keyAt(path));
  }

  list(v: unknown, path: Path): readonly unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected a list, got ${describe(v)}`);
    return v;
  }

  str(v: unknown, path: Path): string {
    if (typeof v !== 'string' || v === '')
      this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: Path, allowed: readonly T[], what = 'value'): T {
    const s = this.str(v, path);
    if (!(allowed as readonly string[]).includes(s))
      throw this.unknown(path, what, s, allowed, true);
    return s as T;
  }

  int(v: unknown, path: Path, min = 0): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.fail(path, `expected an integer ≥ ${min}, got ${describe(v)}`);
    }
    return v;
  }

  num(v: unknown, path: Path, min: number, max: number): number {
    if (typeof v !== 'number' || !(v >= min && v <= max)) {
      this.fail(path, `expected a number from ${min} to ${max}, got ${describe(v)}`);
    }
    return v;
  }

  bool(v: unknown, path: Path): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describe(v)}`);
    return v;
  }

  duration(v: unknown, path: Path): number {
    const ms = parseDuration(v);
    if (ms === undefined)
      this.fail(
        path,
        `expected a duration such as "30s", "2m", "1m30s" or "500ms", got ${describe(v)}`,
      );
    return ms;
  }

  stringMap(v: unknown, path: Path): Record<string, string> {
    const m = this.map(v, path, Object.keys(v ?? {}));
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(m)) {
      if (typeof val === 'number' || typeof val === 'boolean' || val === '') out[k] = String(val);
      else out[k] = this.str(val, [...path, k]);
    }
    return out;
  }

  /** Node labels: a string map whose keys and values are what kube-apiserver accepts. */
  labels(v: unknown, path: Path): Record<string, string> {
    const m = this.stringMap(v, path);
    for (const [k, val] of Object.entries(m)) this.checkLabel(k, val, [...path, k]);
    return m;
  }

  /** Fails at path when the key or value is not a valid label key or value. */
  checkLabel(key: string, value: string | null, path: Path): void {
    const ek = isQualifiedName(key);
    if (ek.length > 0) this.fail(path, `label key "${key}" is invalid: ${ek[0]!}`);
    const ev = value === null ? [] : isValidLabelValue(value);
    if (ev.length > 0) this.fail(path, `label value "${value ?? ''}" is invalid: ${ev[0]!}`);
  }

  /** Node taints: a known effect, a valid key and value, unique by key and effect. */
  taints(v: unknown, path: Path): Taint[] {
    const seen = new Set<string>();
    return this.list(v, path).map((t, i) => {
      const p = [...path, i];
      const m = this.map(t, p, ['key', 'value', 'effect']);
      const effect = this.oneOf(
        m.effect,
        [...p, 'effect'],
        ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
        'effect',
      );
      const taint: Taint = { key: this.str(m.key, [...p, 'key']), effect };
      const ek = isQualifiedName(taint.key);
      if (ek.length > 0)
        this.fail([...p, 'key'], `"${taint.key}" is not a valid taint key: ${ek[0]!}`);
      const id = `${taint.key}:${effect}`;
      if (seen.has(id))
        this.fail(p, `taint ${id} is given twice (taints are unique by key and effect)`);
      seen.add(id);
      if (m.value === undefined) return taint;
      const value =
        typeof m.value === 'number' || typeof m.value === 'boolean'
          ? String(m.value)
          : this.str(m.value, [...p, 'value']);
      const ev = isValidLabelValue(value);
      if (ev.length > 0)
        this.fail([...p, 'value'], `"${value}" is not a valid taint value: ${ev[0]!}`);
      return { ...taint, value };
    });
  }

  /** A duration distribution: "3s", {min, max}, or {distribution: uniform|normal|exponential, ...}. */
  distribution(v: unknown, path: Path): Distribution {
    if (typeof v === 'string' || typeof v === 'number')
      return { kind: 'fixed', ms: this.duration(v, path) };
    const m = this.map(v, path, ['distribution', 'min', 'max', 'mean', 'stddev', 'value']);
    const kind =
      m.distribution === undefined
        ? 'uniform'
        : this.oneOf(
            m.distribution,
            [...path, 'distribution'],
            ['fixed', 'uniform', 'normal', 'exponential'],
            'distribution',
          );
    const d = (k: string): number => this.duration(m[k], [...path, k]);
    switch (kind) {
      case 'fixed':
        return { kind, ms: d('value') };
      case 'uniform': {
        const minMs = d('min');
        const maxMs = d('max');
        if (maxMs < minMs) this.fail([...path, 'max'], 'must not be less than min');
        return { kind, minMs, maxMs };
      }
      case 'normal':
        return { kind, meanMs: d('mean'), stddevMs: d('stddev') };
      case 'exponential':
        return { kind, meanMs: d('mean') };
    }
  }

  /** "name" (default namespace) or "namespace/name". */
  dsRef(v: unknown, path: Path): DsRef {
    const s = this.str(v, path);
    const parts = s.split('/');
    if (parts.length > 2 || parts.some((p) => p === ''))
      this.fail(path, `expected "name" or "namespace/name", got "${s}"`);
    return parts.length === 2
      ? { namespace: parts[0]!, name: parts[1]! }
      : { namespace: 'default', name: s };
  }

  /** Nodes: a name, a list of names, or {names, labels, zone, count}. */
  nodeRef(v: unknown, path: Path, zoneLabel: string): NodeRef {
    if (typeof v === 'string') return { names: [v] };
    if (Array.isArray(v)) return { names: v.map((n, i) => this.str(n, [...path, i])) };
    const m = this.map(v, path, ['names', 'labels', 'zone', 'count']);
    const labels: Record<string, string> =
      m.labels === undefined ? {} : this.stringMap(m.labels, [...path, 'labels']);
    if (m.zone !== undefined) labels[zoneLabel] = this.str(m.zone, [...path, 'zone']);
    const ref: { names?: string[]; labels?: Record<string, string>; count?: number } = {};
    if (m.names !== undefined)
      ref.names = this.list(m.names, [...path, 'names']).map((n, i) =>
        this.str(n, [...path, 'names', i]),
      );
    if (Object.keys(labels).length > 0) ref.labels = labels;
    if (m.count !== undefined) ref.count = this.int(m.count, [...path, 'count'], 1);
    if (ref.names === undefined && ref.labels === undefined && ref.count === undefined) {
      this.fail(path, 'name the nodes: names, labels, zone or count');
    }
    return ref;
  }

  /** "12", 12, ">= 9", "<3". */
  comparison(v: unknown, path: Path): Comparison {
    if (typeof v === 'number' && Number.isInteger(v)) return { op: '==', value: v };
    const m = typeof v === 'string' ? /^\s*(==|!=|<=|>=|<|>)?\s*(\d+)\s*$/.exec(v) : null;
    if (m === null)
      this.fail(path, `expected a number or a comparison such as ">= 9", got ${describe(v)}`);
    return { op: (m[1] ?? '==') as Comparison['op'], value: Number(m[2]) };
  }
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `"${v}"`;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}

/** ' (did you mean "taint"?)' when one allowed word is within two edits of what was written. */
export function suggest(got: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(got.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}
