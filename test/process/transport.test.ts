/**
 * The kube adapter against misbehaving servers on loopback ports (issue 17 items 3 and 8, issue
 * 14's proxy-url): every request is bounded by the request timeout (no answer, an answer that
 * stops half-way, a watch never accepted), close() aborts what is in flight, malformed answers
 * are errors naming the request, a plain-http server needs no insecure-skip-tls-verify, and a
 * kubeconfig's proxy-url is honoured through a CONNECT proxy (https) or as a forward proxy (http).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import { UnavailableError } from '../../src/cluster/port.js';
import { RealClock } from '../../src/clock/clock.js';
import { Informer } from '../../src/controller/informer.js';
import { emptyCluster, json, silent, startFakeApi, type FakeApi } from './fakeapi.js';

function clusterFor(kubeconfig: string, timeoutMs = 500): KubeCluster {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new KubeCluster({ kubeConfig: kc, timeoutMs });
}

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; err: unknown }> {
  const t0 = performance.now();
  try {
    await p;
    return { ms: performance.now() - t0, err: undefined };
  } catch (err) {
    return { ms: performance.now() - t0, err };
  }
}

describe('kube adapter against a misbehaving server', () => {
  let dir = '';
  let api: FakeApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-transport-'));
    api = await startFakeApi();
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a server that never answers: the request fails after the timeout, naming it', async () => {
    api.handler = silent;
    const c = clusterFor(api.kubeconfig(dir), 300);
    const r = await elapsed(c.list('Pod'));
    c.close();
    assert.ok(r.err instanceof UnavailableError, String(r.err));
    assert.match(String(r.err), /GET \/api\/v1\/pods: no answer within 300ms/);
    assert.ok(r.ms >= 250 && r.ms < 10_000, `${r.ms} ms`);
  });

  test('an answer that stops half-way: the request fails at the deadline', async () => {
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"kind":"PodList","items":[');
    };
    const c = clusterFor(api.kubeconfig(dir), 300);
    const r = await elapsed(c.list('Pod'));
    c.close();
    assert.match(String(r.err), /no complete answer within 300ms/);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
  });

  test('a watch the server never accepts fails after the timeout', async () => {
    api.handler = silent;
    const c = clusterFor(api.kubeconfig(dir), 300);
    const r = await elapsed(c.watch('Pod', { resourceVersion: '1' }, () => undefined));
    c.close();
    assert.match(String(r.err), /no answer within 300ms/);
  });

  test('an accepted watch is not cut by the request timeout', async () => {
    api.handler = emptyCluster;
    const c = clusterFor(api.kubeconfig(dir), 200);
    const w = await c.watch('Pod', { resourceVersion: '1' }, () => undefined);
    let ended = false;
    void w.done.finally(() => (ended = true));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ended, false);
    w.stop();
    await w.done;
    c.close();
  });

  test('close() aborts requests in flight at once; later requests fail', async () => {
    api.handler = silent;
    const c = clusterFor(api.kubeconfig(dir), 60_000);
    const pending = elapsed(c.get('Pod', 'ns1', 'x'));
    while (!api.seen.some((s) => s.path === '/api/v1/namespaces/ns1/pods/x'))
      await new Promise((r) => setTimeout(r, 10));
    c.close();
    const r = await pending;
    assert.ok(r.err instanceof UnavailableError, String(r.err));
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    await assert.rejects(c.list('Node'), /the client is closed/);
  });

  test('items: "nope" is a clear error naming the request, not a TypeError', async () => {
    api.handler = (_req, res) => {
      json(res, 200, { kind: 'PodList', metadata: { resourceVersion: '3' }, items: 'nope' });
    };
    const c = clusterFor(api.kubeconfig(dir));
    await assert.rejects(
      c.list('Pod'),
      (e: unknown) =>
        e instanceof UnavailableError &&
        e.message ===
          'GET /api/v1/pods: malformed list: items: expected an array, got the string "nope"',
    );
    api.handler = (_req, res) => {
      json(res, 200, { kind: 'PodList', items: [{ metadata: 'x' }] });
    };
    await assert.rejects(c.list('Pod'), /malformed list: items\[0\]: metadata: expected an object/);
    api.handler = (_req, res) => {
      json(res, 200, ['not', 'an', 'object']);
    };
    await assert.rejects(
      c.get('Pod', 'a', 'b'),
      /malformed answer: .*expected a JSON object, got an array/,
    );
    c.close();
  });

  test('a watch event whose object is not an object ends the watch with an error', async () => {
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: 'nope' })}\n`);
    };
    const c = clusterFor(api.kubeconfig(dir));
    const seen: unknown[] = [];
    const w = await c.watch('Pod', { resourceVersion: '1' }, (e) => seen.push(e));
    await assert.rejects(
      w.done,
      /watch \/api\/v1\/pods: malformed ADDED event: expected an object/,
    );
    assert.equal(seen.length, 0);
    c.close();
  });

  test('a watch that goes silent mid-stream is restarted by the informer (silence timeout)', async () => {
    let watches = 0;
    api.handler = (req, res) => {
      if (req.query.get('watch') !== '1') {
        emptyCluster(req, res);
        return;
      }
      // One event, then nothing: a server (or a network path) that stopped answering mid-watch.
      watches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(
        `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: `n${watches}`, resourceVersion: String(watches + 1) } } })}\n`,
      );
    };
    const c = clusterFor(api.kubeconfig(dir), 5000);
    const inf = new Informer({
      cluster: c,
      kind: 'Node',
      clock: new RealClock(),
      watchTimeoutMs: 300,
      backoff: { initialMs: 10, maxMs: 10, jitter: 0 },
    });
    inf.start();
    const t0 = performance.now();
    while (inf.stats.watches < 3 && performance.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 20));
    await inf.stop();
    c.close();
    assert.ok(inf.stats.watches >= 3, `${inf.stats.watches} watches in 5 s`);
    assert.equal(inf.store.size(), inf.stats.watches, 'every watch delivered its event');
  });

  test('onResult counts every HTTP request: status, or <error> without a response', async () => {
    const results: string[] = [];
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig(dir));
    const c = new KubeCluster({
      kubeConfig: kc,
      timeoutMs: 200,
      onResult: (code, method, host) => results.push(`${code} ${method} ${host}`),
    });
    api.handler = emptyCluster;
    await c.list('Node');
    api.handler = (_req, res) => {
      json(res, 404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'x' });
    };
    await assert.rejects(c.get('Pod', 'a', 'b'));
    api.handler = silent;
    await assert.rejects(c.get('Pod', 'a', 'b'));
    c.close();
    const host = new URL(api.url).host;
    assert.deepEqual(results, [`200 GET ${host}`, `404 GET ${host}`, `<error> GET ${host}`]);
  });

  test('beforeSend is checked as the request leaves: a write that waited for a token is refused', async () => {
    api.handler = emptyCluster;
    let open = true;
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig(dir));
    const c = new KubeCluster({
      kubeConfig: kc,
      qps: 2,
      burst: 1,
      beforeSend: (method) => {
        if (method !== 'GET' && !open) throw new Error('fenced');
      },
    });
    const before = api.seen.length;
    await c.create('Pod', { metadata: { namespace: 'ns1', name: 'a' } });
    // The second create waits ~0.5 s for a token; the gate closes meanwhile.
    const second = c.create('Pod', { metadata: { namespace: 'ns1', name: 'b' } });
    open = false;
    await assert.rejects(second, /fenced/);
    await c.list('Pod');
    c.close();
    assert.deepEqual(
      api.seen.slice(before).map((s) => s.method),
      ['POST', 'GET'],
    );
  });

  test('a plain-http server needs no insecure-skip-tls-verify (as kubectl)', async () => {
    api.handler = emptyCluster;
    const c = clusterFor(api.kubeconfig(dir, { insecure: false }));
    const list = await c.list('Node');
    assert.equal(list.resourceVersion, '1');
    c.close();
  });
});

/** A CONNECT proxy on loopback that also forwards absolute-form http requests; counts both. */
async function startProxy(): Promise<{
  url: string;
  connects: string[];
  forwards: string[];
  auth: (string | undefined)[];
  close: () => Promise<void>;
}> {
  const connects: string[] = [];
  const forwards: string[] = [];
  const auth: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((client) => {
    sockets.add(client);
    client.once('data', (head: Buffer) => {
      const text = head.toString('latin1');
      const [line = ''] = text.split('\r\n');
      const [method = '', target = ''] = line.split(' ');
      auth.push(/proxy-authorization: (.*)\r\n/i.exec(text)?.[1]);
      const upstreamOf = (hostPort: string): Socket => {
        const [host, port] = hostPort.split(':');
        const s = connect(Number(port), host);
        sockets.add(s);
        s.on('error', () => client.destroy());
        client.on('error', () => s.destroy());
        return s;
      };
      if (method === 'CONNECT') {
        connects.push(target);
        const up = upstreamOf(target);
        up.once('connect', () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          up.pipe(client);
          client.pipe(up);
        });
        return;
      }
      const u = new URL(target);
      forwards.push(target);
      const up = upstreamOf(u.host);
      up.once('connect', () => {
        up.write(head.toString('latin1').replace(target, `${u.pathname}${u.search}`));
        up.pipe(client);
        client.pipe(up);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://user:secret@127.0.0.1:${port}`,
    connects,
    forwards,
    auth,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          r();
        });
      }),
  };
}

