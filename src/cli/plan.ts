/**
 * `everynode plan`: the engine from the command line. Reads a DaemonSet, its nodes, pods and
 * revisions from files as kubectl prints them, runs one reconcile in the harness model (the
 * controller's own writes are observed at once), and prints each node's decision, the actions,
 * the status and the events; with --rollout, the whole rollout step by step.
 */
import { Command, Option } from 'commander';
import { parseRFC3339 } from '../api/rfc3339.js';
import { reconcile } from '../engine/reconcile.js';
import { UsageError } from './errors.js';
import type { LoadOptions } from './load.js';
import { loadPlanInput } from './planfiles.js';
import { toJSONText, toYAMLText } from './output.js';
import { planView, renderPlanTable } from './plan-view.js';
import { renderRollout, rolloutView } from './plan-rollout.js';
import { writePlanReport } from './plan-report.js';
import { loadLiveInput } from './plan-live.js';
import type { PlanInput } from './planinput.js';
export { loadPlanInput } from './planfiles.js';

/** The output formats of `everynode plan`. */
export type PlanFormat = 'table' | 'json' | 'yaml';

/** The files and flags of one `everynode plan`. */
export interface PlanOptions {
  /** `ds/NAME` or `ends/NAME`: read the DaemonSet (unless -f), nodes, pods, revisions from the cluster. */
  readonly target?: string | undefined;
  readonly namespace?: string | undefined;
  readonly context?: string | undefined;
  readonly kubeconfig?: string | undefined;
  /** The DaemonSet file; with a target, the changed DaemonSet to plan over the live one. */
  readonly filename?: string | undefined;
  readonly nodes?: string | undefined;
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

  # From a live cluster (the kubeconfig's current context; read-only)
  everynode plan ds/node-exporter -n monitoring
  # What applying a changed manifest would do there, step by step
  everynode plan ds/node-exporter -n monitoring -f node-exporter.yaml --rollout

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
    .argument(
      '[daemonset]',
      'ds/NAME (apps/v1) or ends/NAME (the CRD): read it, the nodes, pods and revisions from the cluster',
    )
    .option(
      '-f, --filename <file>',
      'the DaemonSet (apps/v1 or apps.everynode.dev/v1alpha1); with ds/NAME, the change to plan',
    )
    .option('--nodes <file>', 'the nodes (kubectl get nodes -o yaml); not with ds/NAME')
    .option('-n, --namespace <ns>', "with ds/NAME: its namespace (default: the context's)")
    .option('--context <name>', 'with ds/NAME: the kubeconfig context')
    .option('--kubeconfig <path>', 'with ds/NAME: the kubeconfig file')
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
    .action(async (target: string | undefined, opts: PlanOptions) => {
      await runPlan({ ...opts, target }, { stdout: process.stdout, stdin: process.stdin });
    });
}

/** Runs `everynode plan` and writes its output; throws UsageError on bad input. */
export async function runPlan(opts: PlanOptions, io: PlanIO): Promise<void> {
  const now = parseNow(opts.now, io.clock ?? Date.now);
  if (opts.report !== undefined && opts.rollout !== true)
    throw new UsageError('--report: needs --rollout (the report shows the rollout step by step)');
  const input = await planInput(opts, now, io);
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

/** The input from the cluster (with a target) or from the files. */
async function planInput(opts: PlanOptions, now: number, io: PlanIO): Promise<PlanInput> {
  if (opts.target !== undefined) {
    if (opts.nodes ?? opts.pods ?? opts.revisions)
      throw new UsageError(
        `--nodes, --pods and --revisions read files; with ${opts.target} they come from the cluster`,
      );
    return loadLiveInput({ ...opts, target: opts.target }, now, io.stdin);
  }
  if (opts.namespace ?? opts.context ?? opts.kubeconfig)
    throw new UsageError('-n, --context and --kubeconfig need a DaemonSet to read: plan ds/NAME');
  // The files' form keeps commander's words for a missing option.
  if (opts.filename === undefined && opts.nodes !== undefined)
    throw new UsageError("required option '-f, --filename <file>' not specified");
  if (opts.filename !== undefined && opts.nodes === undefined)
    throw new UsageError("required option '--nodes <file>' not specified");
  if (opts.filename === undefined || opts.nodes === undefined)
    throw new UsageError(
      'plan: name a DaemonSet in the cluster (everynode plan ds/NAME -n NS), or give files (-f and --nodes)',
    );
  return loadPlanInput({ ...opts, filename: opts.filename, nodes: opts.nodes }, now, io.stdin);
}

function format(view: unknown, output: PlanFormat): string {
  return output === 'yaml' ? toYAMLText(view) : toJSONText(view);
}

/**
 * Parses --now (RFC 3339, every field in range: 2026-02-30 is refused, never read as March 2),
 * or reads the clock when it is absent.
 */
export function parseNow(value: string | undefined, clock: () => number): number {
  if (value === undefined) return clock();
  const ms = parseRFC3339(value);
  if (ms === undefined) {
    throw new UsageError(
      `--now: "${value}" is not an RFC 3339 time such as 2026-11-28T21:00:00Z (with a real date and time of day)`,
    );
  }
  return ms;
}
