/**
 * Where `everynode run` runs: the cluster a kubeconfig names (checked once with a bounded request
 * before anything starts), or the embedded one. Either way the result has a close() that ends
 * everything the target holds, in-flight requests included.
 */
import type { MetricQueryFn } from '../controller/metricrunner.js';
import { simulatedPrometheus } from '../sim/prometheus.js';
import {
  UnavailableError,
  type KubeObject,
  type ResourceKind,
  type Cluster,
} from '../cluster/port.js';
import { KubeCluster } from '../cluster/kube/index.js';
import { RealClock, type Clock } from '../clock/clock.js';
import type { Logger } from '../controller/logger.js';
import type { ControllerMetrics } from '../server/metrics.js';
import { UsageError } from './errors.js';
import { positiveInt, positiveNumber } from './flags.js';
import { contextNamespace, describeApiError, loadKubeConfig, serverOf } from './kubeconfig.js';
import { loadObjects } from './load.js';
import { DEFAULT_KUBELET, EmbeddedCluster, nodeSpecs } from './run-embedded.js';
import { FENCED } from './run-process.js';
import { readScenario } from './sim.js';

/** The largest --embedded-nodes (B1 runs 10k; a billion ran V8 out of memory). */
export const MAX_EMBEDDED_NODES = 100_000;

/** --embedded-nodes, checked (UsageError, exit 2), or undefined when not given. */
function embeddedNodeCount(flags: TargetFlags): number | undefined {
  if (flags.embeddedNodes === undefined) return undefined;
  const count = positiveInt('--embedded-nodes', flags.embeddedNodes, 0);
  // Each node is a few KB in every cache; far past the benchmarks' 10k, memory runs out.
  if (count > MAX_EMBEDDED_NODES)
    throw new UsageError(`--embedded-nodes: at most ${MAX_EMBEDDED_NODES}, got ${count}`);
  return count;
}

/** Checks the target's flags without acting on them, so bad ones fail before anything starts. */
export function checkTargetFlags(flags: TargetFlags): void {
  positiveNumber('--qps', flags.qps);
  positiveInt('--burst', flags.burst);
  positiveNumber('--embedded-speed', flags.embeddedSpeed);
  embeddedNodeCount(flags);
  adaptiveOf(flags);
}

/**
 * --adaptive-qps and --max-qps as the transport's `adaptive` option (undefined: a fixed rate);
 * --max-qps without --adaptive-qps, or below --qps, is a UsageError.
 */
function adaptiveOf(flags: TargetFlags): { maxQps?: number } | undefined {
  if (flags.maxQps !== undefined) {
    if (flags.adaptiveQps !== true) throw new UsageError('--max-qps: needs --adaptive-qps');
    const max = positiveNumber('--max-qps', flags.maxQps);
    if (max < positiveNumber('--qps', flags.qps))
      throw new UsageError(`--max-qps: at least --qps (${flags.qps}), got ${flags.maxQps}`);
    return { maxQps: max };
  }
  return flags.adaptiveQps === true ? {} : undefined;
}

/** A cluster the controller can run against. */
export interface Target {
  readonly cluster: Cluster;
  /** A separate client for leader election, when the target has one. */
  readonly leaseCluster?: Cluster;
  /**
   * Consulted as each write leaves the controller's client (not the Lease client); run.ts points
   * it at ControllerProcess.mayWrite. Default: always allowed.
   */
  mayWrite: () => boolean;
  readonly clock: Clock;
  readonly defaultNamespace: string;
  readonly embedded?: EmbeddedCluster;
  /** The embedded scenario's simulated Prometheus (its prometheus block), when it has one. */
  readonly metricQuery?: MetricQueryFn;
  readonly close: () => void;
}

/** What building a target reads from the flags. */
export interface TargetFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly qps: string;
  readonly burst: string;
  /** Opt-in adaptive pacing of the API client (cluster/kube/pacing.ts). */
  readonly adaptiveQps?: boolean | undefined;
  readonly maxQps?: string | undefined;
  readonly embeddedNodes?: string | undefined;
  readonly embeddedScenario?: string | undefined;
  readonly embeddedSpeed: string;
  readonly filename?: readonly string[] | undefined;
}

