/**
 * `everynode rollout status|history|undo|restart`: kubectl's rollout commands for DaemonSets, for
 * everynode's CRD (which kubectl's own rollout commands do not know) and for apps/v1, with
 * kubectl's wording and exit codes (0 done, 1 error). The core functions take a Cluster and a
 * Clock; the commander layer only builds them from the kubeconfig.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { DaemonSet } from '../api/types.js';
import {
  AlreadyExistsError,
  ClusterError,
  ConflictError,
  InvalidError,
  NotFoundError,
  TerminalError,
  UnavailableError,
  type Patch,
} from '../cluster/port.js';
import { KubeCluster } from '../cluster/kube/index.js';
import { RealClock, type Clock } from '../clock/clock.js';
import {
  applyRollbackPatch,
  formatHistoryTable,
  historyTable,
  rollbackTarget,
} from '../engine/rollback.js';
import { UsageError } from './errors.js';
import {
  contextNamespace,
  kubectlUnreachableText,
  loadKubeConfig,
  serverOf,
} from './kubeconfig.js';
import { toYAMLText } from './output.js';
import { rolloutStatusWatch } from './rollout-status.js';
import { statusOutput } from './rollout-tree.js';
import {
  controlledRevisions,
  displayName,
  getDs,
  kindOf,
  parseName,
  RolloutError,
  type RolloutTarget,
} from './rollout-target.js';
import { parseDuration } from './flags.js';
import { rolloutControl, type Control } from './rollout-control.js';

// The whole command's API in one module, as before the split into rollout-*.ts.
export { rolloutStatusWatch, type StatusOptions } from './rollout-status.js';
export {
  controlledRevisions,
  displayName,
  parseName,
  RolloutError,
  type RolloutTarget,
} from './rollout-target.js';

/** The template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/**
 * `<name> with revision #N<suffix>`, then `Pod Template:` and the DaemonSet's pod template as
 * YAML indented by two spaces: what `rollout history --revision N` and `undo --dry-run` print.
 */
function templateText(t: RolloutTarget, revision: number, ds: DaemonSet, suffix: string): string {
  const body = toYAMLText(ds.spec?.template ?? {})
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
  return `${displayName(t)} with revision #${revision}${suffix}\nPod Template:\n${body.replace(/\n*$/, '\n')}`;
}

/**
 * `rollout history`: the REVISION / CHANGE-CAUSE table, or with a revision, that revision's pod
 * template as the DaemonSet would have it.
 */
export async function rolloutHistory(t: RolloutTarget, revision = 0): Promise<string> {
  const ds = await getDs(t);
  const revisions = await controlledRevisions(t.cluster, ds);
  if (revision > 0) {
    const rev = revisions.find((r) => r.revision === revision);
    if (rev === undefined) throw new RolloutError('unable to find the specified revision');
    return templateText(t, revision, applyRollbackPatch(ds, rev.data), '');
  }
  if (revisions.length === 0) return `${displayName(t)}\nNo rollout history found.\n`;
  return `${displayName(t)}\n${formatHistoryTable(historyTable(revisions))}\n`;
}

/**
 * The patch that replaces spec.template with a revision's template. apps/v1 takes kubectl's own
 * strategic-merge patch (`$patch: replace`); a custom resource accepts no strategic merge, so the
 * CRD gets a JSON patch that replaces the template, guarded by the resourceVersion read.
 */
function undoPatch(t: RolloutTarget, ds: DaemonSet, data: unknown): Patch {
  if (t.resource === 'native') {
    return { type: 'strategic', body: data as Record<string, unknown> };
  }
  const template = applyRollbackPatch(ds, data).spec?.template ?? {};
  return {
    type: 'json',
    ops: [
      { op: 'test', path: '/metadata/resourceVersion', value: ds.metadata?.resourceVersion ?? '' },
      { op: 'replace', path: '/spec/template', value: template },
    ],
  };
}

/**
 * kubectl's --dry-run strategies: none sends the write; client sends none and prints what it
 * would do; server sends it with dryRun=All, so the API server validates and admits it (webhooks
 * included) and stores nothing.
 */
export type DryRun = 'none' | 'client' | 'server';

