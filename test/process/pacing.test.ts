/**
 * The kube transport's pacing against a fake API server on a loopback port (issue 15): a 429 or
 * 5xx with Retry-After is sent again after the wait, as client-go does (up to 10 times, then the
 * answer stands), one without Retry-After is not; adaptive pacing is off by default, raises the
 * rate while writes are answered quickly and backs off at once on a 429.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import { MAX_RETRIES, Transport } from '../../src/cluster/kube/http.js';
import { UnavailableError } from '../../src/cluster/port.js';
import { json, startFakeApi, status, type FakeApi } from './fakeapi.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } };

describe('kube transport pacing', () => {
  let dir = '';
  let api: FakeApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-pacing-'));
    api = await startFakeApi();
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const kubeConfig = (): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig(dir));
    return kc;
  };

  test('a 429 with Retry-After is sent again after the wait, and then succeeds', async () => {
    let calls = 0;
    api.handler = (req, res) => {
      if (req.method !== 'POST') {
        status(res, 404, 'NotFound');
        return;
      }
      calls++;
      if (calls === 1) {
        res.setHeader('Retry-After', '1');
        status(res, 429, 'TooManyRequests', 'too many requests');
        return;
      }
      json(res, 201, pod);
    };
    const c = new KubeCluster({ kubeConfig: kubeConfig() });
    const t0 = performance.now();
    const created = await c.create('Pod', pod);
    const ms = performance.now() - t0;
    c.close();
    assert.equal(created.metadata?.name, 'p');
    assert.equal(calls, 2);
    assert.ok(ms >= 950, `resent after ${ms} ms, want the 1 s Retry-After`);
  });

  test('a 503 with Retry-After 0 is resent; after MAX_RETRIES the error stands', async () => {
    let calls = 0;
    api.handler = (_req, res) => {
      calls++;
      res.setHeader('Retry-After', '0');
      status(res, 503, 'ServiceUnavailable', 'busy');
    };
    const c = new KubeCluster({ kubeConfig: kubeConfig() });
    await assert.rejects(c.get('Pod', 'default', 'p'), UnavailableError);
    c.close();
    assert.equal(calls, MAX_RETRIES + 1);
  });

  test('a 429 without Retry-After is not resent (client-go needs the header)', async () => {
    let calls = 0;
    api.handler = (_req, res) => {
      calls++;
      status(res, 429, 'TooManyRequests', 'slow down');
    };
    const c = new KubeCluster({ kubeConfig: kubeConfig() });
    await assert.rejects(c.get('Pod', 'default', 'p'), UnavailableError);
    c.close();
    assert.equal(calls, 1);
  });

  test('fixed pacing by default: the rate stays at qps', async () => {
    api.handler = (_req, res) => {
      json(res, 201, pod);
    };
    const t = new Transport(kubeConfig(), { qps: 50, burst: 5 });
    await Promise.all(
      Array.from({ length: 40 }, () => t.json({ method: 'POST', path: '/api/v1/x', body: pod })),
    );
    t.close();
    assert.equal(t.limiter.stats().adaptive, false);
    assert.equal(t.limiter.qps, 50);
  });

  test('adaptive: quick answers raise the rate; a 429 brings it down at once', async () => {
    let reject = false;
    api.handler = (_req, res) => {
      if (reject) {
        res.setHeader('Retry-After', '0');
        status(res, 429, 'TooManyRequests', 'too many requests');
        return;
      }
      json(res, 201, pod);
    };
    const t = new Transport(kubeConfig(), { qps: 20, burst: 5, adaptive: { intervalMs: 50 } });
    const send = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => t.json({ method: 'POST', path: '/api/v1/x', body: pod })),
      );
    await send(60);
    const raised = t.limiter.qps;
    assert.ok(raised > 20, `rate ${raised} after quick answers`);
    reject = true;
    await assert.rejects(send(1), UnavailableError);
    assert.ok(t.limiter.qps < raised, `rate ${t.limiter.qps} after a 429 (was ${raised})`);
    assert.ok(t.limiter.stats().tooManyRequests >= 1);
    t.close();
  });
});
