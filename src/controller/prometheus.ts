/**
 * The Prometheus health gate's client: one instant query over Prometheus's HTTP API
 * (GET or POST /api/v1/query, https://prometheus.io/docs/prometheus/latest/querying/api/), read
 * into a MetricOutcome that engine/rollout/metricgate.ts judges. Never throws: every way a query
 * can say nothing (no answer, a timeout, an HTTP or PromQL error, garbage, no data, several
 * series, NaN, a matrix or string result) is an inconclusive outcome with its own reason and a
 * one-line message naming the endpoint. Every request has a deadline and a size limit.
 *
 * An instant vector with exactly one sample, or a scalar, gives a value ("+Inf", "-Inf" read as
 * infinities, which the bounds then judge). A native-histogram sample has no single value and
 * is inconclusive. User info in the address (http://user:pass@host) becomes a Basic
 * Authorization header, as fetch refuses URLs with credentials.
 */
import type { InconclusiveReason, MetricOutcome } from '../engine/rollout/metricgate.js';

/** How to ask. */
export interface PrometheusQueryOptions {
  /** The whole request's deadline, body included (default 10 s). */
  readonly timeoutMs?: number;
  /** GET, POST (form-encoded), or auto: POST when the GET URL would pass 4 KiB (default). */
  readonly method?: 'GET' | 'POST' | 'auto';
  /** The evaluation time (epoch ms); the server's now when absent. */
  readonly time?: number;
  /** Bodies larger than this are refused (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Aborts the request (the controller's shutdown). */
  readonly signal?: AbortSignal;
  /** The fetch to use (tests). */
  readonly fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BODY = 1 << 20;
const GET_URL_LIMIT = 4096;

function inconclusive(reason: InconclusiveReason, message: string): MetricOutcome {
  return { kind: 'inconclusive', reason, message };
}

/** A short, one-line excerpt of a body for a message. */
function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}...` : one;
}

/** The query endpoint and headers for an address, or a BadAddress message. */
function endpointOf(address: string): { url: URL; headers: Record<string, string> } | string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `address ${JSON.stringify(address)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `address ${JSON.stringify(address)}: the scheme must be http or https`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  // The address may carry a path prefix (a Prometheus behind /prometheus): keep it.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.hash = '';
  return { url, headers };
}

