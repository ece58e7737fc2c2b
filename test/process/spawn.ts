/**
 * The everynode CLI as a child process, the way a user or a kubelet starts it (bin/everynode.js,
 * from source): JSON log lines collected and waited for, stderr kept, exit code and signal, the
 * time from start to exit, and a kill that cannot outlive the test.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/everynode.js');

/**
 * What "at once" means in these tests: the old code never exited at all, so the bound only has
 * to separate ending from hanging, on a 2-core machine shared with builds (load 20-30 seen). The
 * typical figures (0.1-1 s) are reported with t.diagnostic.
 */
export const PROMPTLY_MS = 15_000;

/** A running CLI process. */
export interface Child {
  readonly lines: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  /** Closes our end of the child's stdout, as a reader that has read enough (`head`) does. */
  closeStdout(): void;
  readonly startedAt: number;
  readonly pid: number;
}

/** Starts `everynode <args>`; env adds to (or with undefined removes from) the parent's. */
export function everynode(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Child {
  const merged = Object.fromEntries(
    Object.entries({ ...process.env, EVERYNODE_FROM_SOURCE: '1', ...env }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const startedAt = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: merged,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { re: RegExp; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(obj);
      for (const w of [...waiters]) {
        if (w.re.test(String(obj.msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(obj);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  // A test that fails half-way must not leave the child behind.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>(
    (resolve) => {
      child.on('exit', (code, signal) => {
        clearTimeout(guard);
        resolve({ code, signal, ms: performance.now() - startedAt });
      });
    },
  );
  return {
    lines,
    stdout: () => out,
    stderr: () => err,
    exit,
    startedAt,
    pid: child.pid ?? 0,
    waitFor(re, timeoutMs = 60_000) {
      const seen = lines.find((l) => re.test(String(l.msg)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          reject(new Error(`no log line ${String(re)}; stdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    kill: (signal) => child.kill(signal),
    closeStdout: () => {
      child.stdout.destroy();
    },
  };
}
