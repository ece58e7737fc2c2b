/**
 * The HTML reports in a real browser (Debian's chromium through playwright-core): `sim --report`
 * for the quickstart and for 10,000 nodes, and `plan --rollout --report`. Run by
 * `npm run test:browser`. UPDATE_SCREENSHOTS=1 also refreshes the pictures in docs/img/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { readScenario } from '../../src/cli/sim.js';
import { runPlan } from '../../src/cli/plan.js';
import { simGridDoc } from '../../src/sim/report/grid/simdoc.js';
import { renderReportHtml } from '../../src/sim/report/html/page.js';
import { Simulation } from '../../src/sim/runner.js';
import { launch, openPage, type TestBrowser } from './chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'everynode-report-'));
let browser: TestBrowser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

async function simReport(scenario: string, file: string): Promise<string> {
  const result = await new Simulation(await readScenario(scenario), { record: true }).run();
  const path = join(dir, file);
  writeFileSync(path, renderReportHtml(simGridDoc(result)));
  return path;
}

async function open(
  path: string,
  width = 1400,
): Promise<{ page: Page; problems: string[]; ms: number }> {
  const { page, problems } = await openPage(browser, width, 900);
  const started = Date.now();
  await page.goto(`file://${path}`);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, problems, ms: Date.now() - started };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const to = process.env.UPDATE_SCREENSHOTS === '1' ? join('docs', 'img', name) : join(dir, name);
  await page.screenshot({ path: to, fullPage: true });
}

/** Hovers the grid cell of a node at a time (ms), returns the tooltip's text. */
async function hoverCell(
  page: Page,
  section: Locator,
  node: string,
  frac: number,
): Promise<string> {
  const label = section.locator(`.labels .row[data-node="${node}"]`);
  await label.scrollIntoViewIfNeeded();
  const row = await label.boundingBox();
  const grid = await section.locator('canvas.grid').boundingBox();
  assert.ok(row && grid);
  await page.mouse.move(grid.x + grid.width * frac, row.y + row.height / 2);
  const tip = page.locator('#tip');
  await tip.waitFor({ state: 'visible' });
  return tip.innerText();
}

test('sim report (quickstart): a row per node and DaemonSet, the plot, events, hover, zoom', async () => {
  const path = await simReport('examples/quickstart.yaml', 'quickstart.html');
  const { page, problems } = await open(path);
  const sections = page.locator('section.ds');
  assert.equal(await sections.count(), 3);
  for (let i = 0; i < 3; i++) {
    const s = sections.nth(i);
    // 13 nodes: 12 at the start and worker-c-04, which joins at 1m.
    assert.equal(await s.locator('.labels .row.node').count(), 13);
    for (const series of ['desired', 'updated', 'available', 'unavailable', 'budget']) {
      const d = await s.locator(`svg.plot path[data-series="${series}"]`).getAttribute('d');
      assert.match(d ?? '', /^M/, `${series} has a line`);
    }
  }
  const lc = page.locator('section.ds[data-ds="kube-system/log-collector"]');
  assert.ok((await lc.locator('svg.plot path.evmark.rollout').count()) >= 2, 'rollout markers');
  assert.equal(await page.locator('.checks .check.pass').count(), 7);

  // worker-c-03 is rolled late: at 2m10s of 6m05s it still runs revision 1.
  let tip = await hoverCell(page, lc, 'worker-c-03', 130 / 365);
  assert.match(tip, /worker-c-03 · zone-c at 2m(09|10)/);
  assert.match(tip, /old revision/);
  assert.match(tip, /pod log-collector-\w+ · revision 1/);
  tip = await hoverCell(page, lc, 'worker-c-03', 350 / 365);
  assert.match(tip, /available\npod log-collector-\w+ · revision 2/);
  // The control-plane node is not eligible for the node exporter, and says why.
  const ne = page.locator('section.ds[data-ds="monitoring/node-exporter"]');
  tip = await hoverCell(page, ne, 'control-plane-1', 0.5);
  assert.match(tip, /not eligible\ntaint node-role.kubernetes.io\/control-plane:NoSchedule/);

  // The plot's hover gives every series at that time.
  await lc.locator('svg.plot').scrollIntoViewIfNeeded();
  const plot = await lc.locator('svg.plot').boundingBox();
  assert.ok(plot);
  await page.mouse.move(plot.x + plot.width * (150 / 365), plot.y + plot.height / 2);
  tip = await page.locator('#tip').innerText();
  // At 2m30s worker-b-04 has left: 12 desired, and 25% of 12 is a budget of 3.
  assert.match(
    tip,
    /desired 12\nupdated \d+\navailable \d+\nunavailable [0-3]\nmaxUnavailable budget 3/,
  );

  // Drag across the grid: the time range narrows; "whole time" goes back.
  await lc.locator('canvas.grid').scrollIntoViewIfNeeded();
  const grid = await lc.locator('canvas.grid').boundingBox();
  assert.ok(grid);
  await page.mouse.move(grid.x + grid.width * 0.3, grid.y + 20);
  await page.mouse.down();
  await page.mouse.move(grid.x + grid.width * 0.55, grid.y + 20, { steps: 5 });
  await page.mouse.up();
  assert.match(await lc.locator('.crumbs').innerText(), /1m49s to 3m21s/);
  await lc.locator('.crumbs button').click();
  assert.equal(await lc.locator('.crumbs button').count(), 0);
  assert.doesNotMatch(await lc.locator('.crumbs').innerText(), /\d to \d/);
  await page.mouse.move(0, 0);
  await screenshot(page, 'report-quickstart.png');
  assert.deepEqual(problems, []);
});

