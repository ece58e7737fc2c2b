/**
 * `everynode dashboard --embedded` in a real browser: the DaemonSet list, one DaemonSet's grid,
 * the engine's reason per node and the history, and the page following a change in the cluster
 * over server-sent events (with the time from the change to the page measured). Run by
 * `npm run test:browser`; UPDATE_SCREENSHOTS=1 refreshes docs/img/dashboard.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { startDashboard, type RunningDashboard } from '../../src/cli/dashboard.js';
import { nullLogger } from '../../src/controller/logger.js';
import { launch, openPage, type TestBrowser } from './chromium.js';

// The page's globals, as the functions passed to waitForFunction see them (no DOM lib here).
declare const document: {
  querySelector(selector: string): { readonly textContent: string | null } | null;
  readonly body: { getAttribute(name: string): string | null };
};

let browser: TestBrowser;
let dash: RunningDashboard;

/** Polls cond every 50 ms until it holds, at most ms. */
async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const complete = (): boolean =>
  dash.state.entries.size === 3 &&
  [...dash.state.entries.values()].every((e) => {
    const s = e.ds.status;
    return (
      (s?.observedGeneration ?? 0) >= (e.ds.metadata?.generation ?? 0) &&
      (s?.desiredNumberScheduled ?? -1) > 0 &&
      s?.updatedNumberScheduled === s?.desiredNumberScheduled &&
      s?.numberAvailable === s?.desiredNumberScheduled
    );
  });

before(async () => {
  browser = await launch();
  dash = await startDashboard(
    {
      listen: '127.0.0.1:0',
      resource: 'crd',
      embedded: true,
      // 12 nodes in three zones, three DaemonSets (the quick start's; its timeline is not played).
      embeddedScenario: 'examples/quickstart.yaml',
      embeddedSpeed: '20',
      syncTimeout: '30s',
      requestTimeout: '10s',
      logLevel: 'error',
    },
    nullLogger,
  );
  await until('every DaemonSet to roll out', complete);
});
after(async () => {
  await dash.close();
  await browser.close();
});

