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
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
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
  readonly limiter: TokenBucket;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private agent: HttpAgent | HttpsAgent | undefined;
  private auth: { headers: Record<string, string>; at: number } | undefined;
  private authPending: Promise<Record<string, string>> | undefined;
  private base: string | undefined;

  constructor(
    private readonly kc: KubeConfig,
    opts: TransportOptions = {},
  ) {
    this.limiter = new TokenBucket(opts.qps ?? 20, opts.burst ?? 30);
    this.userAgent = opts.userAgent ?? 'everynode/0.1.0';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  private url(req: Request): URL {
    if (this.base === undefined) {
      const server = this.kc.getCurrentCluster()?.server;
      if (!server)
        throw transportError(new Error('the kubeconfig has no current cluster'), req.path);
      this.base = server.replace(/\/+$/, '');
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
        await this.kc.applyToHTTPSOptions(applied);
        this.agent ??= makeAgent(u, applied);
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

  /** Request options: method, credentials, our headers, the shared agent. */
  private async options(
    u: URL,
    req: Request,
    timeoutMs: number | undefined,
  ): Promise<RequestOptions> {
    const headers = { ...(await this.authHeaders(u)) };
    headers['User-Agent'] = this.userAgent;
    headers.Accept = 'application/json';
    if (req.body !== undefined || req.rawBody !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
    }
    const opts: RequestOptions = { method: req.method, headers, agent: this.agent };
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
    // An explicit length, not chunked encoding: after a chunked DELETE body kube-apiserver
    // answered the next request on the same keep-alive connection with a bare 400.
    const body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
    if (body !== undefined)
      (opts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(body));
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, (res) => {
        // Credentials may have rotated: read them again before the next request.
        if (res.statusCode === 401) this.auth = undefined;
        resolve(res);
      });
      r.on('timeout', () => r.destroy(new Error(`no answer within ${(timeoutMs ?? 0) / 1000}s`)));
      r.on('error', (e) => {
        reject(transportError(e, what));
      });
      r.end(body);
    });
  }

  /** Sends a request and resolves with the parsed JSON answer; rejects with a ClusterError. */
  async json<T>(req: Request): Promise<T> {
    const res = await this.open(req, this.timeoutMs);
    const what = `${req.method} ${req.path}`;
    const body = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        resolve(
          chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        );
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

/**
 * The one keep-alive agent: for https, the kubeconfig's CA, client certificate and key in one
 * secure context that every socket uses (Node makes a new one per socket from PEM options).
 */
function makeAgent(u: URL, applied: RequestOptions): HttpAgent | HttpsAgent {
  if (u.protocol !== 'https:') return new HttpAgent({ keepAlive: true });
  const secureContext = createSecureContext({
    ca: applied.ca,
    cert: applied.cert,
    key: applied.key,
    pfx: applied.pfx,
    passphrase: applied.passphrase,
  });
  return new HttpsAgent({
    keepAlive: true,
    secureContext,
    ...(applied.rejectUnauthorized !== undefined
      ? { rejectUnauthorized: applied.rejectUnauthorized }
      : {}),
    ...(applied.servername ? { servername: applied.servername } : {}),
  });
}
