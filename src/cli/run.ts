/**
 * `everynode run`: the controller as a long-running process, against a real cluster (kubeconfig
 * found as kubectl finds it) or the embedded one (--embedded). Leader election on a Lease,
 * /metrics /healthz /readyz, JSON logs, and an orderly exit on SIGTERM in every state: in-flight
 * syncs finish and the Lease is released; a second signal or --shutdown-timeout forces it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { DaemonSet } from '../api/types.js';
import type { ResourceKind } from '../cluster/port.js';
import { DEFAULT_STATUS_INTERVAL_MS } from '../controller/statuspacing.js';
import { buildApp, parseAddr, startServer, type HealthSource } from '../server/http.js';
import { ControllerMetrics } from '../server/metrics.js';
import { UsageError } from './errors.js';
import { parseDuration, positiveInt } from './flags.js';
import { createLogger, LOG_LEVELS, type LogFormat } from './logging.js';
import { ControllerProcess } from './run-process.js';
import { Stopper } from './run-stop.js';
import { checkTargetFlags, embeddedTarget, kubeTarget, type Target } from './run-target.js';
import { takeSignals } from './signals.js';

export { parseDuration } from './flags.js';

/** The flags of `everynode run`, as commander parses them. */
export interface RunFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly resource: 'crd' | 'native';
  readonly workers: string;
  readonly qps: string;
  readonly burst: string;
  readonly leaderElect?: boolean;
  readonly leaderElectionNamespace?: string;
  readonly leaseDuration: string;
  /** Unset: 127.0.0.1:8080, or 127.0.0.1:0 (any free port) with --embedded. */
  readonly metricsAddr?: string;
  readonly logFormat?: LogFormat;
  readonly logLevel: string;
  readonly requestTimeout?: string;
  readonly shutdownTimeout?: string;
  readonly embedded?: boolean;
  readonly embeddedNodes?: string;
  readonly embeddedScenario?: string;
  readonly embeddedSpeed: string;
  readonly filename?: string[];
  readonly exitAfterConverged?: boolean;
  readonly runFor?: string;
  readonly nodeEventDelay?: string;
  readonly statusInterval?: string;
  readonly adaptiveQps?: boolean;
  readonly maxQps?: string;
}

/** How `everynode run` ended: see EXIT_CODES. */
export type RunExitCode = number;

/** The port kind DaemonSets are read as under --resource. */
export function dsKindFor(resource: 'crd' | 'native'): ResourceKind {
  return resource === 'native' ? 'DaemonSet' : 'EverynodeDaemonSet';
}

/**
 * True when every DaemonSet has been observed at its generation and runs an updated, available
 * pod on every desired node (kubectl's rollout-status rule plus e2e's current == ready), and
 * there is at least one DaemonSet.
 */
export function allConverged(dss: readonly DaemonSet[]): boolean {
  return (
    dss.length > 0 &&
    dss.every((ds) => {
      const s = ds.status;
      const desired = s?.desiredNumberScheduled ?? 0;
      return (
        (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) &&
        (s?.currentNumberScheduled ?? 0) === desired &&
        (s?.numberReady ?? 0) === desired &&
        (s?.updatedNumberScheduled ?? 0) === desired &&
        (s?.numberAvailable ?? 0) === desired
      );
    })
  );
}

/** The identity on the Lease: POD_NAME (or the host name) plus a random suffix, as client-go. */
export function leaderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.POD_NAME ?? hostname()}_${randomUUID()}`;
}

const DAY_MS = 86_400_000;

/** Every flag checked and converted before anything starts (bad values: UsageError, exit 2). */
function parseFlags(flags: RunFlags) {
  checkTargetFlags(flags);
  const metricsAddr = flags.metricsAddr ?? (flags.embedded ? '127.0.0.1:0' : '127.0.0.1:8080');
  if (metricsAddr !== '0') {
    try {
      parseAddr(metricsAddr);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (!LOG_LEVELS.includes(flags.logLevel as (typeof LOG_LEVELS)[number])) {
    throw new UsageError(
      `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${flags.logLevel}"`,
    );
  }
  // Timers past Node's 24.8-day limit fire at once; only --run-for needs to be that long.
  const leaseDurationMs = parseDuration('--lease-duration', flags.leaseDuration, {
    min: 1000,
    max: DAY_MS,
  });
  return {
    workers: positiveInt('--workers', flags.workers),
    leaseDurationMs,
    metricsAddr,
    requestTimeoutMs: parseDuration('--request-timeout', flags.requestTimeout ?? '60s', {
      max: DAY_MS,
    }),
    shutdownTimeoutMs: parseDuration('--shutdown-timeout', flags.shutdownTimeout ?? '25s', {
      min: 1,
      max: DAY_MS,
    }),
    runForMs: flags.runFor === undefined ? undefined : parseDuration('--run-for', flags.runFor),
    nodeEventDelayMs:
      flags.nodeEventDelay === undefined
        ? undefined
        : parseDuration('--node-event-delay', flags.nodeEventDelay, { max: DAY_MS }),
    statusIntervalMs: parseDuration(
      '--status-interval',
      flags.statusInterval ?? `${DEFAULT_STATUS_INTERVAL_MS}ms`,
      { max: DAY_MS },
    ),
  };
}

