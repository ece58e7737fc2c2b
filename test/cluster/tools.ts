/** helm and promtool for the real-cluster tests, from the cluster cache (build-tools.sh). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cachePaths } from '../../scripts/cluster/lib.js';

/** A tool from the cluster cache (or PATH); stdout, or throws with stderr and the exit status. */
export function tool(name: 'helm' | 'promtool', args: readonly string[]): string {
  const cached = join(cachePaths().bin, name);
  try {
    return execFileSync(existsSync(cached) ? cached : name, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; status?: number; message: string };
    throw new Error(
      `${name} ${args.join(' ')} (exit ${err.status}): ${err.stderr || err.message}`,
      {
        cause: e,
      },
    );
  }
}

/** A Kubernetes object as rendered. */
export type Obj = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
};

/** The objects of a multi-document YAML stream. */
export function objects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null);
}