test('dashboard: the list, a grid per DaemonSet, why per node, history, live updates', async (t) => {
  assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const { page, problems } = await openPage(browser, 1400, 1000);
  await page.goto(`${dash.url}#${encodeURIComponent('everynode:kube-system/log-collector')}`);
  await page.waitForSelector('body[data-ready="1"]');
  const rows = page.locator('#dsrows tr');
  assert.equal(await rows.count(), 3);
  const lc = page.locator('#dsrows tr[data-ds="everynode:kube-system/log-collector"]');
  assert.match(
    await lc.innerText(),
    /everynode CRD\s+kube-system\/log-collector\s+Complete\s+12\s+12/,
  );
  // The grid: one row per node, the plot's series.
  assert.equal(await page.locator('#grid .labels .row.node').count(), 12);
  for (const s of ['desired', 'updated', 'available', 'unavailable', 'budget'])
    assert.match(
      (await page.locator(`#grid path[data-series="${s}"]`).getAttribute('d')) ?? '',
      /^M/,
    );
  // Why, node by node: every node, with the engine's reason.
  assert.equal(await page.locator('#nodes tr[data-node]').count(), 12);
  await page.goto(`${dash.url}#${encodeURIComponent('everynode:monitoring/gpu-monitor')}`);
  await page.waitForFunction(() =>
    document.querySelector('#dstitle')?.textContent?.includes('gpu-monitor'),
  );
  await page.locator('#filter').fill('worker-a-01');
  assert.match(
    await page.locator('#nodes tr[data-node="worker-a-01"]').innerText(),
    /no\s+no\s+-\s+nodeSelector wants accelerator=nvidia; node has no label accelerator/,
  );
  assert.equal(await page.locator('#nodes tr[data-node]').count(), 1);
  assert.match(
    await page.locator('#history').innerText(),
    /1\s+\w+\s+nvidia\/dcgm-exporter:3.3\s+<none>/,
  );

  // Live: delete a pod; the page follows without a reload.
  await page.goto(`${dash.url}#${encodeURIComponent('everynode:kube-system/log-collector')}`);
  await page.waitForFunction(() =>
    document.querySelector('#dstitle')?.textContent?.includes('log-collector'),
  );
  await page.locator('#filter').fill('');
  const row = page.locator('#nodes tr[data-node="worker-b-02"]');
  const text = (): Promise<string> =>
    page.evaluate(
      () => document.querySelector('#nodes tr[data-node="worker-b-02"]')?.textContent ?? '',
    );
  const before = await text();
  const pod = /log-collector-[a-z0-9]{5}/.exec(before)?.[0];
  assert.ok(pod, before);
  const cluster = dash.target.embedded!.memory.client('test');
  const started = Date.now();
  await cluster.delete('Pod', 'kube-system', pod);
  await page.waitForFunction(
    (old) => document.querySelector('#nodes tr[data-node="worker-b-02"]')?.textContent !== old,
    before,
  );
  const latency = Date.now() - started;
  t.diagnostic(
    `dashboard: a pod deletion reached the page in ${latency} ms (100 ms debounce included)`,
  );
  // The controller replaces the pod; the page follows to the end.
  const replaced = (): boolean =>
    dash.state.pods.store
      .list()
      .some(
        (p) =>
          p.spec?.nodeName === 'worker-b-02' &&
          p.metadata?.name !== pod &&
          p.metadata?.namespace === 'kube-system' &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      ) && !dash.state.pods.store.list().some((p) => p.metadata?.name === pod);
  await until('a new pod on worker-b-02', () => replaced() && complete());
  await page.waitForFunction(
    (v) => Number(document.body.getAttribute('data-version')) >= v,
    dash.state.version,
  );
  assert.doesNotMatch(await row.innerText(), new RegExp(pod));
  assert.match(await row.innerText(), /log-collector-\w+\s+runs its pod/);

  // A rolling update, seen live: patch the image, wait for the rollout, look at the grid.
  await cluster.patch('EverynodeDaemonSet', 'kube-system', 'log-collector', {
    type: 'json',
    ops: [
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/image',
        value: 'fluent/fluent-bit:3.1',
      },
    ],
  });
  await until('the rollout to start', () => !complete(), 10_000);
  await until('the rollout to finish', complete);
  await page.waitForFunction(
    (v) => Number(document.body.getAttribute('data-version')) >= v,
    dash.state.version,
  );
  assert.match(await page.locator('#history').innerText(), /2\s+\w+\s+fluent\/fluent-bit:3\.1/);
  // The page redraws every 3 s while shown; after one more the last segments are well inside.
  const n = Number(await page.locator('body').getAttribute('data-refreshes'));
  await page.waitForFunction(
    (k) => Number(document.body.getAttribute('data-refreshes')) > k + 1,
    n,
    { timeout: 10_000 },
  );
  const label = page.locator('#grid .labels .row[data-node="worker-c-03"]');
  const grid = await page.locator('#grid canvas.grid').boundingBox();
  const box = await label.boundingBox();
  assert.ok(grid && box);
  await page.mouse.move(grid.x + grid.width - 3, box.y + box.height / 2);
  const tip = await page.locator('#tip').innerText();
  assert.match(tip, /worker-c-03 · zone-c/);
  assert.match(tip, /available\npod log-collector-\w+ · revision 2/);
  await page.mouse.move(0, 0);
  const to =
    process.env.UPDATE_SCREENSHOTS === '1' ? join('docs', 'img', 'dashboard.png') : undefined;
  if (to !== undefined) await page.screenshot({ path: to, fullPage: true });
  const pods = await cluster.list<Pod>('Pod', { namespace: 'kube-system' });
  assert.equal(pods.items.length, 12);
  const ds = await cluster.get<DaemonSet>('EverynodeDaemonSet', 'kube-system', 'log-collector');
  assert.equal(ds.status?.updatedNumberScheduled, 12);
  assert.deepEqual(problems, []);
});
