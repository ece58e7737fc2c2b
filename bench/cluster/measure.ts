/**
 * What the side-by-side benchmark measures besides wall time: process CPU from /proc/<pid>/stat
 * and API requests from kube-apiserver's audit log, attributed to a client by its user agent.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds (user + system) a live process has used; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state is field 3, utime 14 and stime 15 overall.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds per thread of a live process, summed by thread name; the main thread (tid = pid)
 * is `main`. Empty once the process is gone.
 */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (out[name] ?? 0) + (Number(rest[11]) + Number(rest[12])) / clockTicks();
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU seconds a live process has run, from the scheduler's own accounting (the first field of
 * /proc/<pid>/task/<tid>/schedstat, ns, summed over threads). /proc/<pid>/stat's utime + stime are
 * sampled at the timer tick on this kernel (CONFIG_TICK_CPU_ACCOUNTING, 4 ms), which charges a
 * process that wakes briefly and often by where the ticks happen to fall; schedstat is exact.
 * undefined once the process is gone.
 */
export function schedSeconds(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

/**
 * How many times a live process's threads were put on a CPU (the third field of each thread's
 * schedstat, summed): about one per wake-up. A rate-limited client that sends each request
 * alone, or decodes each watch event as it trickles in, pays a wake-up for each.
 */
export function schedSlices(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let n = 0;
  for (const tid of tids) {
    try {
      n += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[2]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return n;
}

/** `read` of each named process at one instant; a process that has ended is left out. */
function samplePids<T>(
  pids: Readonly<Record<string, number>>,
  read: (pid: number) => T | undefined,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const v = read(pid);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** schedSlices of each named process at one instant. */
export function sampleSlices(pids: Readonly<Record<string, number>>): Record<string, number> {
  return samplePids(pids, schedSlices);
}

/** Scheduler CPU seconds (schedSeconds) of each named process at one instant. */
export function sampleSched(pids: Readonly<Record<string, number>>): Record<string, number> {
  return samplePids(pids, schedSeconds);
}

/** Resident memory of a live process, now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** memoryMiB of each named process at one instant. */
export function sampleMemory(
  pids: Readonly<Record<string, number>>,
): Record<string, { rss: number; peak: number }> {
  return samplePids(pids, memoryMiB);
}

/** CPU seconds of each named process at one instant. */
export function sampleCpu(pids: Readonly<Record<string, number>>): Record<string, number> {
  return samplePids(pids, cpuSeconds);
}

/** Per-process CPU seconds between two samples (processes present in both only). */
export function cpuDelta(
  from: Readonly<Record<string, number>>,
  to: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(to)) {
    const f = from[name];
    if (f !== undefined) out[name] = Math.round((v - f) * 100) / 100;
  }
  return out;
}

/**
 * The audit policy: metadata of every request except Leases (kwok renews one per node every few
 * seconds, and no DaemonSet controller touches them) and health probes. RequestReceived is left
 * out so that a request logs once: at ResponseComplete, or at ResponseStarted for a watch.
 */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    resources:
      - group: coordination.k8s.io
        resources: [leases]
  - level: None
    nonResourceURLs: ['/healthz*', '/readyz*', '/livez*']
  - level: Metadata
`;

/** Writes the audit policy to `file` and returns the path. */
export function writeAuditPolicy(file: string): string {
  writeFileSync(file, AUDIT_POLICY);
  return file;
}

/**
 * The audit log's files, oldest first: kube-apiserver rotates the log at 100 MB (its
 * --audit-log-maxsize=0 means the default size to lumberjack, not "never"), renaming it to
 * `audit-<time>.log` beside the new one; a 5,000-node run writes several hundred MB. Files that
 * cannot be read are skipped.
 */
export function auditFiles(auditLog: string): string[] {
  const dir = dirname(auditLog);
  const stem = basename(auditLog, '.log');
  let rotated: string[] = [];
  try {
    rotated = readdirSync(dir)
      .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.log'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
  return [...rotated, auditLog];
}

/** Every line of the audit log and its rotated parts, oldest file first, one file in memory at a time. */
export function* auditLines(auditLog: string): Generator<string> {
  for (const file of auditFiles(auditLog)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    yield* text.split('\n');
  }
}

/** Which client made a request, from its user agent. */
export function actorOf(userAgent: string): string {
  if (userAgent.startsWith('everynode-bench/')) return 'bench';
  if (userAgent.startsWith('everynode/')) return 'everynode';
  if (userAgent.includes('kube-controller-manager')) {
    if (userAgent.endsWith('/daemon-set-controller')) return 'upstream-ds';
    if (userAgent.endsWith('/shared-informers')) return 'kcm-shared-informers';
    return 'kcm-other';
  }
  if (userAgent.includes('kube-scheduler')) return 'scheduler';
  if (userAgent.startsWith('kwok')) return 'kwok';
  return 'other';
}

/** Requests of one client in one window: the total and a count per "verb resource[/sub]". */
export interface RequestCount {
  total: number;
  byVerb: Record<string, number>;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  userAgent?: string;
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
  requestURI?: string;
  objectRef?: { resource?: string; subresource?: string; name?: string; resourceVersion?: string };
  responseStatus?: { code?: number };
}

/** A time window in epoch ms, [from, to). */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/**
 * Counts the audit log's requests per client in each window, by the time the apiserver received
 * them. A watch counts once, when its response starts; every other request when it completes.
 */
export function countRequests(
  auditLog: string,
  windows: readonly Window[],
): Record<string, RequestCount>[] {
  const out = windows.map((): Record<string, RequestCount> => ({}));
  for (const line of auditLines(auditLog)) {
    if (line === '') continue;
    let ev: AuditEvent;
    try {
      ev = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    const watch = ev.verb === 'watch';
    if (watch ? ev.stage !== 'ResponseStarted' : ev.stage !== 'ResponseComplete') {
      if (ev.stage !== 'Panic') continue;
    }
    const at = Date.parse(ev.requestReceivedTimestamp ?? '');
    const actor = actorOf(ev.userAgent ?? '');
    const r = ev.objectRef;
    const what = r?.resource
      ? `${ev.verb ?? '?'} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`
      : `${ev.verb ?? '?'} ${ev.requestURI?.split('?')[0] ?? '?'}`;
    windows.forEach((w, i) => {
      if (at < w.from || at >= w.to) return;
      const counts = (out[i]![actor] ??= { total: 0, byVerb: {} });
      counts.total++;
      counts.byVerb[what] = (counts.byVerb[what] ?? 0) + 1;
    });
  }
  return out;
}

/**
 * One line per completed request of `actor` (JSON: received time, verb, resource, name, the
 * resourceVersion the client sent, response code), in the order received, so that a run's
 * sequence of writes can be read after the cluster (and its audit log) is gone.
 */
export function requestTrace(auditLog: string, actor: string): string {
  const rows: { at: string; line: string }[] = [];
  for (const line of auditLines(auditLog)) {
    if (line === '' || !line.includes('"ResponseComplete"')) continue;
    let ev: AuditEvent;
    try {
      ev = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    if (ev.stage !== 'ResponseComplete' || actorOf(ev.userAgent ?? '') !== actor) continue;
    const r = ev.objectRef;
    const at = ev.requestReceivedTimestamp ?? '';
    rows.push({
      at,
      line: JSON.stringify({
        at,
        verb: ev.verb,
        resource: `${r?.resource ?? ev.requestURI?.split('?')[0] ?? '?'}${r?.subresource ? `/${r.subresource}` : ''}`,
        name: r?.name,
        rv: r?.resourceVersion,
        code: ev.responseStatus?.code,
      }),
    });
  }
  rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return rows.map((r) => r.line + '\n').join('');
}

/** Latency percentiles of a set of requests, ms. */
export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** µs since the epoch of an audit timestamp (RFC 3339 with up to 9 fraction digits). */
export function auditMicros(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(ts);
  if (m === null) return Number.NaN;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Date.parse(`${m[1]!}Z`) * 1000 + Number(frac);
}

/** Nearest-rank percentiles of latencies in ms (rounded to 0.1 ms). */
export function percentiles(ms: number[]): Latency {
  if (ms.length === 0) return { n: 0, p50: 0, p99: 0, max: 0 };
  ms.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]! * 10) / 10;
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/**
 * kube-apiserver's request latency in each window, from the audit log: received to response
 * complete, for every request but watches (they last as long as the client keeps them), over all
 * clients (`all`) and per client. What a pacing mode costs the server shows as this p99.
 */
export function requestLatency(
  auditLog: string,
  windows: readonly Window[],
): Record<string, Latency>[] {
  const ms = windows.map((): Record<string, number[]> => ({}));
  for (const line of auditLines(auditLog)) {
    if (line === '' || !line.includes('"ResponseComplete"')) continue;
    let ev: AuditEvent;
    try {
      ev = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    if (ev.stage !== 'ResponseComplete' || ev.verb === 'watch') continue;
    const from = auditMicros(ev.requestReceivedTimestamp ?? '');
    const to = auditMicros(ev.stageTimestamp ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
    const at = from / 1000;
    const actor = actorOf(ev.userAgent ?? '');
    windows.forEach((w, i) => {
      if (at < w.from || at >= w.to) return;
      (ms[i]!.all ??= []).push((to - from) / 1000);
      (ms[i]![actor] ??= []).push((to - from) / 1000);
    });
  }
  return ms.map((byActor) =>
    Object.fromEntries(Object.entries(byActor).map(([k, v]) => [k, percentiles(v)])),
  );
}
