// `npm run test:browser`: the HTML report and the dashboard in a real headless browser.
// Chromium comes from the distribution (apt-get install chromium, done here when running as root);
// playwright-core drives it and never downloads a browser of its own. Test files are
// test/browser/*.browser.ts (not *.test.ts, so `npm test` stays offline and browser-free).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`== ${chromium} is missing: apt-get install chromium`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', 'chromium'],
    ]) {
      if (files.length === 0) {
        // node --test with no files would pick up its default patterns (this script among them).
        console.error(`no *.browser.ts files in ${dir}`);
        process.exit(1);
      }
      const r = spawnSync('apt-get', args, { stdio: 'inherit', env, timeout: 15 * 60_000 });
      if (r.status !== 0) {
        console.error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
        process.exit(1);
      }
    }
  } else {
    console.error(
      `${chromium} is missing. Install the distribution's chromium (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm run test:browser again.`,
    );
    process.exit(1);
  }
}
const only = process.argv.slice(2);
const dir = join(root, 'test', 'browser');
const files =
  only.length > 0
    ? only
    : readdirSync(dir)
        .filter((f) => f.endsWith('.browser.ts'))
        .sort()
        .map((f) => join('test', 'browser', f));
if (files.length === 0) {
  // node --test with no files would pick up its default patterns (this script among them).
  console.error(`no *.browser.ts files in ${dir}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', CHROMIUM_PATH: chromium, ...process.env },
    timeout: 20 * 60_000,
  },
);
process.exit(r.status ?? 1);
