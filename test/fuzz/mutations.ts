/**
 * What the fuzzer feeds everynode: valid objects (a DaemonSet with affinity, tolerations, ports,
 * resources and volumes; nodes; pods; revisions; a scenario), and fast-check arbitraries that
 * break them the way people and programs do: a field set to a value of the wrong type, a huge or
 * fractional number, an unknown operator or effect, a deleted field, a duplicated list item, or
 * the file's text cut, spliced or stuffed with an alias bomb.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Json = unknown;
/** A path into a JSON value: keys and list indexes. */
export type Path = readonly (string | number)[];

const root = new URL('../..', import.meta.url).pathname;
const example = (f: string): Record<string, Json> =>
  parse(readFileSync(join(root, 'examples', 'plan', f), 'utf8')) as Record<string, Json>;

/** The plan example's DaemonSet with node affinity and a toleration added: every rule in play. */
export function baseDaemonSet(): Record<string, Json> {
  const ds = example('daemonset.yaml');
  const spec = (ds.spec as { template: { spec: Record<string, Json> } }).template.spec;
  spec.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
        ],
      },
    },
  };
  spec.tolerations = [
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  ];
  return ds;
}

/** The example's nodes, pods and revisions Lists. */
export const baseList = (f: 'nodes.yaml' | 'pods.yaml' | 'revisions.yaml'): Record<string, Json> =>
  example(f);

/** Every path to a value inside v (containers included), in document order. */
export function pathsOf(v: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

/** Values of the wrong type or out of range, and the typos of issue 17. */
const NASTY: readonly Json[] = [
  null,
  '',
  'oops',
  'Near',
  'in',
  'Bogus',
  'exists',
  'noschedule',
  -1,
  0,
  2.5,
  1e20,
  1e30,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  Infinity,
  true,
  [],
  {},
  [[]],
  { a: { b: {} } },
  '1e30',
  '101%',
  '-5%',
  '2026-02-30T00:00:00Z',
  'x'.repeat(300),
  'a b',
  '\u{1F4A5}',
  '../../etc/passwd',
];

/** A hostile value: one of NASTY, or a random scalar, list or map. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), {
      maxKeys: 3,
    }),
  },
);

/** One change to a JSON value. */
export type Mutation =
  | { readonly op: 'set'; readonly path: Path; readonly value: Json }
  | { readonly op: 'delete'; readonly path: Path }
  | { readonly op: 'duplicate'; readonly path: Path };

/** Mutations of a value, their paths taken from the value's own paths. */
export function mutationArb(base: Json, maxCount = 3): fc.Arbitrary<Mutation[]> {
  const paths = pathsOf(base).filter((p) => p.length > 0);
  const path = fc.constantFrom(...paths);
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constant('set' as const), path, value: hostileValue }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), path }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), path }) },
  );
  return fc.array(one, { minLength: 1, maxLength: maxCount });
}

/** A copy of v with the mutations applied (paths that no longer exist are created or skipped). */
export function applyMutations(v: Json, muts: readonly Mutation[]): Json {
  const out = structuredClone(v);
  for (const m of muts) {
    const parentPath = m.path.slice(0, -1);
    const key = m.path[m.path.length - 1]!;
    let parent: unknown = out;
    for (const k of parentPath) {
      if (typeof parent !== 'object' || parent === null) break;
      parent = (parent as Record<string | number, unknown>)[k];
    }
    if (typeof parent !== 'object' || parent === null) continue;
    const p = parent as Record<string | number, unknown>;
    if (m.op === 'set') p[key] = structuredClone(m.value);
    else if (m.op === 'delete') {
      if (Array.isArray(p) && typeof key === 'number') p.splice(key, 1);
      else Reflect.deleteProperty(p, key);
    } else if (Array.isArray(p) && typeof key === 'number' && key < p.length) {
      p.splice(key, 0, structuredClone(p[key]));
    }
  }
  return out;
}

/** Text-level damage: a cut, a splice of junk, an alias bomb, a tab, deep nesting, a NUL byte. */
export const textDamage: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('{', '[', ': :', '&a', '*a', '"', "'", '\t', '- ', '---\n', '\u0000'),
    )
    .map(
      ([n, junk]) =>
        (t: string) =>
          t.slice(0, n % (t.length + 1)) + junk + t.slice(n % (t.length + 1)),
    ),
  fc.constant((t: string) => `${aliasBomb()}\n${t}`),
  fc.constant((t: string) => `x: ${'['.repeat(3000)}${']'.repeat(3000)}\n${t}`),
  fc.constant((t: string) => t.replace(/items:/, 'items: "nope"\nold-items:')),
  fc.constant((t: string) => `${t}\n${t}`),
);

/** A billion-laughs document: nine levels of nine aliases. */
export function aliasBomb(): string {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const p = String.fromCharCode(96 + i);
    const c = String.fromCharCode(97 + i);
    lines.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`);
  }
  return lines.join('\n');
}

/** --now values: real times, impossible dates, garbage. */
export const nowArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    '2026-11-28T21:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-28T24:00:00Z',
    'yesterday',
    '',
    '9999999999-01-01T00:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/** A small scenario: 4 nodes, one DaemonSet, a patch, a label and a taint on the timeline. */
export function baseScenario(): Record<string, Json> {
  return {
    name: 'fuzz',
    seed: 1,
    nodes: [
      { prefix: 'n-', count: 4, zone: 'a' },
      { name: 'cp', taints: [{ key: 'role', effect: 'NoSchedule' }] },
    ],
    objects: [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: {
              tolerations: [{ key: 'role', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'a', image: 'a:1' }],
            },
          },
        },
      },
    ],
    timeline: [
      {
        at: '1m',
        action: 'patch',
        daemonSet: 'agent',
        patch: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } },
      },
      { at: '2m', action: 'label', nodes: ['n-01'], labels: { x: 'y' } },
      {
        at: '3m',
        action: 'taint',
        nodes: { names: ['n-02'] },
        taints: [{ key: 'k', effect: 'NoExecute' }],
      },
    ],
    stop: { timeLimit: '10m' },
  };
}
