import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { USER_AGENT, VERSION } from './version.js';

test('the version and the user agent come from package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(VERSION, pkg.version);
  assert.match(
    USER_AGENT,
    new RegExp(
      `^everynode/${pkg.version.replaceAll('.', '\\.')} \\(\\w+/\\w+\\) node/\\d+\\.\\d+\\.\\d+$`,
    ),
  );
});