/** The embedded cluster with the flags' nodes, scenario and objects, started. */
export async function embeddedTarget(
  flags: TargetFlags,
  dsKind: ResourceKind,
  logger: Logger,
): Promise<Target> {
  const scenario =
    flags.embeddedScenario === undefined ? undefined : await readScenario(flags.embeddedScenario);
  const objects: { object: KubeObject; source?: string }[] = (scenario?.objects ?? []).map(
    (object) => ({ object, source: flags.embeddedScenario }),
  );
  for (const f of flags.filename ?? []) {
    for (const o of await loadObjects(f)) {
      objects.push({ object: o.object, source: `${o.source.file}:${o.source.line}` });
    }
  }
  const count = embeddedNodeCount(flags);
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
  try {
    await embedded.start();
  } catch (err) {
    embedded.stop();
    throw err;
  }
  logger.info({ nodes: nodes.length, objects: objects.length }, 'embedded cluster started');
  const start = embedded.clock.now();
  const prometheus = scenario?.prometheus;
  return {
    cluster: embedded.cluster,
    clock: embedded.clock,
    // A scenario's prometheus block answers the gate's queries as under `sim`; else a real server.
    ...(prometheus !== undefined && {
      metricQuery: simulatedPrometheus(prometheus, () => embedded.clock.now() - start),
    }),
    defaultNamespace: 'default',
    embedded,
    // The embedded client is in-process: the port-level fence in ControllerProcess covers it.
    mayWrite: () => true,
    close: () => {
      embedded.stop();
    },
  };
}

/**
 * Connects to the cluster the kubeconfig names and checks it once: an unreachable server, one
 * that does not answer within the request timeout, or a missing resource type is a clear error
 * (exit 1) before anything starts. After this first success the informers retry on their own.
 * Resolves undefined, with everything closed, when `stop` settles first.
 */
export async function kubeTarget(
  flags: TargetFlags,
  dsKind: ResourceKind,
  logger: Logger,
  requestTimeoutMs: number,
  stop: Promise<unknown>,
  metrics?: ControllerMetrics,
): Promise<Target | undefined> {
  const kc = loadKubeConfig(flags);
  const server = serverOf(kc);
  // Every HTTP request counted once, as client-go's rest_client_requests_total.
  const onResult =
    metrics &&
    ((code: string, method: string, host: string) => {
      metrics.requestResult(code, method, host);
    });
  const target = {
    mayWrite: () => true,
  };
  const cluster = new KubeCluster({
    kubeConfig: kc,
    qps: positiveNumber('--qps', flags.qps),
    burst: positiveInt('--burst', flags.burst),
    timeoutMs: requestTimeoutMs,
    ...(onResult && { onResult }),
    ...(adaptiveOf(flags) !== undefined && { adaptive: adaptiveOf(flags) }),
    // The leader fence, checked as each write leaves: a write that waited for a rate-limit token
    // or sat in a process frozen past its Lease is refused then.
    beforeSend: (method) => {
      if (method !== 'GET' && !target.mayWrite()) throw new UnavailableError(FENCED, 503);
    },
  });
  // Leader election's own client, as controller-runtime keeps one: its renewals never wait
  // behind the controller's requests and are never fenced.
  const leaseCluster = new KubeCluster({
    kubeConfig: kc,
    timeoutMs: requestTimeoutMs,
    ...(onResult && { onResult }),
  });
  const resource = dsKind === 'DaemonSet' ? 'daemonsets.apps' : 'daemonsets.apps.everynode.dev';
  logger.info(
    { server, context: kc.getCurrentContext(), resource },
    'connecting to the API server',
  );
  const STOPPED = Symbol('stopped');
  try {
    const first = await Promise.race([
      cluster.list(dsKind, flags.namespace ? { namespace: flags.namespace } : {}),
      stop.then(() => STOPPED),
    ]);
    if (first === STOPPED) {
      cluster.close();
      leaseCluster.close();
      return undefined;
    }
  } catch (err) {
    cluster.close();
    leaseCluster.close();
    const hint = /no answer within/.test(String(err)) ? ' (--request-timeout)' : '';
    throw new UsageError(`${describeApiError(err, server, resource)}${hint}`, 1);
  }
  logger.info({ server, context: kc.getCurrentContext(), resource }, 'connected to the API server');
  return Object.assign(target, {
    cluster,
    leaseCluster,
    clock: new RealClock(),
    defaultNamespace: contextNamespace(kc),
    close: () => {
      cluster.close();
      leaseCluster.close();
    },
  });
}
