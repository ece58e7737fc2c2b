/**
 * The HTTP transport of the kube adapter: authentication from @kubernetes/client-node's
 * KubeConfig (certs, tokens, exec plugins, in-cluster config), one keep-alive agent, client-side
 * rate limiting, our user agent, and raw JSON in and out, so objects stay in wire form exactly as
 * the server sent them (no typed model that drops unknown fields or turns times into Dates).
 *
 * Per request, only what can change is re-read: the credentials' headers, at most every
 * AUTH_REFRESH_MS (and at once after a 401). The TLS material is read once into one secure
 * context that the agent's sockets share; passing the PEM text with every request made Node
 * build a connection-pool key from it (string concatenation of CA, certificate and key) per
 * request and a new secure context per socket, and client-node's KubeConfig builds a new agent
 * per call.
 *
 * Every request is bounded: a non-watch request must be answered in full within timeoutMs (60 s
 * by default, kube-apiserver's own limit for such requests), a watch must be accepted (response
 * headers) within it; a watch that goes silent afterwards is its reader's to detect (the
 * informer's silence timeout). close() aborts whatever is still in flight, so a stopping process
 * never waits on a server that stopped answering.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import { USER_AGENT } from '../../version.js';
import { UnavailableError } from '../port.js';
import { errorFromStatus, parseStatus, transportError } from './errors.js';
import { forwardProxyAgent, parseProxyUrl, proxyAuthorization, TunnelingAgent } from './proxy.js';
import { Pacer, type AdaptiveOptions } from './pacing.js';

/** Options of the transport; defaults follow client-go (qps 20, burst 30). */
export interface TransportOptions {
  readonly qps?: number;
  readonly burst?: number;
  readonly userAgent?: string;
  /**
   * How long a non-watch request may take from sending to the last byte of its answer, and a
   * watch until the server accepts it. Default 60 s; 0 waits forever.
   */
  readonly timeoutMs?: number;
  /**
   * Called once per HTTP request with its outcome, as client-go's request metric counts them:
   * code is the HTTP status, or "<error>" when no response came; host is the server's host:port.
   */
  readonly onResult?: (code: string, method: string, host: string) => void;
  /**
   * Called for every request just before it is sent (after the rate limiter and the
   * credentials); throwing refuses it. The leader fence uses it so that a write that waited
   * (for a token, or while the process was frozen) is checked when it leaves, not when asked.
   */
  readonly beforeSend?: (method: Request['method'], path: string) => void;
  /**
   * Opt-in adaptive pacing (pacing.ts): the rate starts at qps and follows the server's answers
   * (raised while writes are answered quickly without 429, lowered at once on 429, Retry-After or
   * rising latency, never below qps). Absent or false: a fixed rate, as client-go.
   */
  readonly adaptive?: AdaptiveOptions | boolean;
}

/** client-go's maxRetries: how often a request answered 429 or 5xx with Retry-After is resent. */
export const MAX_RETRIES = 10;

/**
 * How long credentials read from the kubeconfig are reused before being read again (client-go
 * re-reads a token file every minute; exec plugins cache until expiry). A 401 drops them at once.
 */
export const AUTH_REFRESH_MS = 10_000;

/** One request: method, path (with no query), query parameters, JSON body, content type. */
export interface Request {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** The body already serialised, sent byte for byte instead of JSON.stringify(body). */
  readonly rawBody?: string;
  readonly contentType?: string;
}

/** Sends requests to the kubeconfig's current cluster; every failure is a ClusterError. */
export class Transport {
  readonly limiter: Pacer;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly onResult: ((code: string, method: string, host: string) => void) | undefined;
  private readonly beforeSend: TransportOptions['beforeSend'];
  private agent: HttpAgent | HttpsAgent | undefined;
  private auth: { headers: Record<string, string>; at: number } | undefined;
  private authPending: Promise<Record<string, string>> | undefined;
  private base: string | undefined;
  private proxy: URL | null | undefined;
  private closed = false;
  /** Requests sent and not yet finished, aborted by close(). */
  private readonly inflight = new Set<ClientRequest>();

  constructor(
    private readonly kc: KubeConfig,
    opts: TransportOptions = {},
  ) {
    this.limiter = new Pacer({
      qps: opts.qps ?? 20,
      burst: opts.burst ?? 30,
      ...(opts.adaptive === undefined ? {} : { adaptive: opts.adaptive }),
    });
    this.userAgent = opts.userAgent ?? USER_AGENT;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.onResult = opts.onResult;
    this.beforeSend = opts.beforeSend;
  }

