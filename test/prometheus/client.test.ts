/**
 * The Prometheus gate's client against a fake that replays a real Prometheus 3.16's answers
 * (recorded.json) and plays the failures that are not Prometheus; offline, a few hundred ms.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryPrometheus } from '../../src/controller/prometheus.js';
import { recorded, startFakePrometheus, type FakePrometheus } from './fake.js';
import { freePort } from './server.js';

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(async () => {
  await fake.close();
});

const q = (name: string) => recorded.get(name)!.query;
const at = () => `prometheus ${fake.url}/api/v1/query`;

describe('queryPrometheus against recorded answers', () => {
  const cases: [name: string, kind: string, want: number | string][] = [
    ['value', 'value', 0.25],
    ['scalar', 'value', 2],
    ['posInf', 'value', Infinity],
    ['noData', 'NoData', ': the query returned no series'],
    [
      'severalSeries',
      'SeveralSeries',
      ': the query returned 2 series, the gate needs one (aggregate it, e.g. sum(...)): {a="x"}, {a="y"}',
    ],
    ['nan', 'NaN', ': the query returned NaN'],
    [
      'string',
      'UnsupportedResultType',
      ': the query returned a string; the gate needs an instant vector with one series or a scalar',
    ],
    [
      'matrix',
      'UnsupportedResultType',
      ': the query returned a matrix; the gate needs an instant vector with one series or a scalar',
    ],
    [
      'parseError',
      'QueryError',
      ': HTTP 400, bad_data: invalid parameter "query": 1:16: parse error: unclosed left parenthesis',
    ],
    [
      'executionError',
      'QueryError',
      ': HTTP 422, execution: vector cannot contain metrics with the same labelset',
    ],
  ];
  for (const [name, kind, want] of cases) {
    test(`${name}: ${kind}`, async () => {
      const got = await queryPrometheus(fake.url, q(name));
      if (kind === 'value') assert.deepEqual(got, { kind: 'value', value: want });
      else assert.deepEqual(got, { kind: 'inconclusive', reason: kind, message: `${at()}${want}` });
    });
  }
});

describe('queryPrometheus: what is not Prometheus', () => {
  const cases: [prefix: string, reason: string, message: string][] = [
    [
      '/proxy502',
      'HTTPError',
      ': HTTP 502 Bad Gateway: <html><body><h1>502 Bad Gateway</h1></body></html>',
    ],
    ['/notjson', 'BadResponse', ': HTTP 200: not a JSON object: hello from not-prometheus'],
    ['/empty', 'BadResponse', ': HTTP 200: not a JSON object: (empty body)'],
    ['/wrongshape', 'BadResponse', ': HTTP 200: "status" is "ok", not "success" or "error"'],
    ['/huge', 'BadResponse', ': HTTP 200: the body is larger than 1048576 bytes'],
    ['/histogram', 'UnsupportedResultType', ': the sample is a native histogram, not a number'],
  ];
  for (const [prefix, reason, message] of cases) {
    test(`${prefix}: ${reason}`, async () => {
      const got = await queryPrometheus(fake.url + prefix, 'up');
      assert.deepEqual(got, {
        kind: 'inconclusive',
        reason,
        message: `prometheus ${fake.url}${prefix}/api/v1/query${message}`,
      });
    });
  }

  test('a server that never answers: Timeout after the deadline', async () => {
    const t0 = Date.now();
    const got = await queryPrometheus(`${fake.url}/silent`, 'up', { timeoutMs: 300 });
    assert.deepEqual(got, {
      kind: 'inconclusive',
      reason: 'Timeout',
      message: `prometheus ${fake.url}/silent/api/v1/query: no answer within 300 ms`,
    });
    assert.ok(Date.now() - t0 < 5000);
  });

  test('an address nothing listens on: Unreachable, naming the cause', async () => {
    const port = await freePort();
    const got = await queryPrometheus(`http://127.0.0.1:${port}`, 'up');
    assert.equal(got.kind, 'inconclusive');
    assert.ok(got.kind === 'inconclusive');
    assert.equal(got.reason, 'Unreachable');
    assert.equal(
      got.message,
      `prometheus http://127.0.0.1:${port}/api/v1/query: no answer: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  test('a cancelled query (shutdown): Unreachable, cancelled', async () => {
    const ac = new AbortController();
    const p = queryPrometheus(`${fake.url}/silent`, 'up', { signal: ac.signal });
    setTimeout(() => {
      ac.abort();
    }, 50);
    const got = await p;
    assert.ok(got.kind === 'inconclusive' && got.message.endsWith(': the query was cancelled'));
  });

  test('bad addresses: BadAddress without a request', async () => {
    const n = fake.requests.length;
    assert.deepEqual(await queryPrometheus('prometheus:9090', 'up'), {
      kind: 'inconclusive',
      reason: 'BadAddress',
      message: 'address "prometheus:9090": the scheme must be http or https',
    });
    assert.deepEqual(await queryPrometheus('not a url', 'up'), {
      kind: 'inconclusive',
      reason: 'BadAddress',
      message: 'address "not a url" is not a URL',
    });
    assert.equal(fake.requests.length, n);
  });
});

describe('queryPrometheus: the request', () => {
  test('GET with query and time in the URL; a path prefix and credentials are honoured', async () => {
    const addr = fake.url.replace('http://', 'http://gate:s%3Acret@') + '/prom/';
    const got = await queryPrometheus(addr, q('value'), { time: 1796600000123 });
    assert.deepEqual(got, { kind: 'value', value: 0.25 });
    const r = fake.requests.at(-1)!;
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/prom/api/v1/query');
    assert.deepEqual(r.params, { query: q('value'), time: '1796600000.123' });
    assert.equal(r.headers.authorization, `Basic ${Buffer.from('gate:s:cret').toString('base64')}`);
  });

  test('POST form when asked, and automatically for a query too long for a URL', async () => {
    assert.deepEqual(await queryPrometheus(fake.url, q('value'), { method: 'POST' }), {
      kind: 'value',
      value: 0.25,
    });
    let r = fake.requests.at(-1)!;
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(r.params, { query: q('value') });

    const long = `${q('value')} ${' '.repeat(5000)}`;
    const got = await queryPrometheus(fake.url, long);
    r = fake.requests.at(-1)!;
    assert.equal(r.method, 'POST');
    assert.equal(r.params.query, long);
    assert.equal(got.kind, 'inconclusive'); // the fake has no recording of the padded query
  });
});