/** Options of `rollout undo` and `rollout restart`. */
export interface UndoOptions {
  /**
   * client (or true): read only, return the revision the undo would go back to and the pod
   * template it would apply (as `history --revision N` prints it); server: the patch is sent as
   * a dry run and kubectl's line says so.
   */
  readonly dryRun?: boolean | DryRun;
}

function strategy(d: boolean | DryRun | undefined): DryRun {
  return d === true ? 'client' : d === false || d === undefined ? 'none' : d;
}

/** kubectl's suffix of the line a dry run prints. */
const DRY_RUN_SUFFIX: Record<DryRun, string> = {
  none: '',
  client: ' (dry run)',
  server: ' (server dry run)',
};

/**
 * `rollout undo [--to-revision N] [--dry-run]` (§8.7, scenario 87): patches the template back to
 * revision N (0 = the previous one) and returns kubectl's line; kubectl's errors are
 * RolloutErrors, the same with dryRun, which writes nothing and returns the template instead.
 */
export async function rolloutUndo(
  t: RolloutTarget,
  toRevision = 0,
  opts: UndoOptions = {},
): Promise<string> {
  const ds = await getDs(t);
  const revisions = await controlledRevisions(t.cluster, ds);
  const target = rollbackTarget(revisions, toRevision, ds);
  if (target.kind === 'error') throw new RolloutError(target.message);
  const dryRun = strategy(opts.dryRun);
  if (target.kind === 'skipped') {
    return `${displayName(t)} ${target.message}${DRY_RUN_SUFFIX[dryRun]}\n`;
  }
  if (dryRun === 'client') {
    const applied = applyRollbackPatch(ds, target.patch);
    return templateText(t, target.revision.revision, applied, ' (dry run)');
  }
  const patch = undoPatch(t, ds, target.patch);
  await t.cluster.patch(
    kindOf(t),
    t.namespace,
    t.name,
    dryRun === 'server' ? { ...patch, dryRun: true } : patch,
  );
  return `${displayName(t)} rolled back${DRY_RUN_SUFFIX[dryRun]}\n`;
}

/** RFC 3339 in UTC, seconds precision, as kubectl writes restartedAt. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `rollout restart` (scenario 92): sets the template annotation restartedAt to now, which makes a
 * new revision; returns kubectl's line. A client dry run sends nothing; a server one sends the
 * patch with dryRun=All.
 */
export async function rolloutRestart(
  t: RolloutTarget,
  clock: Pick<Clock, 'now'>,
  opts: UndoOptions = {},
): Promise<string> {
  const dryRun = strategy(opts.dryRun);
  const body = {
    spec: {
      template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339(clock.now()) } } },
    },
  };
  // A merge patch of maps is the same as kubectl's strategic one, and custom resources accept it.
  const patch: Patch =
    t.resource === 'native' ? { type: 'strategic', body } : { type: 'merge', body };
  if (dryRun === 'client') {
    // kubectl reads the object first even in a client dry run: a missing DaemonSet still fails.
    await getDs(t);
  } else {
    await t.cluster.patch(
      kindOf(t),
      t.namespace,
      t.name,
      dryRun === 'server' ? { ...patch, dryRun: true } : patch,
    );
  }
  return `${displayName(t)} restarted${DRY_RUN_SUFFIX[dryRun]}\n`;
}

/** kubectl's `Error from server (Reason): message` for an error the API server returned. */
export function serverErrorText(err: ClusterError, server: string): string {
  if (err instanceof UnavailableError) return kubectlUnreachableText(err, server);
  let reason = 'InternalError';
  if (err instanceof NotFoundError) reason = 'NotFound';
  else if (err instanceof AlreadyExistsError) reason = 'AlreadyExists';
  else if (err instanceof ConflictError) reason = 'Conflict';
  else if (err instanceof InvalidError) reason = 'Invalid';
  else if (err instanceof TerminalError)
    reason = err.reason ?? (err.code === 403 ? 'Forbidden' : 'BadRequest');
  return `Error from server (${reason}): ${err.message}`;
}

interface CommonFlags {
  readonly namespace?: string;
  readonly resource: 'crd' | 'native';
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly requestTimeout: string;
}