/** Serves the probes and metrics; a listener that cannot bind is an error (exit 1). */
async function listen(
  addr: string,
  metrics: ControllerMetrics,
  health: HealthSource,
): Promise<Awaited<ReturnType<typeof startServer>>> {
  try {
    return await startServer(buildApp(metrics, health), addr);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError(`cannot listen on ${addr} (--metrics-addr): ${msg}`, 1);
  }
}

/**
 * Runs `everynode run` until a signal, a lost Lease, or --exit-after-converged / --run-for;
 * resolves with the exit code. Signals are taken over at once, so every state below (binding,
 * connecting, syncing caches, leading, standing by) ends on SIGTERM.
 */
export async function runCommand(flags: RunFlags): Promise<RunExitCode> {
  const f = parseFlags(flags);
  const { logger, flush } = createLogger({ format: flags.logFormat, level: flags.logLevel });
  const stopper = new Stopper({ logger, flush, shutdownTimeoutMs: f.shutdownTimeoutMs });
  const releaseSignals = takeSignals((s) => {
    stopper.signal(s);
  });
  if (f.runForMs !== undefined) stopper.after(f.runForMs, '--run-for');
  const dsKind = dsKindFor(flags.resource);
  const metrics = new ControllerMetrics();
  let proc: ControllerProcess | undefined;
  let target: Target | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    if (f.metricsAddr !== '0') {
      // Before the controller exists the process is alive and not ready.
      server = await listen(f.metricsAddr, metrics, {
        healthy: () => proc?.healthy() ?? !stopper.stopping,
        ready: () => proc?.ready() ?? false,
      });
      logger.info(
        { addr: f.metricsAddr, port: server.port },
        'serving /metrics, /healthz and /readyz',
      );
    }
    if (stopper.stopping) return 0;
    target = flags.embedded
      ? await embeddedTarget(flags, dsKind, logger)
      : await kubeTarget(flags, dsKind, logger, f.requestTimeoutMs, stopper.requested, metrics);
    if (target === undefined || stopper.stopping) return 0;
    const t = target;
    proc = new ControllerProcess({
      cluster: t.cluster,
      leaseCluster: t.leaseCluster,
      clock: t.clock,
      logger,
      dsKind,
      ...(t.metricQuery !== undefined && { metricQuery: t.metricQuery }),
      namespace: flags.namespace,
      workers: f.workers,
      ...(f.nodeEventDelayMs !== undefined && { nodeEventDelayMs: f.nodeEventDelayMs }),
      statusIntervalMs: f.statusIntervalMs,
      metrics,
      // The kube transport counts each HTTP request; the embedded cluster is counted at the port.
      countRequestsAtPort: t.embedded !== undefined,
      leaderElection: flags.leaderElect
        ? {
            namespace:
              flags.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? t.defaultNamespace,
            identity: leaderIdentity(),
            leaseDurationMs: f.leaseDurationMs,
            renewDeadlineMs: Math.round((f.leaseDurationMs * 2) / 3),
            retryPeriodMs: Math.max(1, Math.round(f.leaseDurationMs / 7.5)),
          }
        : undefined,
    });
    const p = proc;
    t.mayWrite = () => p.mayWrite();
    void stopper.requested.then(() => p.shutdown());
    const embedded = t.embedded;
    if (flags.exitAfterConverged && embedded !== undefined) {
      poll = setInterval(() => {
        void embedded.daemonSets().then((dss) => {
          if (allConverged(dss) && !stopper.stopping) {
            logger.info({ daemonSets: dss.length }, 'every DaemonSet converged');
            stopper.request('converged');
          }
        });
      }, 50);
    }
    await p.start();
    const code = await p.exited;
    logger.info({ exitCode: code }, 'everynode exiting');
    return code;
  } finally {
    if (poll !== undefined) clearInterval(poll);
    stopper.dispose();
    releaseSignals();
    if (server !== undefined) {
      const s = server.server;
      await new Promise<void>((resolve) => {
        s.close(() => {
          resolve();
        });
        // Scrapers' keep-alive connections must not hold the exit.
        if ('closeAllConnections' in s) s.closeAllConnections();
      });
    }
    target?.close();
    flush();
  }
}