  private url(req: Request): URL {
    if (this.base === undefined) {
      const cluster = this.kc.getCurrentCluster();
      const server = cluster?.server;
      if (!server)
        throw transportError(new Error('the kubeconfig has no current cluster'), req.path);
      this.base = server.replace(/\/+$/, '');
      try {
        this.proxy = cluster?.proxyUrl ? parseProxyUrl(cluster.proxyUrl) : null;
      } catch (e) {
        throw new UnavailableError(`${req.method} ${req.path}: ${(e as Error).message}`, 503);
      }
    }
    const u = new URL(this.base + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    }
    return u;
  }

  /** The credentials' headers, re-read from the kubeconfig at most every AUTH_REFRESH_MS. */
  private async authHeaders(u: URL): Promise<Record<string, string>> {
    const now = performance.now();
    if (this.auth !== undefined && now - this.auth.at < AUTH_REFRESH_MS) return this.auth.headers;
    this.authPending ??= (async () => {
      try {
        const applied: RequestOptions = { headers: {} };
        await applyCredentials(this.kc, applied);
        this.agent ??= makeAgent(u, applied, this.proxy ?? null, this.timeoutMs);
        const headers = { ...(applied.headers as Record<string, string>) };
        if (applied.auth)
          headers.Authorization = `Basic ${Buffer.from(applied.auth).toString('base64')}`;
        this.auth = { headers, at: performance.now() };
        return headers;
      } finally {
        this.authPending = undefined;
      }
    })();
    return this.authPending;
  }

  /** Request options: method, credentials, our headers, the shared agent, the proxy. */
  private async options(u: URL, req: Request): Promise<RequestOptions> {
    const headers = { ...(await this.authHeaders(u)) };
    headers['User-Agent'] = this.userAgent;
    headers.Accept = 'application/json';
    if (req.body !== undefined || req.rawBody !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
    }
    const opts: RequestOptions = { method: req.method, headers, agent: this.agent };
    const proxy = this.proxy ?? null;
    if (proxy !== null && u.protocol === 'http:') {
      // A plain-http server behind a proxy: absolute-form request to the proxy.
      opts.hostname = proxy.hostname;
      opts.port = proxy.port === '' ? (proxy.protocol === 'https:' ? 443 : 80) : Number(proxy.port);
      opts.path = u.href;
      headers.Host = u.host;
      const auth = proxyAuthorization(proxy);
      if (auth !== undefined) headers['Proxy-Authorization'] = auth;
    }
    return opts;
  }

  /** The request timeout in ms (0: none); a watch is bounded by it until it is accepted. */
  get requestTimeoutMs(): number {
    return this.timeoutMs;
  }

  /**
   * Opens the request and resolves with the response once its headers arrive, or rejects with an
   * UnavailableError when they do not arrive within headerTimeoutMs (undefined or 0: no limit)
   * or the signal aborts it.
   */
  async open(
    req: Request,
    headerTimeoutMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    // client-go's retry: a 429 or 5xx answer with a Retry-After of whole seconds is sent again
    // after that wait (and a token), up to MAX_RETRIES times; the last answer is returned as is.
    for (let attempt = 0; ; attempt++) {
      const res = await this.sendOnce(req, headerTimeoutMs, signal);
      const code = res.statusCode ?? 0;
      const wait = code === 429 || code >= 500 ? retryAfterSeconds(res) : undefined;
      if (wait === undefined || attempt >= MAX_RETRIES || this.closed || signal?.aborted)
        return res;
      res.resume();
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }

  /** One attempt: a token, the credentials, the request; resolves at its response headers. */
  private async sendOnce(
    req: Request,
    headerTimeoutMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    await this.limiter.acquire();
    const u = this.url(req);
    const what = `${req.method} ${u.pathname}`;
    if (this.closed) throw new UnavailableError(`${what}: the client is closed`, 503);
    const opts = await this.options(u, req);
    if (signal) opts.signal = signal;
    // An explicit length, not chunked encoding: after a chunked DELETE body kube-apiserver
    // answered the next request on the same keep-alive connection with a bare 400.
    const body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
    if (body !== undefined)
      (opts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(body));
    const proxied = this.proxy != null && u.protocol === 'http:';
    try {
      this.beforeSend?.(req.method, u.pathname);
    } catch (e) {
      throw e instanceof UnavailableError ? e : transportError(e, what);
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const report = (code: string): void => {
        try {
          this.onResult?.(code, req.method, u.host);
        } catch {
          // A metrics hook must not fail a request.
        }
      };
      let responded = false;
      const watch = req.query?.watch !== undefined;
      const sentAt = performance.now();
      const limiter = this.limiter;
      function onResponse(res: IncomingMessage): void {
        responded = true;
        if (timer !== undefined) clearTimeout(timer);
        report(String(res.statusCode ?? 0));
        const retryAfter = retryAfterSeconds(res);
        limiter.observe({
          method: req.method,
          watch,
          status: res.statusCode ?? 0,
          latencyMs: performance.now() - sentAt,
          ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
        });
        resolve(res);
      }
      const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = proxied ? httpRequest(opts, onResponse) : send(u, opts, onResponse);
      this.inflight.add(r);
      r.on('close', () => this.inflight.delete(r));
      const timer =
        headerTimeoutMs !== undefined && headerTimeoutMs > 0
          ? setTimeout(() => {
              r.destroy(new Error(`no answer within ${seconds(headerTimeoutMs)}`));
            }, headerTimeoutMs)
          : undefined;
      r.on('response', (res) => {
        // Credentials may have rotated: read them again before the next request.
        if (res.statusCode === 401) this.auth = undefined;
      });
      r.on('error', (e) => {
        if (timer !== undefined) clearTimeout(timer);
        // Only errors before a response; after one, the request reported its status.
        if (!responded) {
          report('<error>');
          limiter.observe({
            method: req.method,
            watch,
            status: 0,
            latencyMs: performance.now() - sentAt,
          });
        }
        reject(transportError(this.closed ? new Error('the client is closed') : e, what));
      });
      r.end(body);
    });
  }

