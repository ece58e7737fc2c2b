/** Parses a scenario's `expect:` checks: each entry has one check key and an optional name. */
import { formatDuration } from '../duration.js';
import type { Reader } from './reader.js';
import type { Path } from './source.js';
import {
  ZONE_LABEL,
  type CheckSpec,
  type Comparison,
  type DsRef,
  type StatusField,
} from './types.js';

const CHECKS = [
  'converged',
  'convergedWithin',
  'maxUnavailable',
  'maxPodsPerNode',
  'status',
  'pods',
  'condition',
  'phase',
  'events',
] as const;
const REVISIONS = ['newest', 'old', 'any', 'update', 'stable'] as const;
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
const STATUS_FIELDS: readonly StatusField[] = [
  'desired',
  'current',
  'updated',
  'ready',
  'available',
  'unavailable',
  'misscheduled',
];

/** Prints a comparison as a person reads it: "12", "≥ 9". */
export function formatComparison(c: Comparison): string {
  const op = { '==': '', '!=': '≠ ', '<': '< ', '<=': '≤ ', '>': '> ', '>=': '≥ ' }[c.op];
  return `${op}${c.value}`;
}

/** Applies a comparison. */
export function compare(actual: number, c: Comparison): boolean {
  switch (c.op) {
    case '==':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case '<':
      return actual < c.value;
    case '<=':
      return actual <= c.value;
    case '>':
      return actual > c.value;
    case '>=':
      return actual >= c.value;
  }
}

const dsName = (d: DsRef | undefined): string =>
  d === undefined
    ? 'every DaemonSet'
    : d.namespace === 'default'
      ? d.name
      : `${d.namespace}/${d.name}`;

/** Parses the `expect:` list. */
export function parseExpect(r: Reader, v: unknown, path: Path): CheckSpec[] {
  return r.list(v, path).map((entry, i) => {
    const p = [...path, i];
    const m = r.map(entry, p, ['name', ...CHECKS]);
    const keys = CHECKS.filter((k) => m[k] !== undefined);
    if (keys.length !== 1)
      r.fail(
        p,
        `a check needs exactly one of ${CHECKS.join(', ')}${keys.length > 1 ? ` (got ${keys.join(' and ')})` : ''}`,
      );
    const key = keys[0]!;
    const check = parseCheck(r, key, m[key], [...p, key]);
    const name = m.name === undefined ? check.name : r.str(m.name, [...p, 'name']);
    return { ...check, name, loc: r.src.at(p) };
  });
}

type Parsed = CheckSpec extends infer C ? (C extends unknown ? Omit<C, 'loc'> : never) : never;

function optDs(r: Reader, m: Readonly<Record<string, unknown>>, p: Path): DsRef | undefined {
  return m.daemonSet === undefined ? undefined : r.dsRef(m.daemonSet, [...p, 'daemonSet']);
}