describe("a kubeconfig's proxy-url", () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-proxy-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('https API server: TLS inside a CONNECT tunnel, CA verified, proxy credentials sent', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => {
        json(res, 200, { kind: 'NodeList', metadata: { resourceVersion: '42' }, items: [] });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const proxy = await startProxy();
    const kc = new KubeConfig();
    kc.loadFromString(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: `https://127.0.0.1:${port}`,
              'certificate-authority-data': readFileSync(join(dir, 'cert.pem')).toString('base64'),
              'proxy-url': proxy.url,
            },
          },
        ],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const c = new KubeCluster({ kubeConfig: kc, timeoutMs: 5000 });
    try {
      assert.equal((await c.list('Node')).resourceVersion, '42');
      assert.equal((await c.list('Node')).resourceVersion, '42');
      assert.deepEqual(proxy.connects, [`127.0.0.1:${port}`], 'one tunnel, kept alive');
      assert.equal(proxy.auth[0], `Basic ${Buffer.from('user:secret').toString('base64')}`);
    } finally {
      c.close();
      await proxy.close();
      server.close();
    }
  });

  test('plain-http API server: absolute-form requests through the proxy', async () => {
    const api = await startFakeApi(emptyCluster);
    const proxy = await startProxy();
    const c = clusterFor(api.kubeconfig(dir, { proxyUrl: proxy.url }), 5000);
    try {
      assert.equal((await c.list('Node')).resourceVersion, '1');
      assert.deepEqual(proxy.forwards, [`${api.url}/api/v1/nodes`]);
      assert.equal(api.seen.length, 1);
    } finally {
      c.close();
      await proxy.close();
      await api.close();
    }
  });

  test('a socks proxy-url is refused with a clear error', async () => {
    const api = await startFakeApi(emptyCluster);
    const c = clusterFor(api.kubeconfig(dir, { proxyUrl: 'socks5://127.0.0.1:1080' }));
    await assert.rejects(
      c.list('Node'),
      /proxy-url "socks5:\/\/127\.0\.0\.1:1080": scheme socks5 is not supported/,
    );
    c.close();
    await api.close();
  });
});
