/**
 * A fake Prometheus for offline tests: /api/v1/query (GET, or POST with a form body, as the HTTP
 * API documents) answers with what a real server answered to the same query
 * (recorded.json, written by record.ts); a query it has no recording for gets the 400 bad_data
 * error shape. Under a path prefix it plays the things that are not Prometheus at all: a proxy's
 * HTML 502, a 200 that is not JSON, an empty body, a JSON object of the wrong shape, a huge body,
 * a native-histogram sample, and a server that never answers.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Recorded } from './record.js';

/** The recorded answers by name. */
export const recorded: ReadonlyMap<string, Recorded> = new Map(
  (JSON.parse(readFileSync(join(import.meta.dirname, 'recorded.json'), 'utf8')) as Recorded[]).map(
    (r) => [r.name, r],
  ),
);

/** One request the fake saw. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
}

/** A running fake. */
export interface FakePrometheus {
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

const HISTOGRAM_BODY = JSON.stringify({
  status: 'success',
  data: {
    resultType: 'vector',
    result: [
      {
        metric: {},
        histogram: [1796600000, { count: '2', sum: '3', buckets: [[0, '0', '1', '2']] }],
      },
    ],
  },
});

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake on a free loopback port. */
export async function startFakePrometheus(): Promise<FakePrometheus> {
  const byQuery = new Map([...recorded.values()].map((r) => [r.query, r]));
  const requests: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = req.method === 'POST' ? await readBody(req) : '';
      const params = Object.fromEntries(
        new URLSearchParams(req.method === 'POST' ? body : url.search),
      );
      requests.push({ method: req.method ?? '', path: url.pathname, params, headers: req.headers });
      const prefix = url.pathname.replace(/\/api\/v1\/query$/, '');
      if (prefix === url.pathname) {
        send(res, 404, 'text/plain', '404 page not found\n');
        return;
      }
      switch (prefix) {
        case '/proxy502': {
          send(res, 502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
          return;
        }
        case '/notjson': {
          send(res, 200, 'text/plain', 'hello from not-prometheus');
          return;
        }
        case '/empty': {
          send(res, 200, 'application/json', '');
          return;
        }
        case '/wrongshape': {
          send(res, 200, 'application/json', '{"status":"ok","data":[]}');
          return;
        }
        case '/huge': {
          send(res, 200, 'application/json', `{"status":"success","pad":"${'x'.repeat(2 << 20)}"}`);
          return;
        }
        case '/histogram': {
          send(res, 200, 'application/json', HISTOGRAM_BODY);
          return;
        }
        case '/silent':
          hanging.add(res);
          return;
        default: {
          const r = byQuery.get(params.query ?? '');
          if (r) {
            send(res, r.status, r.contentType, r.body);
            return;
          }
          const error = `invalid parameter "query": fake: no recorded answer for ${JSON.stringify(params.query)}`;
          send(
            res,
            400,
            'application/json',
            JSON.stringify({ status: 'error', errorType: 'bad_data', error }),
          );
          return;
        }
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
