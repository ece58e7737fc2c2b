/**
 * Helpers for the real-cluster tests: whether a test cluster is configured, and kubectl against
 * it. The tests run only under `npm run test:cluster`, which sets EVERYNODE_CLUSTER_TEST=1 and
 * KUBECONFIG; a plain `npm test` skips them, and never touches whatever cluster KUBECONFIG names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cachePaths } from '../../scripts/cluster/lib.js';

/** Why the cluster tests are skipped, or false when a test cluster is configured. */
export const skipReason: string | false =
  process.env.EVERYNODE_CLUSTER_TEST === '1' && process.env.KUBECONFIG
    ? false
    : 'needs a test cluster: run `npm run test:cluster`';

/** The number of fake nodes the test cluster was started with. */
export const expectedNodes = Number(process.env.EVERYNODE_TEST_NODES ?? '3');

function kubectlPath(): string {
  const cached = join(cachePaths().bin, 'kubectl');
  return existsSync(cached) ? cached : 'kubectl';
}

/** Runs kubectl with the given arguments (and optional stdin); returns stdout, throws with stderr. */
export function kubectl(args: readonly string[], input?: string): string {
  try {
    return execFileSync(kubectlPath(), args, {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${err.stderr || err.message}`, { cause: e });
  }
}

/** kubectl ... -o json, parsed. */
export function kubectlJson(args: readonly string[]): unknown {
  return JSON.parse(kubectl([...args, '-o', 'json']));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s: ${what}${last instanceof Error ? ` (${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Creates a namespace with a unique name and waits for its default service account. */
export async function freshNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  kubectl(['create', 'namespace', ns]);
  await eventually(`default service account in ${ns}`, () => {
    kubectl(['-n', ns, 'get', 'serviceaccount', 'default']);
    return true;
  });
  return ns;
}
