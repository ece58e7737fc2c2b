/**
 * The fuzzer's targets, each run in-process on one generated input and classified:
 * - `plan`: the files written to a temp directory and `everynode plan` run on them (runPlan);
 * - `sim`: a scenario parsed (parseScenario) and, when it parses, simulated for up to 10 minutes;
 * - `controller`: a DaemonSet that bypassed validation given to the controller on the embedded
 *   cluster, after the embedded API server was asked to take the same object.
 * Outcomes: `ok` (exit 0), `usage` (a UsageError or ScenarioError: exit 2, one message, no stack
 * trace), and the failures the fuzzer hunts: `crash` (anything else: exit 1 on bad input),
 * `stack` (a message with a stack trace), `deleted` (an invalid spec led to a pod write).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getCondition, INVALID_CONDITION } from '../../src/api/conditions.js';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { validateDaemonSet } from '../../src/api/validation.js';
import { UsageError } from '../../src/cli/errors.js';
import { loadObjects } from '../../src/cli/load.js';
import { runPlan } from '../../src/cli/plan.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { ClusterError, type KubeObject, type ResourceKind } from '../../src/cluster/port.js';
import { bindAll, dsFoo, harness, kubeletStep, node } from '../../src/controller/testing.js';
import { Simulation } from '../../src/sim/runner.js';
import { parseScenario } from '../../src/sim/scenario/parse.js';
import { ScenarioError } from '../../src/sim/scenario/source.js';

/** How one case ended. */
export type Outcome = 'ok' | 'usage' | 'crash' | 'stack' | 'deleted';

/** The outcome of one case, with what a person needs to reproduce a failure. */
export interface Result {
  readonly outcome: Outcome;
  readonly detail: string;
  readonly ms: number;
}

const STACK = /\n\s+at \S/;

function classify(err: unknown): { outcome: Outcome; detail: string } {
  const msg = err instanceof Error ? err.message : String(err);
  if (STACK.test(msg)) return { outcome: 'stack', detail: msg };
  if (err instanceof UsageError || err instanceof ScenarioError)
    return { outcome: 'usage', detail: msg };
  const stack = err instanceof Error ? (err.stack ?? '').split('\n').slice(0, 4).join(' | ') : '';
  return { outcome: 'crash', detail: `${msg} [${stack}]` };
}

async function timed(fn: () => Promise<{ outcome: Outcome; detail: string }>): Promise<Result> {
  const t0 = performance.now();
  let r: { outcome: Outcome; detail: string };
  try {
    r = await fn();
  } catch (err) {
    r = classify(err);
  }
  return { ...r, ms: performance.now() - t0 };
}

/** One `plan` input: the four files (values, or damaged text), --now, and the mode. */
export interface PlanCase {
  readonly ds: unknown;
  readonly nodes: unknown;
  readonly pods: unknown;
  readonly revisions: unknown;
  readonly json: boolean;
  /** Text damage applied to one file, by index (0 ds, 1 nodes, 2 pods, 3 revisions). */
  readonly damage?: { readonly file: number; readonly fn: (t: string) => string };
  readonly now: string | undefined;
  readonly rollout: boolean;
}

let dirSeq = 0;
const bin = join(new URL('../..', import.meta.url).pathname, 'bin', 'everynode.js');

/**
 * Runs `everynode plan` on the case's files: in-process, or (spawn) as the real binary, whose
 * exit code must then be 0 or 2 and whose stderr must hold no stack trace.
 */
