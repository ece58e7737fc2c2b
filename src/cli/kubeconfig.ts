/**
 * Finding the cluster as kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else
 * the in-cluster service account; --context picks a context; the namespace defaults to the
 * context's, then "default".
 */
import { existsSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError, NotFoundError, TerminalError, UnavailableError } from '../cluster/port.js';
import { UsageError } from './errors.js';

/** The connection flags shared by `everynode run` and `everynode rollout`. */
export interface KubeFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A loaded KubeConfig; a missing file or unknown context is a UsageError (exit 1, as kubectl). */
export function loadKubeConfig(flags: KubeFlags): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig !== undefined) {
      if (!existsSync(flags.kubeconfig)) {
        throw new UsageError(`stat ${flags.kubeconfig}: no such file or directory`, 1);
      }
      kc.loadFromFile(flags.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError(`cannot load the kubeconfig: ${msg}`, 1);
  }
  if (flags.context !== undefined) {
    if (kc.getContextObject(flags.context) === null) {
      throw new UsageError(`context "${flags.context}" does not exist`, 1);
    }
    kc.setCurrentContext(flags.context);
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