/** Builds the target from flags and runs fn; server errors print as kubectl prints them (exit 1). */
async function withTarget(
  nameArg: string,
  flags: CommonFlags,
  fn: (t: RolloutTarget) => Promise<void>,
): Promise<void> {
  const name = parseName(nameArg);
  const timeoutMs = parseDuration('--request-timeout', flags.requestTimeout);
  const kc = loadKubeConfig(flags);
  const cluster = new KubeCluster({ kubeConfig: kc, timeoutMs });
  const t: RolloutTarget = {
    cluster,
    resource: flags.resource,
    namespace: flags.namespace ?? contextNamespace(kc),
    name,
  };
  try {
    await fn(t);
  } catch (err) {
    if (!(err instanceof ClusterError) || err instanceof RolloutError) throw err;
    process.stderr.write(`${serverErrorText(err, serverOf(kc))}\n`);
    process.exitCode = 1;
  } finally {
    cluster.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option(
      '-n, --namespace <ns>',
      'namespace (default: the kubeconfig context\'s, else "default")',
    )
    .addOption(
      new Option('--resource <kind>', 'crd: apps.everynode.dev/v1alpha1; native: apps/v1')
        .choices(['crd', 'native'])
        .default('crd'),
    )
    .option('--kubeconfig <path>', 'path to the kubeconfig file')
    .option('--context <name>', 'the kubeconfig context to use')
    .option(
      '--request-timeout <d>',
      'give up on an API request not answered within this long (e.g. 30s); 0 waits forever',
      '60s',
    )
    .exitOverride();
}

function intFlag(name: string, v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name}: expected an integer, got "${v}"`);
  return n;
}

/**
 * The name and dry-run strategy of `rollout undo` and `restart`: kubectl's --dry-run values none,
 * client (also a bare --dry-run) and server. A value that is none of these while the name is
 * missing is the name (`undo --dry-run foo`).
 */
export function dryRunArgs(
  nameArg: string | undefined,
  dryRunArg: string | undefined,
): { name: string; dryRun: DryRun } {
  let mode = dryRunArg;
  let name = nameArg;
  if (mode !== undefined && !['none', 'client', 'server'].includes(mode)) {
    if (name !== undefined) {
      throw new UsageError(`--dry-run: expected none, client or server, got "${mode}"`);
    }
    name = mode;
    mode = 'client';
  }
  if (name === undefined) throw new UsageError("missing required argument 'name'");
  return { name, dryRun: (mode ?? 'none') as DryRun };
}

/** The control subcommands: name, what they do (help), and the control they give. */
const CONTROLS: readonly (readonly [string, string, Control])[] = [
  [
    'pause',
    'pause the rollout: no pod moves to the update revision; new nodes get the stable one (undo: resume)',
    'pause',
  ],
  ['resume', 'resume a rollout paused by `rollout pause`', 'resume'],
  [
    'promote',
    'release the canary or wave awaiting promotion (Manual promotion) to the next step',
    'promote',
  ],
  [
    'abort',
    "replace the update revision's pods by stable ones at maxUnavailable's pace (undo: retry)",
    'abort',
  ],
  [
    'retry',
    'start the update revision again after an abort, a passed deadline or a failed gate',
    'retry',
  ],
  [
    'freeze',
    'suspend the DaemonSet: no pod is created or deleted at all (undo: unfreeze)',
    'freeze',
  ],
  ['unfreeze', 'lift a suspension set by `rollout freeze` (either mode)', 'unfreeze'],
];

/** Registers `everynode rollout` and its subcommands. */
export function registerRollout(program: Command): void {
  const rollout = program
    .command('rollout')
    .summary(
      'status, history, undo, restart, pause/resume, promote, abort/retry, freeze/unfreeze of a DaemonSet rollout',
    )
    .description(
      "kubectl's rollout commands for DaemonSets, for everynode's CRD (--resource crd, the " +
        "default) and apps/v1 (--resource native), and everynode's rollout controls (annotation " +
        'patches: RBAC needs only patch on daemonsets). Exit code 0 on success, 1 on an error.',
    )
    .exitOverride();
  common(rollout.command('status').argument('<name>', 'the DaemonSet (name or daemonset/name)'))
    .description('watch a rollout until it is done')
    .option(
      '-w, --watch [bool]',
      'keep watching until the rollout is done (--watch=false: print once)',
      'true',
    )
    .option('--timeout <d>', 'give up after this long (e.g. 5m); 0 waits forever', '0s')
    .action(
      async (nameArg: string, f: CommonFlags & { watch: string | boolean; timeout: string }) => {
        const timeoutMs = parseDuration('--timeout', f.timeout);
        const watch = f.watch !== 'false' && f.watch !== false;
        await withTarget(nameArg, f, async (t) => {
          // On a terminal the watch draws a tree (revision → nodes); else kubectl's lines.
          const out = statusOutput(t, watch, process.stdout);
          try {
            await rolloutStatusWatch(t, { watch, timeoutMs, clock: new RealClock(), ...out });
          } finally {
            await out.finish();
          }
        });
      },
    );
  common(rollout.command('history').argument('<name>', 'the DaemonSet'))
    .description("list the revisions, or show one revision's pod template")
    .option('--revision <n>', 'show the pod template of this revision')
    .action(async (nameArg: string, f: CommonFlags & { revision?: string }) => {
      const revision = intFlag('--revision', f.revision);
      await withTarget(nameArg, f, async (t) => {
        process.stdout.write(await rolloutHistory(t, revision));
      });
    });
  // [name] and the usage line: commander lets an optional option value take the next word, so
  // `undo --dry-run foo` arrives as dryRun "foo" and no name; dryRunArgs sorts that out.
  common(rollout.command('undo').argument('[name]', 'the DaemonSet').usage('<name> [options]'))
    .description('roll the pod template back to a previous revision')
    .option('--to-revision <n>', 'the revision to roll back to; 0 is the previous one', '0')
    .addOption(
      new Option(
        '--dry-run [strategy]',
        'client (or no value): print the revision and pod template it would apply, change ' +
          'nothing; server: send the patch as a dry run (validated, stored nowhere)',
      ).preset('client'),
    )
    .action(
      async (
        nameArg: string | undefined,
        f: CommonFlags & { toRevision: string; dryRun?: string },
      ) => {
        const to = intFlag('--to-revision', f.toRevision);
        const { name, dryRun } = dryRunArgs(nameArg, f.dryRun);
        await withTarget(name, f, async (t) => {
          process.stdout.write(await rolloutUndo(t, to, { dryRun }));
        });
      },
    );
  common(rollout.command('restart').argument('[name]', 'the DaemonSet').usage('<name> [options]'))
    .description(
      'replace every pod by stamping the template with kubectl.kubernetes.io/restartedAt',
    )
    .addOption(
      new Option(
        '--dry-run [strategy]',
        'client (or no value): change nothing; server: send the patch as a dry run',
      ).preset('client'),
    )
    .action(async (nameArg: string | undefined, f: CommonFlags & { dryRun?: string }) => {
      const { name, dryRun } = dryRunArgs(nameArg, f.dryRun);
      await withTarget(name, f, async (t) => {
        process.stdout.write(await rolloutRestart(t, new RealClock(), { dryRun }));
      });
    });
  for (const [sub, help, control] of CONTROLS) {
    const cmd = common(
      rollout.command(sub).argument('[name]', 'the DaemonSet').usage('<name> [options]'),
    )
      .description(help)
      .addOption(
        new Option(
          '--dry-run [strategy]',
          'client (or no value): print what it would do, change nothing; server: send the patch as a dry run',
        ).preset('client'),
      );
    if (sub === 'freeze') {
      cmd.option(
        '--scale-to-zero',
        'suspend with ScaleToZero instead: remove every pod, keep the object and its history',
      );
    }
    cmd.action(
      async (
        nameArg: string | undefined,
        f: CommonFlags & { dryRun?: string; scaleToZero?: boolean },
      ) => {
        const { name, dryRun } = dryRunArgs(nameArg, f.dryRun);
        const c: Control = f.scaleToZero === true ? 'scaleToZero' : control;
        await withTarget(name, f, async (t) => {
          process.stdout.write(await rolloutControl(t, c, { dryRun }));
        });
      },
    );
  }
}
