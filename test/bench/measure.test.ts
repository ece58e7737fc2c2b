// bench:cluster's audit-log figures (bench/cluster/measure.ts): request latency from the audit
// timestamps, which kube-apiserver writes with microseconds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  auditMicros,
  countRequests,
  percentiles,
  requestLatency,
} from '../../bench/cluster/measure.js';

/** A temporary directory for one test's audit logs, removed when the file's tests end. */
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'en-audit-'));
  dirs.push(dir);
  return dir;
}

test('auditMicros keeps the microseconds of an audit timestamp', () => {
  const base = Date.parse('2026-12-07T21:44:35Z') * 1000;
  assert.equal(auditMicros('2026-12-07T21:44:35.287123Z'), base + 287_123);
  assert.equal(auditMicros('2026-12-07T21:44:35.5Z'), base + 500_000);
  assert.equal(auditMicros('2026-12-07T21:44:35.123456789Z'), base + 123_456);
  assert.equal(auditMicros('2026-12-07T21:44:35Z'), base);
  assert.ok(Number.isNaN(auditMicros('yesterday')));
});

test('percentiles are nearest-rank', () => {
  const ms = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.deepEqual(percentiles(ms), { n: 200, p50: 100, p99: 198, max: 200 });
  assert.deepEqual(percentiles([]), { n: 0, p50: 0, p99: 0, max: 0 });
});

test('requestLatency: received to complete per window, watches and other stages left out', () => {
  const dir = scratch();
  const log = join(dir, 'audit.log');
  const ev = (verb: string, stage: string, ua: string, from: string, to: string): string =>
    JSON.stringify({
      stage,
      verb,
      userAgent: ua,
      requestReceivedTimestamp: `2026-12-07T10:00:${from}Z`,
      stageTimestamp: `2026-12-07T10:00:${to}Z`,
    });
  writeFileSync(
    log,
    [
      ev('create', 'ResponseComplete', 'everynode/0.1.0', '01.000000', '01.004500'),
      ev('get', 'ResponseComplete', 'kube-scheduler/v1.33', '01.100000', '01.102000'),
      ev('watch', 'ResponseComplete', 'everynode/0.1.0', '01.200000', '09.000000'),
      ev('update', 'ResponseStarted', 'everynode/0.1.0', '01.300000', '01.900000'),
      ev('update', 'ResponseComplete', 'everynode/0.1.0', '05.000000', '05.030000'),
      'not json',
    ].join('\n'),
  );
  const at = (s: string): number => Date.parse(`2026-12-07T10:00:${s}Z`);
  const [first, second] = requestLatency(log, [
    { from: at('00'), to: at('02') },
    { from: at('02'), to: at('06') },
  ]);
  assert.deepEqual(first!.all, { n: 2, p50: 2, p99: 4.5, max: 4.5 });
  assert.deepEqual(first!.everynode, { n: 1, p50: 4.5, p99: 4.5, max: 4.5 });
  assert.deepEqual(second!.all, { n: 1, p50: 30, p99: 30, max: 30 });
});

test('the audit log is read with its rotated parts (kube-apiserver rotates at 100 MB)', () => {
  const dir = scratch();
  const line = (at: string): string =>
    JSON.stringify({
      stage: 'ResponseComplete',
      verb: 'create',
      userAgent: 'everynode/0.1.0',
      objectRef: { resource: 'pods' },
      requestReceivedTimestamp: `2026-12-07T10:00:${at}.000000Z`,
      stageTimestamp: `2026-12-07T10:00:${at}.010000Z`,
    });
  writeFileSync(join(dir, 'audit-2026-12-07T10-00-02.000.log'), `${line('01')}\n${line('02')}\n`);
  writeFileSync(join(dir, 'audit-2026-12-07T10-00-04.000.log'), `${line('03')}\n`);
  writeFileSync(join(dir, 'audit.log'), `${line('05')}\n`);
  writeFileSync(join(dir, 'other.log'), `${line('04')}\n`);
  const window = {
    from: Date.parse('2026-12-07T10:00:00Z'),
    to: Date.parse('2026-12-07T10:01:00Z'),
  };
  const [counts] = countRequests(join(dir, 'audit.log'), [window]);
  assert.deepEqual(counts!.everynode, { total: 4, byVerb: { 'create pods': 4 } });
  const [latency] = requestLatency(join(dir, 'audit.log'), [window]);
  assert.equal(latency!.all!.n, 4);
});
