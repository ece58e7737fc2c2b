/**
 * Runs a benchmark script in its own Node process (a clean heap, nothing warmed up by an earlier
 * benchmark) and reads back the result it wrote to BENCH_OUT.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options for one child run. */
export interface ChildOptions {
  /** Extra flags for node itself (e.g. --expose-gc, --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Arguments for the script. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `node --import tsx <script> <args>`; resolves with the JSON the script reported. */
export async function runChild<T>(script: string, opts: ChildOptions = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-bench-'));
  const out = join(dir, 'result.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [...(opts.nodeFlags ?? []), '--import', 'tsx', script, ...(opts.args ?? [])],
        {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: { ...process.env, ...opts.env, BENCH_OUT: out },
        },
      );
      child.on('error', reject);
      child.on('exit', (c) => {
        resolve(c);
      });
    });
    if (code !== 0)
      throw new Error(`${script} ${(opts.args ?? []).join(' ')} exited with code ${String(code)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The value of `--name value` in argv, if given. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