function parseCheck(r: Reader, key: (typeof CHECKS)[number], v: unknown, p: Path): Parsed {
  switch (key) {
    case 'converged': {
      const daemonSet = v === true || v === 'all' ? undefined : r.dsRef(v, p);
      return {
        check: key,
        daemonSet,
        name: `converged: every eligible node runs exactly one available pod of the newest revision (${dsName(daemonSet)})`,
      };
    }
    case 'convergedWithin': {
      const m =
        typeof v === 'object' && v !== null ? r.map(v, p, ['daemonSet', 'within']) : { within: v };
      const withinMs = r.duration(m.within, typeof v === 'object' ? [...p, 'within'] : p);
      const daemonSet = optDs(r, m, p);
      return {
        check: key,
        daemonSet,
        withinMs,
        name: `${dsName(daemonSet)}: every rollout converges within ${formatDuration(withinMs)}`,
      };
    }
    case 'maxUnavailable':
    case 'maxPodsPerNode': {
      const m =
        typeof v === 'object' && v !== null ? r.map(v, p, ['daemonSet', 'atMost']) : { atMost: v };
      const atMost = r.int(m.atMost, typeof v === 'object' ? [...p, 'atMost'] : p);
      const daemonSet = optDs(r, m, p);
      const what =
        key === 'maxUnavailable'
          ? `never more than ${atMost} pod${atMost === 1 ? '' : 's'} unavailable during a rollout`
          : `never more than ${atMost} pod${atMost === 1 ? '' : 's'} on one node`;
      return { check: key, daemonSet, atMost, name: `${dsName(daemonSet)}: ${what}` };
    }
    case 'status': {
      const m = r.map(v, p, ['daemonSet', 'at', ...STATUS_FIELDS]);
      const daemonSet = r.dsRef(m.daemonSet, [...p, 'daemonSet']);
      const fields: Partial<Record<StatusField, Comparison>> = {};
      for (const f of STATUS_FIELDS)
        if (m[f] !== undefined) fields[f] = r.comparison(m[f], [...p, f]);
      if (Object.keys(fields).length === 0)
        r.fail(p, `name at least one of ${STATUS_FIELDS.join(', ')}`);
      const atMs = m.at === undefined ? undefined : r.duration(m.at, [...p, 'at']);
      const when = atMs === undefined ? 'at the end' : `at ${formatDuration(atMs)}`;
      const what = Object.entries(fields)
        .map(([f, c]) => `${f} ${formatComparison(c)}`)
        .join(', ');
      return { check: key, daemonSet, atMs, fields, name: `${dsName(daemonSet)} ${when}: ${what}` };
    }
    case 'pods': {
      const m = r.map(v, p, ['daemonSet', 'at', 'revision', 'ready', 'nodes', 'count']);
      const daemonSet = r.dsRef(m.daemonSet, [...p, 'daemonSet']);
      const revision =
        m.revision === undefined
          ? 'any'
          : r.oneOf(m.revision, [...p, 'revision'], REVISIONS, 'revision');
      const ready = m.ready === undefined ? undefined : r.bool(m.ready, [...p, 'ready']);
      const nodes =
        m.nodes === undefined ? undefined : r.nodeRef(m.nodes, [...p, 'nodes'], ZONE_LABEL);
      if (m.count === undefined) r.fail(p, 'this check needs count');
      const count = r.comparison(m.count, [...p, 'count']);
      const atMs = m.at === undefined ? undefined : r.duration(m.at, [...p, 'at']);
      const when = atMs === undefined ? 'at the end' : `at ${formatDuration(atMs)}`;
      const kind = `${ready === undefined ? '' : ready ? 'ready ' : 'unready '}${revision === 'any' ? '' : `${revision}-revision `}pods`;
      return {
        check: key,
        daemonSet,
        atMs,
        revision,
        ready,
        nodes,
        count,
        name: `${dsName(daemonSet)} ${when}: ${formatComparison(count)} ${kind}`,
      };
    }
    case 'condition': {
      const m = r.map(v, p, ['daemonSet', 'at', 'type', 'status', 'reason', 'present']);
      const daemonSet = r.dsRef(m.daemonSet, [...p, 'daemonSet']);
      if (m.type === undefined) r.fail(p, 'this check needs type, e.g. Progressing');
      const type = r.str(m.type, [...p, 'type']);
      const status =
        m.status === undefined
          ? undefined
          : r.oneOf(
              typeof m.status === 'boolean' ? (m.status ? 'True' : 'False') : m.status,
              [...p, 'status'],
              CONDITION_STATUSES,
              'status',
            );
      const reason = m.reason === undefined ? undefined : r.str(m.reason, [...p, 'reason']);
      const present = m.present === undefined ? true : r.bool(m.present, [...p, 'present']);
      if (!present && (status !== undefined || reason !== undefined))
        r.fail([...p, 'present'], 'present: false takes no status or reason');
      if (present && status === undefined && reason === undefined)
        r.fail(p, 'name a status or a reason (or present: false)');
      const atMs = m.at === undefined ? undefined : r.duration(m.at, [...p, 'at']);
      const when = atMs === undefined ? 'at the end' : `at ${formatDuration(atMs)}`;
      if (!present)
        return {
          check: key,
          daemonSet,
          atMs,
          type,
          present,
          name: `${dsName(daemonSet)} ${when}: no condition ${type}`,
        };
      const what = [status, reason === undefined ? undefined : `(${reason})`]
        .filter((x) => x !== undefined)
        .join(' ');
      return {
        check: key,
        daemonSet,
        atMs,
        type,
        ...(status === undefined ? {} : { status }),
        ...(reason === undefined ? {} : { reason }),
        name: `${dsName(daemonSet)} ${when}: condition ${type} ${what}`,
      };
    }
    case 'phase': {
      const m = r.map(v, p, ['daemonSet', 'at', 'is']);
      const daemonSet = r.dsRef(m.daemonSet, [...p, 'daemonSet']);
      if (m.is === undefined) r.fail(p, 'this check needs is: the phase, e.g. Paused');
      const phase = r.str(m.is, [...p, 'is']);
      const atMs = m.at === undefined ? undefined : r.duration(m.at, [...p, 'at']);
      const when = atMs === undefined ? 'at the end' : `at ${formatDuration(atMs)}`;
      return {
        check: key,
        daemonSet,
        atMs,
        phase,
        name: `${dsName(daemonSet)} ${when}: phase ${phase}`,
      };
    }
    case 'events': {
      const m = r.map(v, p, ['reason', 'daemonSet', 'count']);
      const reason = r.str(m.reason, [...p, 'reason']);
      const daemonSet = optDs(r, m, p);
      const count =
        m.count === undefined
          ? { op: '>=' as const, value: 1 }
          : r.comparison(m.count, [...p, 'count']);
      return {
        check: key,
        reason,
        daemonSet,
        count,
        name: `${formatComparison(count)} ${reason} events${daemonSet ? ` on ${dsName(daemonSet)}` : ''}`,
      };
    }
  }
}
