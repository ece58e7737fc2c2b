/**
 * The HTTP transport of the kube adapter: authentication from @kubernetes/client-node's
 * KubeConfig (certs, tokens, exec plugins, in-cluster config), one keep-alive agent, client-side
 * rate limiting, our user agent, and raw JSON in and out, so objects stay in wire form exactly as
 * the server sent them (no typed model that drops unknown fields or turns times into Dates).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { errorFromStatus, parseStatus, transportError } from './errors.js';
import { TokenBucket } from './ratelimit.js';

/** Options of the transport; defaults follow client-go (qps 20, burst 30). */
export interface TransportOptions {
  readonly qps?: number;
  readonly burst?: number;
  readonly userAgent?: string;
  /** Per-request timeout for non-watch calls. Default 60 s. */
  readonly timeoutMs?: number;
}

/** One request: method, path (with no query), query parameters, JSON body, content type. */
export interface Request {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** Sends requests to the kubeconfig's current cluster; every failure is a ClusterError. */
export class Transport {
  readonly limiter: TokenBucket;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private agent: HttpAgent | HttpsAgent | undefined;

  constructor(
    private readonly kc: KubeConfig,
    opts: TransportOptions = {},
  ) {
    this.limiter = new TokenBucket(opts.qps ?? 20, opts.burst ?? 30);
    this.userAgent = opts.userAgent ?? 'everynode/0.1.0';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  private url(req: Request): URL {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw transportError(new Error('the kubeconfig has no current cluster'), req.path);
    const u = new URL(server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    }
    return u;
  }

  /** Request options with credentials applied (re-applied per call so rotating tokens work). */
  private async options(
    u: URL,
    req: Request,
    timeoutMs: number | undefined,
  ): Promise<RequestOptions> {
    const opts: RequestOptions = { method: req.method, headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    // client-node makes a fresh agent per call; keep one with keep-alive instead.
    this.agent ??=
      u.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            pfx: opts.pfx,
            passphrase: opts.passphrase,
            ...(opts.rejectUnauthorized !== undefined
              ? { rejectUnauthorized: opts.rejectUnauthorized }
              : {}),
            ...(opts.servername ? { servername: opts.servername } : {}),
          })
        : new HttpAgent({ keepAlive: true });
    opts.agent = this.agent;
    const headers = { ...(opts.headers as Record<string, string>) };
    headers['User-Agent'] = this.userAgent;
    headers.Accept = 'application/json';
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      // An explicit length, not chunked encoding: after a chunked DELETE body kube-apiserver
      // answered the next request on the same keep-alive connection with a bare 400.
      headers['Content-Length'] = String(Buffer.byteLength(JSON.stringify(req.body)));
    }
    opts.headers = headers;
    if (timeoutMs !== undefined) opts.timeout = timeoutMs;
    return opts;
  }

  /** Opens the request and resolves with the response once headers arrive. */
  async open(
    req: Request,
    timeoutMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    await this.limiter.acquire();
    const u = this.url(req);
    const opts = await this.options(u, req, timeoutMs);
    if (signal) opts.signal = signal;
    const what = `${req.method} ${u.pathname}`;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, resolve);
      r.on('timeout', () => r.destroy(new Error(`no answer within ${(timeoutMs ?? 0) / 1000}s`)));
      r.on('error', (e) => {
        reject(transportError(e, what));
      });
      if (req.body !== undefined) r.write(JSON.stringify(req.body));
      r.end();
    });
  }

  /** Sends a request and resolves with the parsed JSON answer; rejects with a ClusterError. */
  async json<T>(req: Request): Promise<T> {
    const res = await this.open(req, this.timeoutMs);
    const what = `${req.method} ${req.path}`;
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        resolve(text);
      });
      res.on('error', (e) => {
        reject(transportError(e, what));
      });
    });
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw errorFromStatus(code, parseStatus(body), what);
    try {
      return JSON.parse(body) as T;
    } catch (e) {
      throw transportError(e, `${what}: unparseable answer`);
    }
  }

  /** Closes idle keep-alive sockets, so a process using the adapter can exit promptly. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
