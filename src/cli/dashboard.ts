/**
 * `everynode dashboard`: a local web UI over a cluster (through the kubeconfig, as `rollout`
 * reads it) or over the embedded cluster with its controller (`--embedded`, as `run --embedded`
 * sets it up): every DaemonSet of both kinds with phase, conditions and counts, and per
 * DaemonSet the live node grid, the engine's reason for each node and the revision history.
 * Read-only against a real cluster. Bound to 127.0.0.1 unless --listen says otherwise.
 */
import type { ServerType } from '@hono/node-server';
import { serve } from '@hono/node-server';
import type { Command } from 'commander';
import { Option } from 'commander';
import { isIP } from 'node:net';
import { NotFoundError, TerminalError, type Cluster } from '../cluster/port.js';
import { DaemonSetController } from '../controller/controller.js';
import type { Logger } from '../controller/logger.js';
import { buildDashboardApp } from '../server/dashboard/app.js';
import { DashboardState } from '../server/dashboard/state.js';
import { UsageError } from './errors.js';
import { parseDuration } from './flags.js';
import { createLogger } from './logging.js';
import { dsKindFor } from './run.js';
import { embeddedTarget, kubeTarget, type Target } from './run-target.js';
import { takeSignals } from './signals.js';

/** The flags of `everynode dashboard`. */
export interface DashboardFlags {
  readonly listen: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly resource: 'crd' | 'native';
  readonly embedded?: boolean;
  readonly embeddedNodes?: string;
  readonly embeddedScenario?: string;
  readonly embeddedSpeed: string;
  readonly filename?: string[];
  readonly syncTimeout: string;
  readonly requestTimeout: string;
  readonly logLevel: string;
}

/** A running dashboard. */
export interface RunningDashboard {
  readonly url: string;
  readonly port: number;
  readonly state: DashboardState;
  /** The target's cluster (for tests that change it); nothing here writes to it. */
  readonly target: Target;
  /** Stops serving, the informers, the embedded controller and cluster; bounded in time. */
  close(): Promise<void>;
}

/** "host:port" (IPv6 as [addr]:port); a bad value is a UsageError naming --listen. */
export function parseListen(addr: string): { hostname: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  let host = i < 0 ? '' : addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (i < 0 || addr.slice(i + 1) === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      `--listen ${JSON.stringify(addr)}: expected host:port, e.g. 127.0.0.1:8090`,
    );
  if (host === '')
    throw new UsageError(
      `--listen ${JSON.stringify(addr)}: name the address (0.0.0.0 for every interface)`,
    );
  if (/^[\d.]+$/.test(host) && isIP(host) !== 4)
    throw new UsageError(`--listen ${JSON.stringify(addr)}: ${host} is not an IPv4 address`);
  return { hostname: host, port };
}

/** Resolves p, or rejects after ms with an Error saying what was awaited. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`${what}: no result within ${ms / 1000}s`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function crdInstalled(cluster: Cluster, namespace: string | undefined): Promise<boolean> {
  try {
    await cluster.list('EverynodeDaemonSet', namespace === undefined ? {} : { namespace });
    return true;
  } catch (err) {
    if (err instanceof NotFoundError || (err instanceof TerminalError && err.code === 404))
      return false;
    throw err;
  }
}

/** Starts the dashboard (and, with --embedded, the embedded cluster and its controller). */
export async function startDashboard(
  flags: DashboardFlags,
  logger: Logger,
): Promise<RunningDashboard> {
  const { hostname, port } = parseListen(flags.listen);
  const syncMs = parseDuration('--sync-timeout', flags.syncTimeout);
  const requestMs = parseDuration('--request-timeout', flags.requestTimeout);
  const dsKind = dsKindFor(flags.resource);
  const never = new Promise<never>(() => undefined);
  const targetFlags = { ...flags, qps: '20', burst: '30' };
  const target = flags.embedded
    ? await embeddedTarget(targetFlags, dsKind, logger)
    : await kubeTarget(targetFlags, 'DaemonSet', logger, requestMs, never);
  if (target === undefined) throw new Error('the API server check was cancelled');
  const closers: (() => Promise<void> | void)[] = [
    () => {
      target.close();
    },
  ];
  try {
    if (target.embedded !== undefined) {
      // The embedded cluster has no controller of its own: run the real one, as run --embedded does.
      const c = new DaemonSetController({
        cluster: target.cluster,
        clock: target.clock,
        logger,
        dsKind,
      });
      closers.unshift(() =>
        within(c.stop(), 10_000, 'stopping the controller').catch(() => undefined),
      );
      await within(c.start(), syncMs, 'starting the embedded controller');
    }
    const cluster = target.embedded?.memory.client('dashboard') ?? target.cluster;
    const crd = await within(
      crdInstalled(cluster, flags.namespace),
      requestMs,
      'listing everynode DaemonSets',
    );
    if (!crd)
      logger.warn({}, 'the everynode CRD is not installed: showing apps/v1 DaemonSets only');
    const state = new DashboardState({
      cluster,
      clock: target.clock,
      logger,
      crd,
      ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    });
    closers.unshift(() =>
      within(state.stop(), 5_000, 'stopping the informers').catch(() => undefined),
    );
    await state.start(syncMs);
    const source = flags.embedded ? 'embedded cluster' : `cluster ${describeTarget(flags)}`;
    const { app, closeStreams } = buildDashboardApp(state, { source });
    const server = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname, port }, (info) => {
        resolve({ server: s, port: info.port });
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new UsageError(
                `--listen ${flags.listen}: the address is in use (pick another port)`,
                1,
              )
            : err,
        );
      });
    });
    closers.unshift(async () => {
      closeStreams();
      const s = server.server;
      await within(
        new Promise<void>((resolve) => {
          s.close(() => {
            resolve();
          });
          if ('closeAllConnections' in s) s.closeAllConnections();
        }),
        5_000,
        'closing the HTTP server',
      ).catch(() => undefined);
    });
    const shownHost = hostname.includes(':') ? `[${hostname}]` : hostname;
    return {
      url: `http://${shownHost}:${server.port}/`,
      port: server.port,
      state,
      target,
      close: async () => {
        for (const close of closers.splice(0)) await close();
      },
    };
  } catch (err) {
    for (const close of closers.splice(0)) await close();
    throw err;
  }
}

