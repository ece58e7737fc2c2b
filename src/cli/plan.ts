/**
 * `everynode plan`: the engine from the command line. Reads a DaemonSet, its nodes, pods and
 * revisions from files as kubectl prints them, runs one reconcile in the harness model (the
 * controller's own writes are observed at once), and prints each node's decision, the actions,
 * the status and the events; with --rollout, the whole rollout step by step.
 */
import { createHash } from 'node:crypto';
import { Command, Option } from 'commander';
import { defaultDaemonSet } from '../api/defaults.js';
import { validateDaemonSet } from '../api/validation.js';
import type { ControllerRevision, DaemonSet, Mutable, Node, Pod } from '../api/types.js';
import { TEMPLATE_GENERATION_ANNOTATION } from '../api/types.js';
import { reconcile } from '../engine/reconcile.js';
import type { Snapshot } from '../engine/types.js';
import { UsageError } from './errors.js';
import { displayName, expectKind, loadObjects } from './load.js';
import type { LoadOptions } from './load.js';
import { checkShapes } from './shape.js';
import { toJSONText, toYAMLText } from './output.js';
import { planView, renderPlanTable } from './plan-view.js';
import { renderRollout, rolloutView } from './plan-rollout.js';
import { writePlanReport } from './plan-report.js';
import type { PlanInput } from './planinput.js';

/** The output formats of `everynode plan`. */
export type PlanFormat = 'table' | 'json' | 'yaml';

/** The files and flags of one `everynode plan`. */
export interface PlanOptions {
  readonly filename: string;
  readonly nodes: string;
  readonly pods?: string | undefined;
  readonly revisions?: string | undefined;
  readonly now?: string | undefined;
  readonly output: PlanFormat;
  readonly rollout?: boolean | undefined;
  /** With rollout: also write the preview as an HTML node grid to this file. */
  readonly report?: string | undefined;
}

/** Where the command reads "-" from and writes to (tests and embedding pass their own). */
export interface PlanIO {
  readonly stdin?: LoadOptions['stdin'];
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  /** Clock reading used when --now is absent (the CLI may read the clock; the engine may not). */
  readonly clock?: () => number;
}

export type { PlanInput } from './planinput.js';

const EXAMPLES = `
Examples:
  # What would the controller do, and why has node X no pod?
  everynode plan -f examples/plan/daemonset.yaml --nodes examples/plan/nodes.yaml \\
      --pods examples/plan/pods.yaml --revisions examples/plan/revisions.yaml

  # From a live cluster, for scripts
  kubectl get nodes -o yaml > nodes.yaml
  kubectl get ds node-exporter -n monitoring -o yaml | everynode plan -f - --nodes nodes.yaml -o json

  # The whole rollout of a template change, step by step
  everynode plan --rollout -f examples/plan/daemonset-v1.8.2.yaml --nodes examples/plan/nodes.yaml \\
      --pods examples/plan/pods.yaml --revisions examples/plan/revisions.yaml`;

/** Registers `everynode plan` on the program. */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .summary('show what the controller would do for a DaemonSet, node by node, and why')
    .description(
      'Run one reconcile of a DaemonSet against nodes, pods and revisions read from files ' +
        '(as `kubectl get -o yaml|json` prints them; "-" reads standard input) and print each ' +
        "node's decision with its reason, the pods to create and delete, the revision history, " +
        'the status that would be written and the events. Nothing is written anywhere.',
    )
    .requiredOption(
      '-f, --filename <file>',
      'the DaemonSet (apps/v1 or apps.everynode.dev/v1alpha1)',
    )
    .requiredOption('--nodes <file>', 'the nodes (kubectl get nodes -o yaml)')
    .option('--pods <file>', "the pods in the DaemonSet's namespace (kubectl get pods -o yaml)")
    .option(
      '--revisions <file>',
      'its ControllerRevisions (kubectl get controllerrevisions -o yaml)',
    )
    .option('--now <time>', 'the time to plan at, RFC 3339 (default: the current time)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .option(
      '--rollout',
      'print the whole rollout from this state, step by step, assuming each new pod becomes available after minReadySeconds',
    )
    .option(
      '--report <file>',
      'with --rollout: also write the rollout as an HTML node grid, step by step',
    )
    .addHelpText('after', EXAMPLES)
    // A subcommand does not inherit exitOverride set on the program after it was created: without
    // this, commander exits 1 on its own for a missing or bad option instead of runMain's 2.
    .exitOverride()
    .action(async (opts: PlanOptions) => {
      await runPlan(opts, { stdout: process.stdout, stdin: process.stdin });
    });
}