test('sim report at 10,000 nodes: bands of counts, a band opens into its nodes', async (t) => {
  const path = await simReport('examples/scale-10k.yaml', 'scale-10k.html');
  const { page, problems, ms } = await open(path);
  const renderMs = await page.evaluate(
    () => (globalThis as unknown as { EN_RENDER_MS: number }).EN_RENDER_MS,
  );
  t.diagnostic(
    `10k-node report: ${statSync(path).size} bytes, loaded and drawn in ${ms} ms (${Math.round(renderMs)} ms decode + render)`,
  );
  const s = page.locator('section.ds').first();
  assert.equal(await s.locator('.labels .row.node').count(), 0, 'no row per node at 10,000');
  const bands = s.locator('.labels .row.band');
  assert.ok((await bands.count()) >= 30 && (await bands.count()) <= 50);
  assert.equal(await s.locator('.labels .row.group').count(), 3, 'one group per zone');
  // A band's hover gives its counts per state: at 5m30s (of 6m53s) a band late in the order
  // still runs the old revision.
  await bands.nth(26).scrollIntoViewIfNeeded();
  const band = await bands.nth(26).boundingBox();
  const grid = await s.locator('canvas.grid').boundingBox();
  assert.ok(band && grid);
  await page.mouse.move(grid.x + grid.width * (330 / 413), band.y + band.height / 2);
  const tip = await page.locator('#tip').innerText();
  const size = Number(/\((\d+)\) at 5m(29|30)/.exec(tip)?.[1]);
  assert.ok(size > 200, tip);
  assert.match(tip, /old revision \d+/);
  const counted = [...tip.matchAll(/ (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(counted, size, 'the counts add up to the band');
  await screenshot(page, 'report-10k.png');
  // Opening the band shows its nodes, one row each; the crumbs lead back.
  await bands.nth(26).click();
  const rows = await s.locator('.labels .row.node').count();
  assert.ok(rows > 200 && rows < 300, `${rows} node rows`);
  await s.locator('.crumbs a').first().click();
  assert.equal(await s.locator('.labels .row.node').count(), 0);
  assert.deepEqual(problems, []);
});

test('plan --rollout --report: one column per step, with what each step does', async () => {
  const path = join(dir, 'plan.html');
  let out = '';
  await runPlan(
    {
      filename: 'examples/plan/daemonset-v1.8.2.yaml',
      nodes: 'examples/plan/nodes.yaml',
      pods: 'examples/plan/pods.yaml',
      revisions: 'examples/plan/revisions.yaml',
      now: '2026-11-28T21:00:00Z',
      output: 'table',
      rollout: true,
      report: path,
    },
    { stdout: { write: (s: string) => (out += s) } },
  );
  assert.match(out, /Rollout: 5 steps/);
  const { page, problems } = await open(path, 1100);
  const s = page.locator('section.ds');
  assert.equal(await s.locator('.labels .row.node').count(), 6);
  assert.deepEqual(await s.locator('.axis .tick').allInnerTexts(), [
    'start',
    'step 1',
    'step 2',
    'step 3',
    'step 4',
    'step 5',
  ]);
  // Step 2 deletes worker-1's old pod (columns are sixths of the grid), step 3 replaces it.
  let tip = await hoverCell(page, s, 'worker-1', 2.5 / 6);
  assert.match(tip, /terminating\npod node-exporter-7gm4q · revision 1\ndeleted at this step: /);
  tip = await hoverCell(page, s, 'worker-1', 3.5 / 6);
  assert.match(tip, /step 3 \(\+2s\)/);
  assert.match(tip, /pending\npod node-exporter-\w+ · revision 2\ncreated at this step/);
  await page.mouse.move(0, 0);
  await screenshot(page, 'plan-rollout.png');
  assert.deepEqual(problems, []);
});