const EXAMPLES = `
Examples:
  # In the cluster (deploy/deployment.yaml): two replicas, one leads
  everynode run --resource=crd --leader-elect --metrics-addr=0.0.0.0:8080

  # From a laptop, against the current kubectl context, one namespace
  everynode run --context kind-dev -n monitoring

  # The same controller on the embedded cluster: 5 simulated nodes, one DaemonSet
  everynode run --embedded --embedded-nodes 5 -f examples/plan/daemonset.yaml --exit-after-converged

/metrics, /healthz and /readyz listen on 127.0.0.1:8080 by default (127.0.0.1 on any free port
with --embedded; the port is logged); --metrics-addr=0.0.0.0:8080 exposes them, 0 turns them off.

Exit codes:
  0        stopped by SIGTERM/SIGINT, --run-for or --exit-after-converged
  1        could not start (kubeconfig, API server unreachable or silent past --request-timeout,
           the metrics address cannot be bound), the leader Lease was lost, or the shutdown did
           not finish within --shutdown-timeout
  2        bad flags or input files
  130/143  a second SIGINT/SIGTERM during the shutdown ended it at once`;

/** Registers `everynode run` on the program. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .summary('run the controller against a cluster (or the embedded one)')
    .description(
      'Run the DaemonSet controller until stopped. The cluster is found as kubectl finds it ' +
        '(--kubeconfig, $KUBECONFIG, ~/.kube/config, the in-cluster service account); --embedded ' +
        'runs it on the embedded cluster with simulated nodes and kubelets instead.',
    )
    .option('--kubeconfig <path>', 'path to the kubeconfig file')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .addOption(
      new Option(
        '--resource <kind>',
        'crd: apps.everynode.dev/v1alpha1 DaemonSets; native: apps/v1 DaemonSets',
      )
        .choices(['crd', 'native'])
        .default('crd'),
    )
    .option('--workers <n>', 'DaemonSets synced concurrently', '2')
    .option('--qps <q>', 'API requests per second (client-side limit)', '20')
    .option('--burst <b>', 'API request burst', '30')
    .option(
      '--adaptive-qps',
      'raise the request rate above --qps while the API server answers writes quickly and ' +
        'without 429; back off at once on 429, Retry-After or rising latency (never below --qps)',
    )
    .option('--max-qps <q>', 'with --adaptive-qps: the highest request rate (default 50 x --qps)')
    .option('--leader-elect', 'run only while holding the Lease everynode-controller')
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the Lease (default: $POD_NAMESPACE, else the context namespace)',
    )
    .option('--lease-duration <d>', 'how long a Lease holds without renewal', '15s')
    .option(
      '--metrics-addr <addr>',
      'serve /metrics /healthz /readyz on host:port (:port is every interface); 0 disables ' +
        '(default: 127.0.0.1:8080; with --embedded 127.0.0.1:0, any free port)',
    )
    .option(
      '--request-timeout <d>',
      'give up on an API request not answered within this long (a watch: not accepted); ' +
        '0 waits forever',
      '60s',
    )
    .option(
      '--shutdown-timeout <d>',
      'after SIGTERM, exit 1 if the orderly stop takes longer than this ' +
        "(keep it below the pod's terminationGracePeriodSeconds)",
      '25s',
    )
    .addOption(
      new Option(
        '--log-format <f>',
        'json, or text (default: text on a terminal, else json)',
      ).choices(['json', 'text']),
    )
    .addOption(
      new Option('--log-level <level>', 'the lowest level logged')
        .choices([...LOG_LEVELS])
        .default('info'),
    )
    .option('--embedded', 'run on the embedded cluster (simulated nodes and kubelets) instead')
    .option(
      '--embedded-nodes <n>',
      "with --embedded: this many ready nodes (default 3, or the scenario's)",
    )
    .option(
      '--embedded-scenario <file>',
      'with --embedded: nodes, kubelet behaviour and objects from a scenario file',
    )
    .option('--embedded-speed <x>', 'with --embedded: virtual seconds per wall second', '1')
    .option(
      '-f, --filename <file...>',
      'with --embedded: objects (DaemonSets, nodes) to create first',
    )
    .option('--exit-after-converged', 'with --embedded: exit 0 once every DaemonSet has rolled out')
    .option('--run-for <d>', 'exit 0 after this long (e.g. 30s or 1h30m), as after SIGTERM')
    .option(
      '--node-event-delay <d>',
      'sync DaemonSets this long (e.g. 1s) after the first of a burst of node joins, leaves or ' +
        'label/taint changes, once per burst, instead of at once (default 0: at once, as upstream)',
    )
    .option(
      '--status-interval <d>',
      "write a DaemonSet's status at most once per this interval while it changes (the settled " +
        'status, a new observedGeneration and condition changes at once); 0: after every sync ' +
        'that changes it, as upstream',
      `${DEFAULT_STATUS_INTERVAL_MS}ms`,
    )
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .action(async (flags: RunFlags) => {
      if (
        !flags.embedded &&
        (flags.embeddedNodes ??
          flags.embeddedScenario ??
          flags.filename ??
          flags.exitAfterConverged) !== undefined
      ) {
        throw new UsageError(
          '--embedded-nodes, --embedded-scenario, -f and --exit-after-converged need --embedded',
        );
      }
      const code = await runCommand(flags);
      process.exitCode = code;
      // Everything the run opened is closed by now; should a library still hold a handle, the
      // stopped controller must not linger as a pod that looks alive.
      setTimeout(() => process.exit(code), 2000).unref();
    });
}