/** Runs `everynode plan` and writes its output; throws UsageError on bad input. */
export async function runPlan(opts: PlanOptions, io: PlanIO): Promise<void> {
  const now = parseNow(opts.now, io.clock ?? Date.now);
  if (opts.report !== undefined && opts.rollout !== true)
    throw new UsageError('--report: needs --rollout (the report shows the rollout step by step)');
  const input = await loadPlanInput(opts, now, io.stdin);
  if (opts.rollout) {
    const view = rolloutView(input);
    io.stdout.write(
      opts.output === 'table' ? renderRollout(view, io.stdout) : format(view, opts.output),
    );
    if (opts.report !== undefined) {
      const bytes = await writePlanReport(opts.report, input, view);
      process.stderr.write(`report: ${opts.report} (${Math.ceil(bytes / 1024)} KB)\n`);
    }
    return;
  }
  const plan = reconcile(input.snapshot, { mode: 'harness' });
  const view = planView(input, plan);
  io.stdout.write(
    opts.output === 'table' ? renderPlanTable(view, io.stdout) : format(view, opts.output),
  );
}

function format(view: unknown, output: PlanFormat): string {
  return output === 'yaml' ? toYAMLText(view) : toJSONText(view);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses --now (RFC 3339), or reads the clock when it is absent. */
export function parseNow(value: string | undefined, clock: () => number): number {
  if (value === undefined) return clock();
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`--now: "${value}" is not an RFC 3339 time such as 2026-11-28T21:00:00Z`);
  }
  return ms;
}

/**
 * Loads and checks every file, defaults and validates the DaemonSet as the API server would, and
 * builds the engine's snapshot. Throws UsageError naming the file, line or field at fault.
 */
export async function loadPlanInput(
  opts: Pick<PlanOptions, 'filename' | 'nodes' | 'pods' | 'revisions'>,
  now: number,
  stdin?: LoadOptions['stdin'],
): Promise<PlanInput> {
  const files = [opts.filename, opts.nodes, opts.pods, opts.revisions].filter((f) => f === '-');
  if (files.length > 1) throw new UsageError('only one of the files can be "-" (standard input)');
  const load = async <T>(path: string | undefined, kind: string): Promise<T[]> => {
    if (path === undefined) return [];
    const loaded = await loadObjects(path, { stdin });
    const objs = expectKind<T>(loaded, [kind], displayName(path));
    checkShapes(loaded);
    return objs;
  };

  const dsList = await load<DaemonSet>(opts.filename, 'DaemonSet');
  const file = displayName(opts.filename);
  if (dsList.length !== 1) {
    throw new UsageError(
      dsList.length === 0
        ? `${file}: no DaemonSet in the file`
        : `${file}: ${dsList.length} DaemonSets in the file; plan takes one (${dsList.map((d) => d.metadata?.name ?? '').join(', ')})`,
    );
  }
  const nodes = await load<Node>(opts.nodes, 'Node');
  const pods = await load<Pod>(opts.pods, 'Pod');
  const revisions = await load<ControllerRevision>(opts.revisions, 'ControllerRevision');

  const notes: string[] = [];
  const ds = prepareDaemonSet(dsList[0]!, [...pods, ...revisions], file, notes);
  const ns = ds.metadata?.namespace ?? 'default';
  const inNamespace = <T extends Pod | ControllerRevision>(objs: T[], what: string): T[] => {
    const kept = objs.map((o) => withNamespace(o, ns)).filter((o) => o.metadata?.namespace === ns);
    if (kept.length < objs.length) {
      notes.push(`${objs.length - kept.length} ${what} outside namespace ${ns} ignored`);
    }
    return kept;
  };
  const snapshot: Snapshot = {
    ds,
    nodes: dedupeNodes(nodes, displayName(opts.nodes)),
    pods: inNamespace(pods, 'pods'),
    revisions: inNamespace(revisions, 'revisions'),
    now,
    backoff: new Map(),
  };
  return { snapshot, notes };
}

