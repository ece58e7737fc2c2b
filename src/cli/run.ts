/**
 * `everynode run`: the controller as a long-running process, against a real cluster (kubeconfig
 * found as kubectl finds it) or the embedded one (--embedded). Leader election on a Lease,
 * /metrics /healthz /readyz, JSON logs, and an orderly exit on SIGTERM: in-flight syncs finish
 * and the Lease is released.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { DaemonSet } from '../api/types.js';
import { KubeCluster } from '../cluster/kube/index.js';
import type { Cluster, KubeObject, ResourceKind } from '../cluster/port.js';
import { RealClock, type Clock } from '../clock/clock.js';
import type { Logger } from '../controller/logger.js';
import { buildApp, parseAddr, startServer } from '../server/http.js';
import { ControllerMetrics } from '../server/metrics.js';
import { UsageError } from './errors.js';
import { contextNamespace, describeApiError, loadKubeConfig, serverOf } from './kubeconfig.js';
import { loadObjects } from './load.js';
import { createLogger, type LogFormat } from './logging.js';
import { ControllerProcess, type ExitCode } from './run-process.js';
import { DEFAULT_KUBELET, EmbeddedCluster, nodeSpecs } from './run-embedded.js';
import { readScenario } from './sim.js';

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
  readonly metricsAddr: string;
  readonly logFormat?: LogFormat;
  readonly logLevel: string;
  readonly embedded?: boolean;
  readonly embeddedNodes?: string;
  readonly embeddedScenario?: string;
  readonly embeddedSpeed: string;
  readonly filename?: string[];
  readonly exitAfterConverged?: boolean;
  readonly runFor?: string;
  readonly nodeEventDelay?: string;
}

/** The port kind DaemonSets are read as under --resource. */
export function dsKindFor(resource: 'crd' | 'native'): ResourceKind {
  return resource === 'native' ? 'DaemonSet' : 'EverynodeDaemonSet';
}

function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${name}: expected an integer ≥ ${min}, got "${v}"`);
  return n;
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${name}: expected a number > 0, got "${v}"`);
  return n;
}

/** Parses durations such as 500ms, 15s, 2m, 1h (a bare number is seconds). */
export function parseDuration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${name}: expected a duration such as 30s or 5m, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
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

interface Target {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly defaultNamespace: string;
  readonly embedded?: EmbeddedCluster;
  readonly close: () => void;
}

async function embeddedTarget(
  flags: RunFlags,
  dsKind: ResourceKind,
  logger: Logger,
): Promise<Target> {
  const scenario =
    flags.embeddedScenario === undefined ? undefined : await readScenario(flags.embeddedScenario);
  const objects: KubeObject[] = [...(scenario?.objects ?? [])];
  for (const f of flags.filename ?? []) {
    for (const o of await loadObjects(f)) objects.push(o.object);
  }
  const count =
    flags.embeddedNodes === undefined
      ? undefined
      : positiveInt('--embedded-nodes', flags.embeddedNodes, 0);
  const nodes = count !== undefined ? nodeSpecs(count) : (scenario?.nodes ?? nodeSpecs(3));
  const embedded = new EmbeddedCluster({
    nodes,
    kubelet: scenario?.kubelet ?? DEFAULT_KUBELET,
    objects,
    dsKind,
    speed: positiveNumber('--embedded-speed', flags.embeddedSpeed),
    ...(scenario ? { seed: scenario.seed } : {}),
    logger,
  });
  await embedded.start();
  logger.info({ nodes: nodes.length, objects: objects.length }, 'embedded cluster started');
  return {
    cluster: embedded.cluster,
    clock: embedded.clock,
    defaultNamespace: 'default',
    embedded,
    close: () => {
      embedded.stop();
    },
  };
}

/**
 * Connects to the cluster the kubeconfig names and checks it once: an unreachable server or a
 * missing resource type is a clear error (exit 1) before anything starts. After this first
 * success the informers retry on their own.
 */
async function kubeTarget(flags: RunFlags, dsKind: ResourceKind, logger: Logger): Promise<Target> {
  const kc = loadKubeConfig(flags);
  const server = serverOf(kc);
  const cluster = new KubeCluster({
    kubeConfig: kc,
    qps: positiveNumber('--qps', flags.qps),
    burst: positiveInt('--burst', flags.burst),
  });
  const resource = dsKind === 'DaemonSet' ? 'daemonsets.apps' : 'daemonsets.apps.everynode.dev';
  try {
    await cluster.list(dsKind, flags.namespace ? { namespace: flags.namespace } : {});
  } catch (err) {
    cluster.close();
    throw new UsageError(describeApiError(err, server, resource), 1);
  }
  logger.info({ server, context: kc.getCurrentContext(), resource }, 'connected to the API server');
  return {
    cluster,
    clock: new RealClock(),
    defaultNamespace: contextNamespace(kc),
    close: () => {
      cluster.close();
    },
  };
}

