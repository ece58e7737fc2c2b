/** Parses a scenario's `timeline:`: actions at virtual times, each with its own fields. */
import { isQualifiedName } from '../../api/names.js';
import type { KubeObject } from '../../cluster/port.js';
import type { Reader } from './reader.js';
import type { Path } from './source.js';
import { ZONE_LABEL, type Action, type NodeSpec, type TimedAction } from './types.js';

/** The fields each action takes (besides `at` and `action`). */
export const ACTION_FIELDS: Readonly<Record<Action['action'], readonly string[]>> = {
  addNodes: ['nodes'],
  removeNodes: ['nodes'],
  label: ['nodes', 'labels'],
  taint: ['nodes', 'taints'],
  untaint: ['nodes', 'taints'],
  notReady: ['nodes'],
  unreachable: ['nodes'],
  ready: ['nodes'],
  apply: ['objects'],
  patch: ['daemonSet', 'patch'],
  setImage: ['daemonSet', 'container', 'image'],
  delete: ['daemonSet'],
  annotate: ['daemonSet', 'annotations'],
  failPod: ['daemonSet', 'nodes'],
  deletePod: ['daemonSet', 'nodes'],
  restartController: ['downFor'],
};
const ACTIONS = Object.keys(ACTION_FIELDS) as Action['action'][];

/** Parsers for the parts of an action that reuse top-level formats. */
export interface TimelineHelpers {
  readonly nodes: (v: unknown, path: Path) => NodeSpec[];
  readonly objects: (v: unknown, path: Path) => Promise<KubeObject[]>;
}

/** Parses the timeline; the result is ordered by time (stable for equal times). */
export async function parseTimeline(
  r: Reader,
  v: unknown,
  path: Path,
  h: TimelineHelpers,
): Promise<TimedAction[]> {
  const out: TimedAction[] = [];
  const list = r.list(v, path);
  for (let i = 0; i < list.length; i++) {
    const p = [...path, i];
    const raw = r.map(list[i], p, [
      'at',
      'action',
      ...new Set(Object.values(ACTION_FIELDS).flat()),
    ]);
    if (raw.action === undefined)
      r.fail(p, `an entry needs an action: one of ${ACTIONS.join(', ')}`);
    const name = r.str(raw.action, [...p, 'action']);
    if (!ACTIONS.includes(name as Action['action']))
      throw r.unknown([...p, 'action'], 'action', name, ACTIONS, true);
    const kind = name as Action['action'];
    r.map(raw, p, ['at', 'action', ...ACTION_FIELDS[kind]]);
    if (raw.at === undefined)
      r.fail(p, 'an entry needs at: the virtual time it happens, e.g. "2m"');
    const atMs = r.duration(raw.at, [...p, 'at']);
    const action = await parseAction(r, kind, raw, p, h);
    out.push({ ...action, atMs, loc: r.src.at(p) });
  }
  return out
    .map((a, i) => ({ a, i }))
    .sort((x, y) => x.a.atMs - y.a.atMs || x.i - y.i)
    .map((x) => x.a);
}

function need(r: Reader, m: Readonly<Record<string, unknown>>, key: string, p: Path): unknown {
  if (m[key] === undefined) r.fail(p, `this action needs ${key}`);
  return m[key];
}

async function parseAction(
  r: Reader,
  kind: Action['action'],
  m: Readonly<Record<string, unknown>>,
  p: Path,
  h: TimelineHelpers,
): Promise<Action> {
  const nodes = () => r.nodeRef(need(r, m, 'nodes', p), [...p, 'nodes'], ZONE_LABEL);
  const ds = () => r.dsRef(need(r, m, 'daemonSet', p), [...p, 'daemonSet']);
  switch (kind) {
    case 'addNodes':
      return { action: kind, nodes: h.nodes(need(r, m, 'nodes', p), [...p, 'nodes']) };
    case 'removeNodes':
    case 'notReady':
    case 'unreachable':
    case 'ready':
      return { action: kind, nodes: nodes() };
    case 'label': {
      const lp = [...p, 'labels'];
      const raw = r.map(need(r, m, 'labels', p), lp, Object.keys(m.labels ?? {}));
      const labels: Record<string, string | null> = {};
      for (const [k, val] of Object.entries(raw)) {
        labels[k] =
          val === null
            ? null
            : typeof val === 'string'
              ? val
              : typeof val === 'number' || typeof val === 'boolean'
                ? String(val)
                : r.str(val, [...lp, k]);
        r.checkLabel(k, labels[k], [...lp, k]);
      }
      return { action: kind, nodes: nodes(), labels };
    }
    case 'taint':
      return {
        action: kind,
        nodes: nodes(),
        taints: r.taints(need(r, m, 'taints', p), [...p, 'taints']),
      };
    case 'untaint': {
      const tp = [...p, 'taints'];
      const taints = r.list(need(r, m, 'taints', p), tp).map((t, i) => {
        if (typeof t === 'string') return { key: t };
        const tm = r.map(t, [...tp, i], ['key', 'effect', 'value']);
        const key = r.str(tm.key, [...tp, i, 'key']);
        return tm.effect === undefined
          ? { key }
          : {
              key,
              effect: r.oneOf(
                tm.effect,
                [...tp, i, 'effect'],
                ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
                'effect',
              ),
            };
      });
      return { action: kind, nodes: nodes(), taints };
    }
    case 'apply':
      return {
        action: kind,
        objects: await h.objects(need(r, m, 'objects', p), [...p, 'objects']),
      };
    case 'patch': {
      const patch = r.map(need(r, m, 'patch', p), [...p, 'patch'], ['metadata', 'spec']);
      return { action: kind, daemonSet: ds(), patch };
    }
    case 'setImage': {
      const image = r.str(need(r, m, 'image', p), [...p, 'image']);
      const base = { action: kind, daemonSet: ds(), image };
      return m.container === undefined
        ? base
        : { ...base, container: r.str(m.container, [...p, 'container']) };
    }
    case 'delete':
      return { action: kind, daemonSet: ds() };
    case 'annotate': {
      // As kubectl annotate: a string sets the annotation, null removes it. The API server does
      // not validate annotation values, so a bad rollout.everynode.dev/strategy reaches the
      // controller (an Event and the InvalidStrategy condition), as on a real cluster.
      const ap = [...p, 'annotations'];
      const raw = r.map(need(r, m, 'annotations', p), ap, Object.keys(m.annotations ?? {}));
      if (Object.keys(raw).length === 0) r.fail(ap, 'name at least one annotation');
      const annotations: Record<string, string | null> = {};
      for (const [k, val] of Object.entries(raw)) {
        const bad = isQualifiedName(k);
        if (bad.length > 0) r.fail([...ap, k], `annotation key "${k}" is invalid: ${bad[0]!}`);
        annotations[k] =
          val === null
            ? null
            : typeof val === 'number' || typeof val === 'boolean'
              ? String(val)
              : r.str(val, [...ap, k]);
      }
      return { action: kind, daemonSet: ds(), annotations };
    }
    case 'failPod':
    case 'deletePod':
      return { action: kind, daemonSet: ds(), nodes: nodes() };
    case 'restartController':
      return {
        action: kind,
        downForMs: m.downFor === undefined ? 0 : r.duration(m.downFor, [...p, 'downFor']),
      };
  }
}
