/**
 * A real Prometheus server for tests: the binary scripts/cluster/build-tools.sh builds into the
 * cluster cache (or one on PATH), started on loopback with a config of the test's and a data
 * directory of its own, and stopped (SIGTERM, then SIGKILL) with the directory removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { cachePaths } from '../../scripts/cluster/lib.js';

/** The prometheus binary to use, or undefined when neither the cache nor PATH has one. */
export function prometheusBinary(): string | undefined {
  const cached = join(cachePaths().bin, 'prometheus');
  if (existsSync(cached)) return cached;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'prometheus');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => {
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
  });
}

/** A running Prometheus. */
export interface RunningPrometheus {
  readonly url: string;
  readonly dir: string;
  /** Everything it logged so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus with `config` (YAML; `rules` is written beside it as rules.yml, so the config
 * may name it in rule_files) on `port` (a free one by default) and resolves once /-/ready answers
 * 200; rejects with its log after `timeoutMs`.
 */
export async function startPrometheus(
  binary: string,
  config: string,
  opts: { rules?: string; timeoutMs?: number; extraArgs?: readonly string[]; port?: number } = {},
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  if (opts.rules !== undefined) writeFileSync(join(dir, 'rules.yml'), opts.rules);
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(opts.extraArgs ?? []),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${output}`);
    }
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${opts.timeoutMs ?? 20_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, dir, log: () => output, stop };
}

/**
 * Recording rules for the gate tests: agent:error_ratio:ok = 0.02 and agent:error_ratio:bad = 0.9,
 * there from the first evaluation (no scrape target needed).
 */
export const GATE_RULES = `
groups:
  - name: agent
    interval: 1s
    rules:
      - record: agent:error_ratio:ok
        expr: vector(0.02)
      - record: agent:error_ratio:bad
        expr: vector(0.9)
`;

/**
 * A gate query over one of GATE_RULES's series that also carries the rendered {{nodes}} as a
 * label, so a test sees what the controller asked for.
 */
export function gateQuery(rule: string): string {
  return `max(label_replace(${rule}, "judged", "{{nodes}}", "", ""))`;
}