function describeTarget(flags: DashboardFlags): string {
  const parts = [flags.context ? `context ${flags.context}` : 'current context'];
  if (flags.namespace) parts.push(`namespace ${flags.namespace}`);
  return parts.join(', ');
}

/** Runs the dashboard until SIGINT/SIGTERM; exit code 0 after a clean stop. */
export async function runDashboard(flags: DashboardFlags): Promise<void> {
  const { logger, flush } = createLogger({ level: flags.logLevel, format: 'text' });
  let stop!: (s: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const release = takeSignals((s) => {
    stop(s);
  });
  try {
    const d = await Promise.race([startDashboard(flags, logger), stopped.then(() => undefined)]);
    if (d === undefined) return;
    process.stdout.write(
      `everynode dashboard: ${d.url}  (${flags.embedded ? 'embedded cluster' : 'read-only'}; Ctrl-C to stop)\n`,
    );
    const signal = await stopped;
    process.stdout.write(`${signal}: stopping the dashboard\n`);
    await d.close();
  } finally {
    release();
    flush();
  }
}

/** Registers `everynode dashboard`. */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .summary('a local web UI: every DaemonSet, its live node grid, why each node has (no) pod')
    .description(
      "Serve a web page with every DaemonSet (apps/v1 and everynode's CRD) with its phase, " +
        'conditions and counts; per DaemonSet the node grid live, the reason for each node (the ' +
        "engine's decision on the watched state, computed read-only) and the revision history. " +
        'Reads the cluster through the kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config), or ' +
        'runs the embedded cluster with its controller (--embedded).',
    )
    .option('--listen <host:port>', 'where to serve (never the metrics port)', '127.0.0.1:8090')
    .option('--kubeconfig <path>', 'path to the kubeconfig file')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <ns>', 'only DaemonSets, pods and revisions of this namespace')
    .addOption(
      new Option('--resource <kind>', 'with --embedded: the kind manifests are stored as')
        .choices(['crd', 'native'])
        .default('crd'),
    )
    .option('--embedded', 'the embedded cluster (simulated nodes and kubelets) with the controller')
    .option('--embedded-nodes <n>', 'with --embedded: this many ready nodes (default 3)')
    .option(
      '--embedded-scenario <file>',
      'with --embedded: nodes, kubelets and objects of a scenario',
    )
    .option('--embedded-speed <x>', 'with --embedded: virtual seconds per wall second', '1')
    .option('-f, --filename <file...>', 'with --embedded: DaemonSets (and nodes) to create first')
    .option('--sync-timeout <d>', 'give up when the first lists take longer', '30s')
    .option('--request-timeout <d>', 'timeout of each request to the API server', '30s')
    .option('--log-level <level>', 'debug, info, warn or error', 'warn')
    .addHelpText(
      'after',
      '\nExamples:\n  everynode dashboard                       # the current kubectl context, on http://127.0.0.1:8090/\n  everynode dashboard --embedded --embedded-nodes 12 -f examples/plan/daemonset.yaml\n\nExit codes: 0 after SIGINT/SIGTERM, 1 when the cluster cannot be read or the port is taken, 2 for bad flags.',
    )
    .exitOverride()
    .action(async (flags: DashboardFlags) => {
      if (
        !flags.embedded &&
        (flags.embeddedNodes ?? flags.embeddedScenario ?? flags.filename) !== undefined
      )
        throw new UsageError('--embedded-nodes, --embedded-scenario and -f need --embedded');
      await runDashboard(flags);
    });
}
