/**
 * Finding the cluster as kubectl does: --kubeconfig, else $KUBECONFIG (a list; missing files are
 * skipped, the rest merged), else ~/.kube/config, else the in-cluster service account; --context
 * picks a context; the namespace defaults to the context's, then "default". Every failure is one
 * line naming the file, or saying where we looked when there is none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError, NotFoundError, TerminalError, UnavailableError } from '../cluster/port.js';
import { UsageError } from './errors.js';

/** The connection flags shared by `everynode run` and `everynode rollout`. */
export interface KubeFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const SA_NAMESPACE = `${SA_DIR}/namespace`;
const SA_TOKEN = `${SA_DIR}/token`;

/** Where loadKubeConfig looks; tests point it elsewhere. */
export interface KubeConfigEnv {
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
  readonly serviceAccountToken?: string;
}

function missing(file: string): UsageError {
  return new UsageError(`kubeconfig ${file}: no such file or directory`, 1);
}

/** Reads one kubeconfig file; a parse error is its first line, naming the file. */
function readFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // js-yaml's messages carry a multi-line code frame; the first line says what and where.
    const first = (msg.split('\n')[0] ?? msg).trim();
    throw new UsageError(`kubeconfig ${file}: cannot parse: ${first}`, 1);
  }
  return kc;
}

/**
 * A loaded KubeConfig; a missing or unreadable file, no kubeconfig anywhere, or an unknown
 * context is a UsageError with exit code 1 (as kubectl).
 */
export function loadKubeConfig(flags: KubeFlags, where: KubeConfigEnv = {}): KubeConfig {
  const env = where.env ?? process.env;
  const home = where.home ?? homedir();
  const token = where.serviceAccountToken ?? SA_TOKEN;
  let kc: KubeConfig;
  let source: string;
  if (flags.kubeconfig !== undefined) {
    if (!existsSync(flags.kubeconfig)) throw missing(flags.kubeconfig);
    kc = readFile(flags.kubeconfig);
    source = flags.kubeconfig;
  } else if ((env.KUBECONFIG ?? '') !== '') {
    const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
    const files = listed.filter((f) => existsSync(f));
    if (files.length === 0) {
      if (listed.length === 1) throw missing(listed[0]!);
      throw new UsageError(
        `no kubeconfig found: none of the files in $KUBECONFIG exists (${listed.join(', ')})`,
        1,
      );
    }
    kc = readFile(files[0]!);
    for (const f of files.slice(1)) kc.mergeConfig(readFile(f), true);
    source = files.join(delimiter);
  } else if (existsSync(join(home, '.kube', 'config'))) {
    source = join(home, '.kube', 'config');
    kc = readFile(source);
  } else if (existsSync(token) && (env.KUBERNETES_SERVICE_HOST ?? '') !== '') {
    kc = new KubeConfig();
    kc.loadFromCluster();
    source = 'the in-cluster service account';
  } else {
    throw new UsageError(
      `no kubeconfig found: --kubeconfig not given, $KUBECONFIG not set, ` +
        `${join(home, '.kube', 'config')} does not exist, and not in a pod ` +
        `(${token} does not exist or $KUBERNETES_SERVICE_HOST is not set)`,
      1,
    );
  }
  if (flags.context !== undefined) {
    if (kc.getContextObject(flags.context) === null) {
      throw new UsageError(`context "${flags.context}" does not exist in kubeconfig ${source}`, 1);
    }
    kc.setCurrentContext(flags.context);
  }
  const current = kc.getCurrentContext();
  if (!current) {
    throw new UsageError(`kubeconfig ${source}: current-context is not set (use --context)`, 1);
  }
  if (kc.getContextObject(current) === null) {
    throw new UsageError(`kubeconfig ${source}: context "${current}" does not exist`, 1);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null || !cluster.server) {
    throw new UsageError(
      `kubeconfig ${source}: context "${current}" has no cluster with a server`,
      1,
    );
  }
  return kc;
}

/** The API server URL the kubeconfig points at, for messages. */
export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '(no server in the kubeconfig)';
}

/** The namespace of the current context; in a pod, the service account's; else "default". */
export function contextNamespace(kc: KubeConfig): string {
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace;
  if (ns) return ns;
  try {
    const sa = readFileSync(SA_NAMESPACE, 'utf8').trim();
    if (sa !== '') return sa;
  } catch {
    // not in a pod
  }
  return 'default';
}

/**
 * kubectl's words for an API server it cannot reach (its StandardErrorMessage), for the commands
 * that mimic kubectl (`rollout`): a refused connection is kubectl's fixed sentence; anything else
 * is "Unable to connect to the server: " with everynode's own detail (kubectl prints Go's, e.g.
 * "net/http: request canceled (Client.Timeout exceeded while awaiting headers)"), and a request
 * timeout names the flag.
 */
export function kubectlUnreachableText(err: UnavailableError, server: string): string {
  const detail = err.message.replace(/^[A-Z]+ \S+: /, '');
  if (/\bECONNREFUSED\b/.test(detail)) {
    let host = server;
    try {
      host = new URL(server).host;
    } catch {
      // not a URL: print it as it is
    }
    return `The connection to the server ${host} was refused - did you specify the right host or port?`;
  }
  const hint = /^no answer within /.test(detail) ? ' (--request-timeout)' : '';
  return `Unable to connect to the server: ${detail}${hint}`;
}

/**
 * A user-facing message for a failed call to the API server: unreachable names the URL, a missing
 * CRD says how to install it, forbidden says so. Other errors keep the server's own text.
 */
export function describeApiError(err: unknown, server: string, resource: string): string {
  if (err instanceof UnavailableError) {
    const detail = err.message.replace(/^[A-Z]+ \S+: /, '');
    return `cannot reach the Kubernetes API server at ${server}: ${detail}`;
  }
  if (err instanceof TerminalError && err.code === 404 && err.reason === 'NotFound') {
    return `the server doesn't have a resource type "${resource}"`;
  }
  if (err instanceof NotFoundError && /^[A-Z]+ \/api/.test(err.message)) {
    return `the server at ${server} doesn't have a resource type "${resource}" (is the CRD installed? kubectl apply -k deploy/)`;
  }
  if (err instanceof ClusterError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
