/**
 * A fault-injecting proxy between everynode and the test cluster's kube-apiserver, on a loopback
 * port: it terminates TLS with the cluster's own serving certificate (valid for 127.0.0.1),
 * forwards each request with the admin client certificate, and, while a fault is switched on,
 * answers some requests itself: 429 with Retry-After, 503, a watch ended by a 410 Gone event
 * (as when the watch cache has compacted past the client's version), or no answer at all (a
 * server that stopped answering mid-request). It counts what it did, and writes a kubeconfig
 * that points at it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpsRequest, Agent, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

/** What the proxy does to the requests it sees, while switched on. */
export interface Fault {
  /** 429 with Retry-After: 1 for this share of non-watch requests. */
  readonly throttle?: number;
  /** 503 for this share of non-watch requests. */
  readonly unavailable?: number;
  /** End every watch after its first bytes with an ERROR 410 Gone event. */
  readonly gone?: boolean;
  /** Accept requests and never answer (watches too), until the fault is switched off. */
  readonly silent?: boolean;
}

/** Counters of what the proxy did. */
export interface FaultCounts {
  forwarded: number;
  throttled: number;
  unavailable: number;
  gone: number;
  silenced: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  readonly url: string;
  readonly kubeconfig: string;
  readonly counts: FaultCounts;
  /** Switches a fault on (replacing the previous one) or off (undefined). */
  set(fault: Fault | undefined): void;
  close(): Promise<void>;
}

/**
 * Starts the proxy in front of `upstream` (https://127.0.0.1:port) with the PKI in `pkiDir`
 * (ca.crt, admin.crt, admin.key as scripts/cluster/pki.ts writes them); the kubeconfig is written
 * to `dir`.
 */
export async function startFaultProxy(
  upstream: string,
  pkiDir: string,
  dir: string,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const ca = readFileSync(join(pkiDir, 'ca.crt'));
  const cert = readFileSync(join(pkiDir, 'admin.crt'));
  const key = readFileSync(join(pkiDir, 'admin.key'));
  const agent = new Agent({ keepAlive: true, ca, cert, key });
  const up = new URL(upstream);
  const counts: FaultCounts = { forwarded: 0, throttled: 0, unavailable: 0, gone: 0, silenced: 0 };
  let fault: Fault | undefined;
  const held = new Set<ServerResponse>();
  /** Watches being streamed: a fault switched on also reaches them. */
  const watches = new Set<{ ures: IncomingMessage; res: ServerResponse; piped: boolean }>();
  const goneEvent = `${JSON.stringify({
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
      message: 'fault proxy: too old resource version',
    },
  })}\n`;
  const sockets = new Set<Socket>();

  const status = (res: ServerResponse, code: number, reason: string, extra = {}): void => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason,
      message: `fault proxy: ${reason}`,
    });
    res.writeHead(code, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, watch: boolean): void => {
    counts.forwarded++;
    const headers = { ...req.headers, host: up.host };
    delete headers.authorization;
    const out = httpsRequest(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers, agent },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        if (watch && fault?.gone && ures.statusCode === 200) {
          // End it at once, as a watch from a compacted version is.
          counts.gone++;
          res.end(goneEvent);
          ures.destroy();
          return;
        }
        if (watch) {
          const w = { ures, res, piped: fault?.silent !== true };
          watches.add(w);
          res.on('close', () => watches.delete(w));
          if (!w.piped) return;
        }
        ures.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const server: Server = createServer({ ca, cert, key }, (req, res) => {
    const watch = /[?&]watch=(1|true)/.test(req.url ?? '');
    const f = fault;
    if (f?.silent) {
      counts.silenced++;
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (!watch && f?.throttle !== undefined && random() < f.throttle) {
      counts.throttled++;
      status(res, 429, 'TooManyRequests', { 'retry-after': '1' });
      return;
    }
    if (!watch && f?.unavailable !== undefined && random() < f.unavailable) {
      counts.unavailable++;
      status(res, 503, 'ServiceUnavailable');
      return;
    }
    forward(req, res, watch);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, `kubeconfig-faultproxy-${port}`);
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'proxy',
          cluster: { server: url, 'certificate-authority-data': ca.toString('base64') },
        },
      ],
      users: [
        {
          name: 'admin',
          user: {
            'client-certificate-data': cert.toString('base64'),
            'client-key-data': key.toString('base64'),
          },
        },
      ],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'admin' } }],
      'current-context': 'proxy',
    }),
  );
  return {
    url,
    kubeconfig,
    counts,
    set(f) {
      fault = f;
      for (const w of watches) {
        if (f?.gone) {
          // Every open watch ends with 410 Gone: the client must relist.
          counts.gone++;
          w.ures.unpipe(w.res);
          w.ures.destroy();
          w.res.end(goneEvent);
        } else if (f?.silent) {
          // Open watches go quiet (events wait upstream) until the fault ends.
          if (w.piped) w.ures.unpipe(w.res);
          w.ures.pause();
          w.piped = false;
        } else if (!w.piped) {
          w.ures.pipe(w.res);
          w.piped = true;
        }
      }
      // Requests held by a silent fault stay unanswered: the client must give up on them.
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
