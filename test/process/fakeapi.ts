/**
 * A misbehaving Kubernetes API server on a loopback port, for process tests: every request goes
 * to a handler the test swaps at will (answer, fail with a status, never answer, stop mid-way),
 * and every request is recorded. Sockets the handler leaves open are destroyed by close(), so a
 * test never waits on them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One request as the server saw it. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
}

/** What a handler does with one request (it may also leave `res` unanswered forever). */
export type Handler = (req: Seen, res: ServerResponse) => void;

/** A running fake API server. */
export interface FakeApi {
  readonly url: string;
  readonly seen: Seen[];
  handler: Handler;
  /** Writes a kubeconfig pointing at this server into dir and returns its path. */
  kubeconfig(dir: string, extra?: { proxyUrl?: string; insecure?: boolean }): string;
  close(): Promise<void>;
}

/** Sends a JSON body with a status code. */
export function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A Status body with code and reason, as kube-apiserver sends for errors. */
export function status(res: ServerResponse, code: number, reason: string, message = reason): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
}

/**
 * A healthy-looking server with nothing in it: lists are empty, a watch is accepted and then
 * stays silent, Lease GET is 404 and writes echo their body back.
 */
export const emptyCluster: Handler = (req, res) => {
  if (req.query.get('watch') === '1') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    return;
  }
  if (req.method === 'GET' && /\/leases\//.test(req.path)) {
    status(res, 404, 'NotFound', 'leases not found');
    return;
  }
  if (req.method === 'GET') {
    json(res, 200, {
      kind: 'List',
      apiVersion: 'v1',
      metadata: { resourceVersion: '1' },
      items: [],
    });
    return;
  }
  const obj = (req.body === '' ? {} : JSON.parse(req.body)) as Record<string, unknown>;
  json(res, req.method === 'POST' ? 201 : 200, {
    ...obj,
    metadata: { ...(obj.metadata as object), resourceVersion: '2' },
  });
};

/** Never answers: the connection is accepted and left open. */
export const silent: Handler = () => undefined;

/** Starts a fake API server on 127.0.0.1 with a handler (default emptyCluster). */
export async function startFakeApi(handler: Handler = emptyCluster): Promise<FakeApi> {
  const sockets = new Set<Socket>();
  const seen: Seen[] = [];
  const api: { handler: Handler } = { handler };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const s: Seen = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      api.handler(s, res);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    seen,
    get handler() {
      return api.handler;
    },
    set handler(h: Handler) {
      api.handler = h;
    },
    kubeconfig(dir, extra = {}) {
      const file = join(dir, `kubeconfig-${port}`);
      const proxy = extra.proxyUrl === undefined ? '' : `, proxy-url: "${extra.proxyUrl}"`;
      // client-node refuses plain http unless TLS verification is off; kubectl does not care.
      const insecure = extra.insecure === false ? '' : ', insecure-skip-tls-verify: true';
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{name: c, cluster: {server: "${url}"${insecure}${proxy}}}]`,
          'users: [{name: u, user: {token: t}}]',
          'contexts: [{name: x, context: {cluster: c, user: u, namespace: ns1}}]',
          'current-context: x',
        ].join('\n'),
      );
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