/** Runs `everynode run` until a signal, a lost Lease, or --exit-after-converged / --run-for. */
export async function runCommand(flags: RunFlags): Promise<ExitCode> {
  const workers = positiveInt('--workers', flags.workers);
  const leaseDurationMs = parseDuration('--lease-duration', flags.leaseDuration);
  const runForMs =
    flags.runFor === undefined ? undefined : parseDuration('--run-for', flags.runFor);
  const nodeEventDelayMs =
    flags.nodeEventDelay === undefined
      ? undefined
      : parseDuration('--node-event-delay', flags.nodeEventDelay);
  if (flags.metricsAddr !== '0') parseAddr(flags.metricsAddr);
  const { logger, flush } = createLogger({ format: flags.logFormat, level: flags.logLevel });
  const dsKind = dsKindFor(flags.resource);
  const target = flags.embedded
    ? await embeddedTarget(flags, dsKind, logger)
    : await kubeTarget(flags, dsKind, logger);
  const metrics = new ControllerMetrics();
  const proc = new ControllerProcess({
    cluster: target.cluster,
    clock: target.clock,
    logger,
    dsKind,
    namespace: flags.namespace,
    workers,
    ...(nodeEventDelayMs !== undefined && { nodeEventDelayMs }),
    metrics,
    leaderElection: flags.leaderElect
      ? {
          namespace:
            flags.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? target.defaultNamespace,
          identity: leaderIdentity(),
          leaseDurationMs,
          renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
          retryPeriodMs: Math.max(1, Math.round(leaseDurationMs / 7.5)),
        }
      : undefined,
  });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  if (flags.metricsAddr !== '0') {
    server = await startServer(buildApp(metrics, proc), flags.metricsAddr);
    logger.info(
      { addr: flags.metricsAddr, port: server.port },
      'serving /metrics, /healthz and /readyz',
    );
  }
  const onSignal = (signal: string): void => {
    logger.info({ signal }, 'signal received');
    void proc.shutdown();
  };
  const sigterm = (): void => {
    onSignal('SIGTERM');
  };
  const sigint = (): void => {
    onSignal('SIGINT');
  };
  process.once('SIGTERM', sigterm);
  process.once('SIGINT', sigint);
  const timers: NodeJS.Timeout[] = [];
  if (runForMs !== undefined) timers.push(setTimeout(() => void proc.shutdown(), runForMs));
  if (flags.exitAfterConverged && target.embedded) {
    const embedded = target.embedded;
    const poll = setInterval(() => {
      void embedded.daemonSets().then((dss) => {
        if (allConverged(dss)) {
          clearInterval(poll);
          logger.info({ daemonSets: dss.length }, 'every DaemonSet converged');
          void proc.shutdown();
        }
      });
    }, 50);
    timers.push(poll);
  }
  await proc.start();
  const code = await proc.exited;
  for (const t of timers) clearInterval(t);
  process.off('SIGTERM', sigterm);
  process.off('SIGINT', sigint);
  if (server) {
    const s = server.server;
    await new Promise<void>((resolve) => {
      s.close(() => {
        resolve();
      });
    });
  }
  target.close();
  logger.info({ exitCode: code }, 'everynode exiting');
  flush();
  return code;
}

const EXAMPLES = `
Examples:
  # In the cluster (deploy/deployment.yaml): two replicas, one leads
  everynode run --resource=crd --leader-elect --metrics-addr=0.0.0.0:8080

  # From a laptop, against the current kubectl context, one namespace
  everynode run --context kind-dev -n monitoring

  # The same controller on the embedded cluster: 5 simulated nodes, one DaemonSet
  everynode run --embedded --embedded-nodes 5 -f examples/plan/daemonset.yaml --exit-after-converged

Exit codes: 0 after SIGTERM/SIGINT (or --run-for / --exit-after-converged), 1 when the API server
cannot be reached at start or the leader lease is lost, 2 on bad flags.`;

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
    .option('--leader-elect', 'run only while holding the Lease everynode-controller')
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the Lease (default: $POD_NAMESPACE, else the context namespace)',
    )
    .option('--lease-duration <d>', 'how long a Lease holds without renewal', '15s')
    .option('--metrics-addr <addr>', 'serve /metrics /healthz /readyz here; 0 disables', ':8080')
    .addOption(
      new Option(
        '--log-format <f>',
        'json, or text (default: text on a terminal, else json)',
      ).choices(['json', 'text']),
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
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
    .option('--run-for <d>', 'exit 0 after this long (e.g. 30s), as after SIGTERM')
    .option(
      '--node-event-delay <d>',
      'sync DaemonSets this long (e.g. 1s) after the first of a burst of node joins, leaves or ' +
        'label/taint changes, once per burst, instead of at once (default 0: at once, as upstream)',
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
      process.exitCode = await runCommand(flags);
    });
}
