/**
 * Shared pieces of the real-cluster harness scripts (up, down, test-cluster): where things live,
 * the state file, process handling and bounded waiting. See docs/real-cluster.md.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of these scripts. */
export const scriptDir = dirname(fileURLToPath(import.meta.url));

/** The pinned versions from versions.env, overridable by the same environment variables. */
export function versions(): { k8s: string; etcd: string; kwok: string } {
  const text = readFileSync(join(scriptDir, 'versions.env'), 'utf8');
  const pin = (name: string): string => {
    const fromEnv = process.env[name];
    if (fromEnv) return fromEnv;
    const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`versions.env has no ${name}`);
    return m[1];
  };
  return { k8s: pin('K8S_VERSION'), etcd: pin('ETCD_VERSION'), kwok: pin('KWOK_VERSION') };
}

/** The cache root and the bin directory that build.sh fills; the same rule as build.sh. */
export function cachePaths(): { root: string; bin: string; stages: string } {
  const cache = process.env.EVERYNODE_CACHE || join(homedir(), '.cache', 'everynode');
  const root = join(cache, `k8s-${versions().k8s}`);
  return { root, bin: join(root, 'bin'), stages: join(root, 'kwok-stages.yaml') };
}

/** The state directory of the running cluster (pid file, PKI, kubeconfig, logs, etcd data). */
export function stateDir(): string {
  return process.env.EVERYNODE_CLUSTER_DIR || '/tmp/everynode-cluster';
}

/** One started component as recorded in the state file. */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
  readonly log: string;
  /** The arguments it was started with (absent in state files written before they were kept). */
  readonly args?: readonly string[];
}

/** What `up` records and `down` reads: the file whose presence means "a cluster was started". */
export interface ClusterState {
  readonly startedAt: string;
  readonly kubeconfig: string;
  readonly bin: string;
  readonly apiserver: string;
  readonly nodes: readonly string[];
  /** The regular expression of images kwok keeps in ErrImagePull (absent in older state files). */
  readonly badImages?: string;
  readonly components: readonly Component[];
}

/** The state file path inside the state directory. */
export function stateFile(dir = stateDir()): string {
  return join(dir, 'cluster.json');
}

/** Writes the state file (after a component was started or restarted). */
export function writeState(state: ClusterState, dir = stateDir()): void {
  writeFileSync(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
}

/** Reads the state file; undefined when there is none or it is unreadable. */
export function readState(dir = stateDir()): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** True when pid is alive and still runs `binary` (so a reused pid is never mistaken for ours). */
export function isOurs(pid: number, binary: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie still has a /proc entry but is already gone for our purposes.
    if (/\) Z /.test(stat)) return false;
    return cmdline.split('\0')[0] === binary;
  } catch {
    return false;
  }
}