export function fuzzPlan(c: PlanCase, spawn = false): Promise<Result> {
  const dir = join(tmpdir(), `everynode-fuzz-${process.pid}-${dirSeq++}`);
  mkdirSync(dir, { recursive: true });
  return timed(async () => {
    try {
      const files = [c.ds, c.nodes, c.pods, c.revisions].map((v, i) => {
        let text = c.json ? JSON.stringify(v) : stringify(v);
        if (c.damage?.file === i) text = c.damage.fn(text);
        const f = join(dir, `f${i}.${c.json ? 'json' : 'yaml'}`);
        writeFileSync(f, text);
        return f;
      });
      if (spawn) return spawnPlan(files, c);
      const sink = { write: (): boolean => true };
      await runPlan(
        {
          filename: files[0]!,
          nodes: files[1]!,
          pods: files[2],
          revisions: files[3],
          now: c.now,
          output: 'json',
          rollout: c.rollout,
        },
        { stdout: sink, clock: () => Date.parse('2026-11-28T21:00:00Z') },
      );
      return { outcome: 'ok', detail: '' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function spawnPlan(files: readonly string[], c: PlanCase): { outcome: Outcome; detail: string } {
  const args = ['plan', '-f', files[0]!, '--nodes', files[1]!, '--pods', files[2]!];
  args.push('--revisions', files[3]!, '-o', 'json', ...(c.rollout ? ['--rollout'] : []));
  if (c.now !== undefined) args.push('--now', c.now);
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, EVERYNODE_FROM_SOURCE: '1', EVERYNODE_DEBUG: '' },
    timeout: 60_000,
  });
  if (STACK.test(r.stderr)) return { outcome: 'stack', detail: `spawned: ${r.stderr}` };
  if (r.status === 0) return { outcome: 'ok', detail: 'spawned' };
  if (r.status === 2) return { outcome: 'usage', detail: `spawned: ${r.stderr.trim()}` };
  return { outcome: 'crash', detail: `spawned: exit ${String(r.status)} ${r.stderr}` };
}

/** The longest a fuzzed scenario is simulated, and the most nodes one may run with. */
const SIM_LIMIT_MS = 10 * 60_000;
const SIM_MAX_NODES = 200;

/** Parses the scenario text and, when it parses, simulates it. */
export function fuzzSim(text: string): Promise<Result> {
  return timed(async () => {
    const scenario = await parseScenario('fuzz.yaml', text, {
      loadObjects: async (p) =>
        (await loadObjects(p)).map((o) => ({ object: o.object, source: o.source })),
      resolvePath: (p) => p,
    });
    const nodes = scenario.nodes.length;
    if (nodes > SIM_MAX_NODES) return { outcome: 'ok', detail: `parsed; ${nodes} nodes, not run` };
    const sim = new Simulation({
      ...scenario,
      stop: { ...scenario.stop, timeLimitMs: Math.min(scenario.stop.timeLimitMs, SIM_LIMIT_MS) },
    });
    const r = await sim.run();
    return { outcome: 'ok', detail: r.stopReason };
  });
}

interface RawStore {
  get(kind: ResourceKind, ns: string, name: string): KubeObject | undefined;
  update(kind: ResourceKind, obj: Record<string, unknown>, prev: KubeObject): KubeObject;
}

/** Keeps the fields the store needs to find the object; everything else as generated. */
function asStored(mutated: unknown, prev: KubeObject): Record<string, unknown> {
  const m = (typeof mutated === 'object' && mutated !== null ? mutated : {}) as Record<
    string,
    unknown
  >;
  const meta = (typeof m.metadata === 'object' && m.metadata !== null ? m.metadata : {}) as Record<
    string,
    unknown
  >;
  const pm = prev.metadata ?? {};
  return {
    ...m,
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      ...meta,
      name: pm.name,
      namespace: pm.namespace,
      uid: pm.uid,
      creationTimestamp: pm.creationTimestamp,
      generation: (pm.generation ?? 1) + 1,
    },
  };
}

/**
 * The DaemonSet `foo` running on three nodes; `mutate` turns its stored object into the case's
 * object. The embedded API server must take it or refuse it (a ClusterError, never a crash); then
 * the object is stored as it is, bypassing validation, and the controller syncs. When validation
 * refuses it, no pod may be created or deleted and the Invalid condition must be set.
 */
export function fuzzController(mutate: (stored: DaemonSet) => unknown): Promise<Result> {
  return timed(async () => {
    const h = harness({ workers: 1 });
    try {
      for (const n of ['n1', 'n2', 'n3']) await h.cluster.create('Node', node(n));
      await h.cluster.create('DaemonSet', dsFoo('foo'));
      await h.controller.start();
      for (let i = 0; i < 3; i++) {
        await h.settle();
        await bindAll(h.cluster);
        await kubeletStep(h.cluster, h.clock);
      }
      await h.settle();
      const stored = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
      const mutated = mutate(stored);
      // The embedded API server takes it or refuses it; a second one, so that an accepted update
      // does not start a legitimate rollout of foo here.
      const api = new MemoryCluster({ clock: h.clock });
      try {
        await api.create('DaemonSet', {
          ...stored,
          metadata: { name: 'foo', namespace: 'default' },
        });
        await api.update('DaemonSet', mutated as KubeObject);
      } catch (err) {
        if (!(err instanceof ClusterError)) {
          return { outcome: 'crash', detail: `embedded API server: ${classify(err).detail}` };
        }
      }
      const store = (h.cluster as unknown as { store: RawStore }).store;
      const prev = store.get('DaemonSet', 'default', 'foo')!;
      const next = asStored(mutated, prev);
      const invalid = validateDaemonSet(next);
      const podsBefore = (await h.pods()).map(podKey).sort().join();
      const before = h.cluster.stats('controller').byKind.Pod ?? {};
      store.update('DaemonSet', next, prev);
      await h.settle();
      await h.advance(5000);
      if (invalid.length === 0) return { outcome: 'ok', detail: 'valid' };
      const after = h.cluster.stats('controller').byKind.Pod ?? {};
      const podsAfter = (await h.pods()).map(podKey).sort().join();
      const writes = (['create', 'delete', 'update', 'patch'] as const).filter(
        (v) => (after[v] ?? 0) !== (before[v] ?? 0),
      );
      if (writes.length > 0 || podsAfter !== podsBefore) {
        return {
          outcome: 'deleted',
          detail: `pod writes ${writes.join(',')} for: ${invalid[0]!.toString()}`,
        };
      }
      const now = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
      if (getCondition(now.status, INVALID_CONDITION)?.status !== 'True') {
        return { outcome: 'crash', detail: `no Invalid condition for: ${invalid[0]!.toString()}` };
      }
      return { outcome: 'usage', detail: 'refused' };
    } finally {
      await h.controller.stop();
    }
  });
}

function podKey(p: Pod): string {
  return `${p.metadata?.name ?? ''}${p.metadata?.deletionTimestamp ? '(deleting)' : ''}`;
}
