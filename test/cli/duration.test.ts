/**
 * The one duration parser (issue 16): Go's time.ParseDuration syntax for every flag and scenario
 * field, plus a bare number as seconds; Go's reasons for refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationError, MAX_DURATION_MS, parseDuration } from '../../src/sim/duration.js';
import { parseDuration as flag } from '../../src/cli/flags.js';
import { UsageError } from '../../src/cli/errors.js';

test('Go duration syntax: units, fractions, sequences', () => {
  const table: [string, number][] = [
    ['1m30s', 90_000],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['.5s', 500],
    ['5.s', 5000],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1ns', 0.000001],
    ['+2s', 2000],
    ['0', 0],
    ['3', 3000],
    ['1h1m1s1ms', 3_661_001],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
});

test('refusals say why, in Go words', () => {
  const table: [string, RegExp][] = [
    ['', /^invalid duration ""/],
    ['1d', /^unknown unit "d" in duration "1d"/],
    ['-1s', /^negative duration "-1s"/],
    ['1s1', /^missing unit in duration "1s1"/],
    ['s', /^invalid duration "s"/],
    ['1 m', /^invalid duration/],
    ['99999999999h', /^invalid duration/],
  ];
  for (const [text, re] of table) {
    assert.equal(parseDuration(text), undefined, text);
    assert.match(durationError(text) ?? '', re, text);
  }
  assert.equal(parseDuration(MAX_DURATION_MS / 1000 + 1), undefined);
});

test('flags: a bad or out-of-range duration is a UsageError naming the flag, exit 2', () => {
  for (const [v, re] of [
    ['soon', /^--timeout: expected a duration such as 30s, 5m or 1m30s, got "soon"$/],
    ['5', null],
    ['1d', /\(unknown unit "d" in duration "1d"\)$/],
    ['48h', /^--timeout: must be at most 24h00m, got "48h"$/],
  ] as const) {
    if (re === null) {
      assert.equal(flag('--timeout', v, { max: 86_400_000 }), 5000);
      continue;
    }
    assert.throws(
      () => flag('--timeout', v, { max: 86_400_000 }),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message),
      v,
    );
  }
});
