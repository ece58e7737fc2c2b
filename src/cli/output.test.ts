import { test } from 'node:test';
import assert from 'node:assert/strict';
import pc from 'picocolors';
import { formatDuration, formatFields, formatTable } from './output.js';

test('formatTable lines columns up, three spaces apart, no trailing blanks', () => {
  const out = formatTable(
    ['NAME', 'PODS', 'REASON'],
    [
      ['worker-10', '1', ''],
      ['cp-1', '0', 'taint is not tolerated'],
    ],
    { indent: 2 },
  );
  assert.equal(
    out,
    [
      '  NAME        PODS   REASON',
      '  worker-10   1',
      '  cp-1        0      taint is not tolerated',
    ].join('\n'),
  );
});

test('formatTable measures styled cells by their text and right-aligns counters', () => {
  const red = pc.createColors(true).red;
  const out = formatTable(
    ['A', 'N'],
    [
      [{ text: 'no', style: red }, '7'],
      ['yes', '12'],
    ],
    {
      rightAlign: [1],
    },
  );
  const plain = out.split('\u001b[31m').join('').split('\u001b[39m').join('');
  assert.equal(plain, ['A      N', 'no     7', 'yes   12'].join('\n'));
  assert.ok(out.includes(red('no')));
});

test('formatFields pads keys like kubectl describe', () => {
  assert.equal(
    formatFields([
      ['DaemonSet', 'ns/a'],
      ['Planned at', 't'],
    ]),
    'DaemonSet:   ns/a\nPlanned at:  t',
  );
});

test('formatDuration', () => {
  assert.deepEqual([0, 45, 60, 150, 3600, 3900].map(formatDuration), [
    '0s',
    '45s',
    '1m',
    '2m30s',
    '1h',
    '1h5m',
  ]);
});