/** Starts a binary detached, in its own process group, with stdout and stderr to `log`. */
export function startDetached(
  name: string,
  binary: string,
  args: readonly string[],
  log: string,
  cwd: string,
): Component {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${binary})`);
    child.unref();
    return { name, pid: child.pid, binary, log, args: [...args] };
  } finally {
    closeSync(fd);
  }
}

/** Stops components in the given order: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(components: readonly Component[], graceMs = 10_000): Promise<void> {
  for (const c of components) {
    if (!isOurs(c.pid, c.binary)) continue;
    try {
      process.kill(c.pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + graceMs;
    while (isOurs(c.pid, c.binary) && Date.now() < deadline) await sleep(100);
    if (isOurs(c.pid, c.binary)) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      while (isOurs(c.pid, c.binary) && Date.now() < deadline + 5000) await sleep(100);
    }
  }
}

/** Removes the state directory; tolerant of a directory that is already gone. */
export function removeStateDir(dir = stateDir()): void {
  if (existsSync(dir) && statSync(dir).isDirectory()) rmSync(dir, { recursive: true, force: true });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last `lines` lines of a log file, or a note that it cannot be read. */
export function tail(file: string, lines = 40): string {
  try {
    const all = readFileSync(file, 'utf8').split('\n');
    return all.slice(-lines - 1).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

/** TLS material for talking to the apiserver as the admin. */
export interface Tls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A GET over http or https; resolves with status and body, never rejects (status 0 = no answer). */
export function get(
  url: string,
  tls?: Tls | 'insecure',
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const opts =
      tls === 'insecure'
        ? { rejectUnauthorized: false }
        : tls
          ? { ca: tls.ca, cert: tls.cert, key: tls.key }
          : {};
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', timeout: timeoutMs, ...opts },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', (e) => {
          resolve({ status: 0, body: e.message });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      resolve({ status: 0, body: e.message });
    });
    req.end();
  });
}

/** Raised when a component fails to come up; carries the component so callers can show its log. */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    message: string,
    readonly component?: Component,
  ) {
    super(message);
  }
}

/**
 * Polls `check` every `intervalMs` until it returns true, failing after `timeoutMs` or as soon as
 * the watched component has exited (no point waiting for a dead process).
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; component?: Component; lastError?: () => string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return;
    const c = opts.component;
    if (c && !isOurs(c.pid, c.binary)) {
      throw new StartError(`${c.name} exited while waiting for ${what}`, c);
    }
    if (Date.now() > deadline) {
      const detail = opts.lastError ? `: ${opts.lastError()}` : '';
      throw new StartError(
        `timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${detail}`,
        c,
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/**
 * `args` with flags set, replaced or removed: each key of `flags` is a flag name (`--controllers`);
 * a string value sets `--name=value` in place of every earlier `--name=...` or `--name`, null
 * removes the flag. Other arguments keep their order; new flags go at the end.
 */
export function withFlags(
  args: readonly string[],
  flags: Readonly<Record<string, string | null>>,
): string[] {
  const out = args.filter((a) => {
    const name = a.startsWith('--') ? a.split('=', 1)[0]! : undefined;
    return name === undefined || !(name in flags);
  });
  for (const [name, value] of Object.entries(flags))
    if (value !== null) out.push(`${name}=${value}`);
  return out;
}

/** The arguments a component runs with: as recorded, else read from /proc (older state files). */
export function componentArgs(c: Component): readonly string[] {
  if (c.args) return c.args;
  try {
    return readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
  } catch {
    return [];
  }
}

/** The value of `--name=value` in args, or undefined. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  return args.findLast((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/**
 * How to tell that a component is serving again, from its own arguments: kube-apiserver's
 * /readyz (as the admin), the /healthz of kube-controller-manager and kube-scheduler on their
 * secure ports, etcd's /health; a component with no such endpoint (kwok) is ready while it runs.
 */
function healthCheck(c: Component, args: readonly string[], dir: string): () => Promise<boolean> {
  const port = flagValue(args, '--secure-port');
  switch (c.name) {
    case 'kube-apiserver': {
      const tls = {
        ca: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'),
        cert: readFileSync(join(dir, 'pki', 'admin.crt'), 'utf8'),
        key: readFileSync(join(dir, 'pki', 'admin.key'), 'utf8'),
      };
      return async () => (await get(`https://127.0.0.1:${port}/readyz`, tls)).status === 200;
    }
    case 'kube-controller-manager':
    case 'kube-scheduler':
      return async () =>
        (await get(`https://127.0.0.1:${port}/healthz`, 'insecure')).status === 200;
    case 'etcd': {
      const url = flagValue(args, '--listen-client-urls')?.split(',')[0];
      return async () => (await get(`${url}/health`)).body.includes('"true"');
    }
    default:
      return () => Promise.resolve(isOurs(c.pid, c.binary));
  }
}

/**
 * Restarts one component of the running cluster (state dir `dir`) in place: stops it (SIGTERM,
 * SIGKILL after `graceMs`), starts the same binary with its recorded arguments changed by
 * `flags` (see withFlags) and `edit`, records the new pid and arguments in the state file (so
 * cluster:down stops it), and resolves once it serves again (see healthCheck), or throws a
 * StartError after `timeoutMs`. Works for every component `up` starts: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok. Returns the new component record.
 */
export async function restartComponent(
  name: string,
  opts: {
    readonly flags?: Readonly<Record<string, string | null>>;
    readonly edit?: (args: string[]) => string[];
    readonly timeoutMs?: number;
    readonly graceMs?: number;
    readonly dir?: string;
  } = {},
): Promise<Component> {
  const dir = opts.dir ?? stateDir();
  const state = readState(dir);
  if (!state) throw new Error(`no cluster state in ${dir}`);
  const c = state.components.find((x) => x.name === name);
  if (!c) {
    const known = state.components.map((x) => x.name).join(', ');
    throw new Error(`no component ${name} in ${stateFile(dir)} (it has ${known})`);
  }
  let args = withFlags(componentArgs(c), opts.flags ?? {});
  if (opts.edit) args = opts.edit(args);
  await stopAll([c], opts.graceMs);
  if (isOurs(c.pid, c.binary)) throw new StartError(`${name} (pid ${c.pid}) did not stop`, c);
  const next = startDetached(name, c.binary, args, c.log, dir);
  writeState(
    { ...state, components: state.components.map((x) => (x.name === name ? next : x)) },
    dir,
  );
  await waitFor(`${name} serving again after a restart`, healthCheck(next, args, dir), {
    timeoutMs: opts.timeoutMs ?? 60_000,
    component: next,
  });
  return next;
}
