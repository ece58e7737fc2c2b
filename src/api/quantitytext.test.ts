import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantityText } from './quantitytext.js';

/**
 * [input as JSON, what kube-apiserver writes back]: from a short Go program that decodes each
 * input into a resource.Quantity (apimachinery v0.33.13) and encodes it again; undefined = refused.
 */
const fromGo: readonly (readonly [string | number, string | undefined])[] = [
  ['0.5', '500m'],
  ['500m', '500m'],
  ['2000m', '2'],
  ['1024Mi', '1Gi'],
  ['1.5Gi', '1536Mi'],
  ['1000', '1k'],
  ['100Mi', '100Mi'],
  ['1e3', '1e3'],
  ['129M', '129M'],
  ['1', '1'],
  ['+1', '+1'],
  ['-1', '-1'],
  ['0', '0'],
  ['00', '0'],
  ['0.0', '0'],
  ['0m', '0'],
  ['10', '10'],
  ['1500k', '1500k'],
  ['1.5e3', '1500'],
  ['12e3', '12e3'],
  ['1E3', '1E3'],
  ['1E', '1E'],
  ['1.1Ki', '1126400m'],
  ['0.5Gi', '512Mi'],
  ['0.5Ki', '512'],
  ['1023Ki', '1023Ki'],
  ['1024Ki', '1Mi'],
  ['2048', '2048'],
  ['1Ki', '1Ki'],
  ['512', '512'],
  ['0.1', '100m'],
  ['0.0000000001', '1n'],
  ['1.0000000001', '1000000001n'],
  ['123456789012345678', '123456789012345678'],
  ['1234567890123456789', '1234567890123456789'],
  ['9223372036854775807', '9223372036854775807'],
  ['99999999999999999999', '99999999999999999999'],
  ['100n', '100n'],
  ['1000n', '1u'],
  ['1u', '1u'],
  ['1000000u', '1'],
  ['3.5', '3500m'],
  ['1e-3', '1e-3'],
  ['1e-10', '1e-9'],
  ['250m', '250m'],
  ['1.25', '1250m'],
  ['7Ei', '7Ei'],
  ['8Ei', '9223372036854775807'],
  ['1Ti', '1Ti'],
  ['1048576', '1048576'],
  ['1048576Ki', '1Gi'],
  ['0.001Ki', '1024m'],
  ['1.000', '1'],
  ['001', '001'],
  ['1.5k', '1500'],
  ['2e0', '2e0'],
  [' 1 ', '1'],
  ['abc', undefined],
  ['1x', undefined],
  [1, '1'],
  [0.5, '500m'],
  [2, '2'],
];

test('quantityText: what ParseQuantity and MarshalJSON make of each input', () => {
  for (const [input, expected] of fromGo) {
    assert.equal(quantityText(input), expected, `for ${JSON.stringify(input)}`);
  }
});
