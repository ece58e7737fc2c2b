/**
 * The fuzz suites: for each target, the arbitrary of its inputs (by class) and a runner that
 * drives fast-check, counts outcomes per class, and fails on a crash, a stack trace, an invalid
 * spec acted on, a case over the time bound, or the process over the memory bound. `npm test`
 * runs each suite briefly with a fixed seed; `npm run fuzz` runs them long (test/fuzz/run.ts).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { DaemonSet } from '../../src/api/types.js';
import {
  applyMutations,
  baseDaemonSet,
  baseList,
  baseScenario,
  hostileValue,
  mutationArb,
  nowArb,
  textDamage,
} from './mutations.js';
import { fuzzController, fuzzPlan, fuzzSim, type PlanCase, type Result } from './targets.js';

/** A generated case: its class (for the figures) and how to run it. */
export interface FuzzCase {
  readonly kind: string;
  readonly run: () => Promise<Result>;
  readonly describe: () => string;
}

const ds = baseDaemonSet();
const lists = {
  nodes: baseList('nodes.yaml'),
  pods: baseList('pods.yaml'),
  revisions: baseList('revisions.yaml'),
};
const FILES = ['ds', 'nodes', 'pods', 'revisions'] as const;

const planBase = (): Omit<PlanCase, 'json' | 'now' | 'rollout'> => ({
  ds,
  nodes: lists.nodes,
  pods: lists.pods,
  revisions: lists.revisions,
});
const planMode = fc.record({ json: fc.boolean(), now: nowArb, rollout: fc.boolean() });

/** `plan`: one file's objects mutated, a file's text damaged, a list item duplicated, --now. */
export const planCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.tuple(fc.constantFrom(...FILES), fc.nat(), planMode).chain(([file, seed, mode]) => {
    const base = file === 'ds' ? ds : lists[file];
    return mutationArb(base).map((muts): FuzzCase => {
      const c: PlanCase = { ...planBase(), ...mode, [file]: applyMutations(base, muts) };
      return {
        kind: `plan: ${file} fields`,
        run: () => fuzzPlan(c),
        describe: () => `${file} ${JSON.stringify(muts)} ${JSON.stringify(mode)} (${seed})`,
      };
    });
  }),
  fc.tuple(fc.nat({ max: 3 }), textDamage, planMode).map(([file, fn, mode]): FuzzCase => ({
    kind: 'plan: damaged text',
    run: () => fuzzPlan({ ...planBase(), ...mode, damage: { file, fn } }),
    describe: () => `file ${file} damaged by ${fn.toString()} ${JSON.stringify(mode)}`,
  })),
  fc
    .tuple(
      fc.constantFrom<('nodes' | 'pods' | 'revisions')[]>('nodes', 'pods', 'revisions'),
      fc.nat(),
      planMode,
    )
    .map(([file, i, mode]): FuzzCase => {
      const list = structuredClone(lists[file]) as { items: unknown[] };
      list.items.push(structuredClone(list.items[i % list.items.length]));
      return {
        kind: 'plan: duplicate object',
        run: () => fuzzPlan({ ...planBase(), ...mode, [file]: list }),
        describe: () => `${file} item ${i % list.items.length} twice ${JSON.stringify(mode)}`,
      };
    }),
  fc
    .tuple(fc.constantFrom(...FILES), hostileValue, planMode)
    .map(([file, value, mode]): FuzzCase => ({
      kind: 'plan: whole file replaced',
      run: () => fuzzPlan({ ...planBase(), ...mode, [file]: value }),
      describe: () => `${file} = ${JSON.stringify(value)} ${JSON.stringify(mode)}`,
    })),
);

const scenario = baseScenario();

/** The same cases through the real binary (a process start each: about a second). */
export const spawnedPlanCases: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.constantFrom(...FILES), planMode)
  .chain(([file, mode]) => {
    const base = file === 'ds' ? ds : lists[file];
    return mutationArb(base).map((muts): FuzzCase => {
      const c: PlanCase = { ...planBase(), ...mode, [file]: applyMutations(base, muts) };
      return {
        kind: `plan (binary): ${file} fields`,
        run: () => fuzzPlan(c, true),
        describe: () => `${file} ${JSON.stringify(muts)} ${JSON.stringify(mode)}`,
      };
    });
  });

