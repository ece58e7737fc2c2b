/**
 * A kubeconfig cluster's `proxy-url`, as client-go honours it: an https API server is reached
 * through an HTTP CONNECT tunnel opened on the proxy (http:// or https:// proxy URL, with its
 * user:password as Basic Proxy-Authorization), and TLS to the API server runs inside the tunnel;
 * a plain-http API server is sent absolute-form requests through the proxy. SOCKS proxies are
 * refused with a clear error (client-go supports socks5; nothing here needs it yet).
 */
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/** The parsed proxy URL; throws an Error naming the URL when it is not usable. */
export function parseProxyUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`proxy-url ${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(
      `proxy-url ${JSON.stringify(raw)}: scheme ${u.protocol.slice(0, -1)} is not supported (http and https are)`,
    );
  }
  return u;
}

/** The Proxy-Authorization header for a proxy URL with credentials, else undefined. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(cred).toString('base64')}`;
}

function defaultPort(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}

/**
 * Opens a CONNECT tunnel to host:port through the proxy and hands the raw socket to done, or
 * an Error naming the proxy and its answer. timeoutMs bounds the whole exchange.
 */
export function openTunnel(
  proxy: URL,
  host: string,
  port: number,
  timeoutMs: number,
  done: (err: Error | null, socket?: Socket) => void,
): void {
  const proxyPort = defaultPort(proxy);
  const socket: Socket =
    proxy.protocol === 'https:'
      ? tlsConnect({ host: proxy.hostname, port: proxyPort, servername: proxy.hostname })
      : netConnect({ host: proxy.hostname, port: proxyPort });
  let settled = false;
  const settle = (err: Error | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    if (err !== null) {
      socket.destroy();
      done(err);
    } else done(null, socket);
  };
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          settle(new Error(`proxy ${proxy.host}: no answer to CONNECT within ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const auth = proxyAuthorization(proxy);
  socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    socket.write(
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n` +
        (auth === undefined ? '' : `Proxy-Authorization: ${auth}\r\n`) +
        '\r\n',
    );
  });
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16_384) settle(new Error(`proxy ${proxy.host}: CONNECT answer too long`));
      return;
    }
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    if (code !== 200) {
      settle(new Error(`proxy ${proxy.host} refused CONNECT ${target}: ${statusLine}`));
      return;
    }
    // Bytes after the header belong to the tunnel (the server speaks first only in TLS 1.3
    // after our ClientHello, so there are none in practice); give them back.
    const rest = head.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    settle(null);
  };
  socket.on('data', onData);
  socket.once('error', (e) => {
    settle(new Error(`proxy ${proxy.host}: ${e.message}`));
  });
  socket.once('close', () => {
    settle(new Error(`proxy ${proxy.host} closed the connection during CONNECT`));
  });
}

type CreateCallback = (err: Error | null, stream: Duplex) => void;

/**
 * A keep-alive https agent whose sockets are TLS inside a CONNECT tunnel through `proxy`. The
 * agent's TLS options (secure context, servername, rejectUnauthorized) apply to the API server,
 * as without a proxy.
 */
export class TunnelingAgent extends HttpsAgent {
  constructor(
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: ClientRequestArgs, callback?: CreateCallback): Duplex {
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = Number(options.port ?? 443);
    openTunnel(this.proxy, host, port, this.connectTimeoutMs, (err, socket) => {
      if (err !== null || socket === undefined) {
        callback?.(err ?? new Error('no tunnel'), undefined as unknown as Duplex);
        return;
      }
      const base = super.createConnection.bind(this) as (o: object) => Duplex;
      callback?.(null, base({ ...options, socket }));
    });
    // The socket arrives through the callback; Node's Agent waits for it.
    return undefined as unknown as Duplex;
  }
}

/** The agent for plain-http API servers behind a proxy: keep-alive connections to the proxy. */
export function forwardProxyAgent(): HttpAgent {
  return new HttpAgent({ keepAlive: true });
}