/** The body as text, refusing more than `max` bytes. */
async function readLimited(res: Response, max: number): Promise<string | undefined> {
  if (res.body === null) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A sample value as Prometheus encodes it: a decimal, "NaN", "+Inf" or "-Inf". */
function sampleValue(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isNaN(n) ? undefined : n;
}

function labelsText(metric: unknown): string {
  if (metric === null || typeof metric !== 'object') return '{}';
  const parts = Object.entries(metric as Record<string, unknown>).map(
    ([k, v]) => `${k}=${JSON.stringify(v)}`,
  );
  return `{${parts.join(', ')}}`;
}

function valueOutcome(raw: unknown, where: string, what: string): MetricOutcome {
  const pair = Array.isArray(raw) && raw.length === 2 ? (raw as unknown[]) : undefined;
  const value = sampleValue(pair?.[1]);
  if (value === undefined)
    return inconclusive(
      'BadResponse',
      `${where}: ${what} is not [time, "value"]: ${excerpt(JSON.stringify(raw) ?? '')}`,
    );
  if (Number.isNaN(value)) return inconclusive('NaN', `${where}: the query returned NaN`);
  return { kind: 'value', value };
}

/** Reads a parsed success body's data (the documented result types) into an outcome. */
function resultOutcome(data: unknown, where: string): MetricOutcome {
  const d = data as { resultType?: unknown; result?: unknown } | null;
  if (d === null || typeof d !== 'object' || typeof d.resultType !== 'string')
    return inconclusive('BadResponse', `${where}: "data.resultType" is missing`);
  switch (d.resultType) {
    case 'vector': {
      if (!Array.isArray(d.result))
        return inconclusive('BadResponse', `${where}: "data.result" of a vector is not a list`);
      const series = d.result as { metric?: unknown; value?: unknown; histogram?: unknown }[];
      if (series.length === 0)
        return inconclusive('NoData', `${where}: the query returned no series`);
      if (series.length > 1) {
        const shown = series.slice(0, 3).map((s) => labelsText(s?.metric));
        const more = series.length > 3 ? `, ... (${series.length - 3} more)` : '';
        return inconclusive(
          'SeveralSeries',
          `${where}: the query returned ${series.length} series, the gate needs one (aggregate it, e.g. sum(...)): ${shown.join(', ')}${more}`,
        );
      }
      const s = series[0];
      if (s?.value === undefined && s?.histogram !== undefined)
        return inconclusive(
          'UnsupportedResultType',
          `${where}: the sample is a native histogram, not a number`,
        );
      return valueOutcome(s?.value, where, 'the sample');
    }
    case 'scalar':
      return valueOutcome(d.result, where, 'the scalar');
    case 'matrix':
    case 'string':
      return inconclusive(
        'UnsupportedResultType',
        `${where}: the query returned a ${d.resultType}; the gate needs an instant vector with one series or a scalar`,
      );
    default:
      return inconclusive(
        'BadResponse',
        `${where}: unknown resultType ${JSON.stringify(d.resultType)}`,
      );
  }
}

/**
 * Runs `query` once against the Prometheus at `address` (this module's header); resolves with a
 * value or an inconclusive outcome, never rejects.
 */
export async function queryPrometheus(
  address: string,
  query: string,
  opts: PrometheusQueryOptions = {},
): Promise<MetricOutcome> {
  const ep = endpointOf(address);
  if (typeof ep === 'string') return inconclusive('BadAddress', ep);
  const { url, headers } = ep;
  const where = `prometheus ${url.origin}${url.pathname}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const form = new URLSearchParams({ query });
  if (opts.time !== undefined) form.set('time', (opts.time / 1000).toFixed(3));
  const getUrl = new URL(url);
  getUrl.search = form.toString();
  const method =
    opts.method === 'GET' || opts.method === 'POST'
      ? opts.method
      : getUrl.href.length > GET_URL_LIMIT
        ? 'POST'
        : 'GET';
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const doFetch = opts.fetch ?? fetch;

  let status: number;
  let statusText: string;
  let text: string | undefined;
  try {
    const res = await doFetch(method === 'GET' ? getUrl : url, {
      method,
      headers:
        method === 'POST'
          ? { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }
          : headers,
      ...(method === 'POST' ? { body: form.toString() } : {}),
      signal,
      redirect: 'follow',
    });
    status = res.status;
    statusText = res.statusText;
    text = await readLimited(res, opts.maxBodyBytes ?? DEFAULT_MAX_BODY);
  } catch (err) {
    if (deadline.aborted)
      return inconclusive('Timeout', `${where}: no answer within ${timeoutMs} ms`);
    if (opts.signal?.aborted)
      return inconclusive('Unreachable', `${where}: the query was cancelled`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.message ?? cause?.code ?? (err as Error).message;
    return inconclusive('Unreachable', `${where}: no answer: ${why}`);
  }
  if (text === undefined)
    return inconclusive(
      'BadResponse',
      `${where}: HTTP ${status}: the body is larger than ${opts.maxBodyBytes ?? DEFAULT_MAX_BODY} bytes`,
    );

  let body: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed;
  } catch {
    body = undefined;
  }
  const ok = status >= 200 && status < 300;
  if (body?.status === 'error') {
    const kind = typeof body.errorType === 'string' ? body.errorType : 'error';
    const msg =
      typeof body.error === 'string' ? body.error : excerpt(JSON.stringify(body.error) ?? '');
    return inconclusive('QueryError', `${where}: HTTP ${status}, ${kind}: ${msg}`);
  }
  if (!ok) {
    const shown = excerpt(text);
    return inconclusive(
      'HTTPError',
      `${where}: HTTP ${status}${statusText ? ` ${statusText}` : ''}${shown ? `: ${shown}` : ''}`,
    );
  }
  if (body === undefined)
    return inconclusive(
      'BadResponse',
      `${where}: HTTP ${status}: not a JSON object: ${excerpt(text) || '(empty body)'}`,
    );
  if (body.status !== 'success')
    return inconclusive(
      'BadResponse',
      `${where}: HTTP ${status}: "status" is ${JSON.stringify(body.status) ?? 'missing'}, not "success" or "error"`,
    );
  return resultOutcome(body.data, where);
}