/** `sim`: scenario fields mutated (the DaemonSet, nodes, timeline, stop), or its text damaged. */
export const simCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  mutationArb(scenario).map((muts): FuzzCase => {
    const text = stringify(applyMutations(scenario, muts));
    return {
      kind: 'sim: scenario fields',
      run: () => fuzzSim(text),
      describe: () => JSON.stringify(muts),
    };
  }),
  textDamage.map((fn): FuzzCase => ({
    kind: 'sim: damaged text',
    run: () => fuzzSim(fn(stringify(scenario))),
    describe: () => fn.toString(),
  })),
);

/** The controller: the stored DaemonSet's fields mutated (its spec mostly), then synced. */
export const controllerCases: fc.Arbitrary<FuzzCase> = fc
  .tuple(mutationArb({ spec: ds.spec, metadata: { labels: {}, annotations: {} } }, 2))
  .map(([muts]): FuzzCase => ({
    kind: 'controller: DaemonSet spec',
    run: () =>
      fuzzController((stored: DaemonSet) => {
        // The example's template on foo's selector and labels, then the mutations.
        const withTemplate = structuredClone(stored) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const t = structuredClone((ds.spec as Record<string, any>).template); // eslint-disable-line @typescript-eslint/no-explicit-any
        t.metadata.labels = withTemplate.spec.template.metadata.labels;
        return applyMutations(
          { ...withTemplate, spec: { ...withTemplate.spec, template: t } },
          muts,
        );
      }),
    describe: () => JSON.stringify(muts),
  }));

/** What a suite run found. */
export interface SuiteReport {
  readonly cases: number;
  readonly byKind: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly failures: readonly string[];
  readonly slowestMs: number;
  readonly peakRssMb: number;
  readonly seed: number;
}

/** Bounds a case and the process must stay within. */
export interface Bounds {
  readonly caseMs: number;
  readonly rssMb: number;
  /** Called before each case (progress output of a long run). */
  readonly onCase?: (n: number, c: FuzzCase) => void;
}

/** The case's result, or a `slow` one when it has not ended by the deadline (a hang). */
async function withDeadline(run: Promise<Result>, ms: number): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Result>((resolve) => {
    timer = setTimeout(() => {
      resolve({ outcome: 'crash', detail: `no answer after ${ms} ms (a hang)`, ms });
    }, ms);
  });
  try {
    return await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `runs` cases of a suite with fast-check (no shrinking of a failure past the first). */
export async function runSuite(
  cases: fc.Arbitrary<FuzzCase>,
  runs: number,
  seed: number,
  bounds: Bounds,
): Promise<SuiteReport> {
  const byKind = new Map<string, Map<string, number>>();
  const failures: string[] = [];
  let slowest = 0;
  let peak = 0;
  let n = 0;
  await fc.check(
    fc.asyncProperty(cases, async (c) => {
      bounds.onCase?.(n++, c);
      const r = await withDeadline(c.run(), bounds.caseMs * 3);
      const rss = process.memoryUsage().rss / 2 ** 20;
      peak = Math.max(peak, rss);
      slowest = Math.max(slowest, r.ms);
      const counts = byKind.get(c.kind) ?? new Map<string, number>();
      byKind.set(c.kind, counts);
      const bad = r.outcome === 'crash' || r.outcome === 'stack' || r.outcome === 'deleted';
      const over = r.ms > bounds.caseMs ? 'slow' : rss > bounds.rssMb ? 'memory' : undefined;
      const outcome = over ?? r.outcome;
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      if (bad || over !== undefined) {
        failures.push(
          `${c.kind}: ${outcome} (${r.ms.toFixed(0)} ms): ${r.detail}\n  input: ${c.describe()}`,
        );
      }
      return true;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return { cases: runs, byKind, failures, slowestMs: slowest, peakRssMb: peak, seed };
}