/**
 * What the API server does on create, for a DaemonSet read from a file: namespace, generation,
 * template generation, uid, defaults; then apps/v1 validation.
 */
function prepareDaemonSet(
  raw: DaemonSet,
  owned: readonly (Pod | ControllerRevision)[],
  file: string,
  notes: string[],
): DaemonSet {
  const ds = structuredClone(raw) as Mutable<DaemonSet>;
  const meta = (ds.metadata ??= {});
  if (!meta.namespace) meta.namespace = 'default';
  meta.generation ??= 1;
  const annotations = (meta.annotations ??= {});
  const tg = annotations[TEMPLATE_GENERATION_ANNOTATION];
  if (tg === undefined) annotations[TEMPLATE_GENERATION_ANNOTATION] = '1';
  else if (!/^-?\d+$/.test(tg)) {
    throw new UsageError(
      `${file}: The DaemonSet "${meta.name ?? ''}" is invalid: metadata.annotations[${TEMPLATE_GENERATION_ANNOTATION}]: Invalid value: "${tg}": must be an integer`,
    );
  }
  if (!meta.uid) {
    const fromOwner = ownerUidFor(meta.name ?? '', meta.namespace, owned);
    meta.uid = fromOwner ?? fakeUid(meta.namespace, meta.name ?? '');
    notes.push(
      fromOwner
        ? `DaemonSet has no metadata.uid; using ${meta.uid}, the uid its pods' and revisions' controller references name`
        : `DaemonSet has no metadata.uid; using the made-up uid ${meta.uid}, so pods owned by another uid are not claimed`,
    );
  }
  const defaulted = defaultDaemonSet(ds);
  const errors = validateDaemonSet(defaulted);
  if (errors.length > 0) {
    const head = `${file}: The DaemonSet "${meta.name ?? ''}" is invalid:`;
    const lines = errors.map((e) => e.toString());
    throw new UsageError(
      lines.length === 1
        ? `${head} ${lines[0]!}`
        : `${head}\n${lines.map((l) => `* ${l}`).join('\n')}`,
    );
  }
  return defaulted;
}

function ownerUidFor(
  name: string,
  namespace: string,
  owned: readonly (Pod | ControllerRevision)[],
): string | undefined {
  for (const o of owned) {
    if ((o.metadata?.namespace ?? namespace) !== namespace) continue;
    const ref = o.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (ref?.kind === 'DaemonSet' && ref.name === name && ref.uid) return ref.uid;
  }
  return undefined;
}

/** A stable, recognisable uid for a DaemonSet read without one (same name, same uid). */
function fakeUid(namespace: string, name: string): string {
  const h = createHash('sha1').update(`everynode-plan/${namespace}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function withNamespace<T extends Pod | ControllerRevision>(obj: T, ns: string): T {
  if (obj.metadata?.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace: ns } };
}

function dedupeNodes(nodes: readonly Node[], file: string): Node[] {
  const seen = new Set<string>();
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    if (seen.has(name)) throw new UsageError(`${file}: node "${name}" appears twice`);
    seen.add(name);
  }
  return [...nodes];
}
