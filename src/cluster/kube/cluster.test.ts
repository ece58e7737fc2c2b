import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { revisionDataBytes, revisionDataFor } from '../../api/hash.js';
import type { ControllerRevision, DaemonSet } from '../../api/types.js';
import { KubeCluster } from './cluster.js';

/** A server that records each request's raw body and answers with it parsed (as a create does). */
async function recorder(): Promise<{
  cluster: KubeCluster;
  bodies: { method: string; url: string; body: Buffer }[];
  close: () => Promise<void>;
}> {
  const bodies: { method: string; url: string; body: Buffer }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(body.length > 0 ? body : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const cluster = new KubeCluster({ kubeConfig: kc });
  return {
    cluster,
    bodies,
    close: async () => {
      cluster.close();
      await new Promise<void>((r) => {
        server.close(() => {
          r();
        });
      });
    },
  };
}

const ds = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'ns' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'agent' } },
      spec: {
        containers: [{ name: 'c', image: 'img', env: [{ name: 'X', value: '<a & b>\u2028é' }] }],
      },
    },
  },
} as unknown as DaemonSet;

test('a ControllerRevision is sent with its data as Go writes it, byte for byte', async () => {
  const r = await recorder();
  try {
    const rev: ControllerRevision = {
      metadata: { name: 'agent-1', namespace: 'ns' },
      data: revisionDataFor(ds),
      revision: 1,
    };
    await r.cluster.create('ControllerRevision', rev);
    await r.cluster.update('ControllerRevision', rev);
    assert.equal(r.bodies.length, 2);
    for (const { body } of r.bodies) {
      const text = body.toString('utf8');
      assert.ok(
        text.includes(`"data":${revisionDataBytes(ds)},`),
        `the data bytes are not in the body: ${text}`,
      );
      assert.ok(body.includes(Buffer.from('\\u003ca \\u0026 b\\u003e\\u2028é')));
      assert.ok(text.includes('"creationTimestamp":null'));
    }
    assert.equal(r.bodies[0]!.method, 'POST');
    assert.equal(r.bodies[0]!.url, '/apis/apps/v1/namespaces/ns/controllerrevisions');
    assert.equal(r.bodies[1]!.method, 'PUT');
  } finally {
    await r.close();
  }
});

test('other kinds are sent as JSON.stringify writes them', async () => {
  const r = await recorder();
  try {
    await r.cluster.create('DaemonSet', ds);
    const body = r.bodies[0]!.body.toString('utf8');
    assert.equal(body, JSON.stringify({ apiVersion: 'apps/v1', kind: 'DaemonSet', ...ds }));
  } finally {
    await r.close();
  }
});