  /**
   * Sends a request and resolves with the parsed JSON object it answers; rejects with a
   * ClusterError, an UnavailableError when the whole answer has not arrived within the timeout
   * or the answer is not a JSON object.
   */
  async json<T>(req: Request): Promise<T> {
    const started = performance.now();
    const res = await this.open(req, this.timeoutMs);
    const what = `${req.method} ${req.path}`;
    const left = this.timeoutMs > 0 ? this.timeoutMs - (performance.now() - started) : 0;
    const body = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer =
        this.timeoutMs > 0
          ? setTimeout(
              () => {
                res.destroy(new Error(`no complete answer within ${seconds(this.timeoutMs)}`));
              },
              Math.max(1, left),
            )
          : undefined;
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(
          chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        );
      });
      res.on('error', (e) => {
        if (timer !== undefined) clearTimeout(timer);
        reject(transportError(e, what));
      });
      res.on('close', () => {
        // Destroyed without 'error' or 'end' (the client was closed): never leave this pending.
        if (!res.complete) {
          if (timer !== undefined) clearTimeout(timer);
          reject(transportError(new Error('the answer was cut off'), what));
        }
      });
    });
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw errorFromStatus(code, parseStatus(body), what);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw transportError(e, `${what}: unparseable answer`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw transportError(
        new Error(`expected a JSON object, got ${describeJson(parsed)}`),
        `${what}: malformed answer`,
      );
    }
    return parsed as T;
  }

  /**
   * Aborts every request still in flight (watches included) and closes idle keep-alive sockets;
   * later requests fail at once. A process stopping calls it so nothing waits on the server.
   */
  close(): void {
    this.closed = true;
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
    this.agent?.destroy();
    this.agent = undefined;
  }
}

/** The Retry-After header as whole seconds, as client-go reads it (an integer, else none). */
function retryAfterSeconds(res: IncomingMessage): number | undefined {
  const h = res.headers['retry-after'];
  if (typeof h !== 'string' || !/^\d+$/.test(h.trim())) return undefined;
  return Number(h);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A short description of a JSON value for error messages: its type, and a string's start. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Fills opts with the kubeconfig's credentials and TLS material. client-node also builds an
 * agent there, and refuses a plain-http server without insecure-skip-tls-verify while doing so;
 * kubectl talks to such servers, and the agent is not used here, so that refusal is ignored
 * (everything else was applied before it).
 */
async function applyCredentials(kc: KubeConfig, opts: RequestOptions): Promise<void> {
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (!/HTTP protocol is not allowed|Unsupported proxy type/.test(msg)) throw err;
  }
}

/**
 * The one keep-alive agent: for https, the kubeconfig's CA, client certificate and key in one
 * secure context that every socket uses (Node makes a new one per socket from PEM options);
 * through the cluster's proxy-url when it has one.
 */
function makeAgent(
  u: URL,
  applied: RequestOptions,
  proxy: URL | null,
  timeoutMs: number,
): HttpAgent | HttpsAgent {
  if (u.protocol !== 'https:')
    return proxy !== null ? forwardProxyAgent() : new HttpAgent({ keepAlive: true });
  const secureContext = createSecureContext({
    ca: applied.ca,
    cert: applied.cert,
    key: applied.key,
    pfx: applied.pfx,
    passphrase: applied.passphrase,
  });
  const opts = {
    keepAlive: true,
    secureContext,
    ...(applied.rejectUnauthorized !== undefined
      ? { rejectUnauthorized: applied.rejectUnauthorized }
      : {}),
    ...(applied.servername ? { servername: applied.servername } : {}),
  };
  return proxy !== null ? new TunnelingAgent(proxy, timeoutMs, opts) : new HttpsAgent(opts);
}
