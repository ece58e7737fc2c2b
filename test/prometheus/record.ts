/**
 * Records what a real Prometheus answers to the queries the gate's offline tests replay
 * (test/prometheus/recorded.json, served by fake.ts). Run it after a Prometheus upgrade:
 *
 *   npx tsx test/prometheus/record.ts
 *
 * It starts the binary build-tools.sh built (scraping itself once a second, so `up` has
 * samples), asks each query with GET at a pinned evaluation time (the matrix one at the time of
 * the recording, when `up` has samples), and writes the status, content type and body verbatim.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, prometheusBinary, startPrometheus } from './server.js';

/** Name -> PromQL; the names are what the offline tests refer to. */
export const RECORDED_QUERIES: Readonly<Record<string, string>> = {
  value: 'vector(0.25)',
  scalar: '1 + 1',
  string: '"hi"',
  noData: 'sum(rate(nope_total[5m]))',
  severalSeries:
    'label_replace(vector(1), "a", "x", "", "") or label_replace(vector(2), "a", "y", "", "")',
  nan: 'vector(0) / 0',
  posInf: 'vector(1) / vector(0)',
  parseError: 'sum(rate(x[5m])',
  executionError:
    'label_replace(vector(1) or label_replace(vector(2), "a", "b", "", ""), "a", "", "", "")',
  matrix: 'up[5s]',
};

/** One recorded exchange. */
export interface Recorded {
  readonly name: string;
  readonly query: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const PINNED_TIME = '1796600000';

async function main(): Promise<void> {
  const bin = prometheusBinary();
  if (!bin) throw new Error('no prometheus binary: run scripts/cluster/build-tools.sh first');
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: self',
    '    static_configs: [{ targets: ["__SELF__"] }]',
  ].join('\n');
  const port = await freePort();
  const prom = await startPrometheus(bin, config.replace('__SELF__', `127.0.0.1:${port}`), {
    port,
  });
  try {
    // Discovery hands targets to the scrape loop after about 5 s; then wait for a few samples.
    const deadline = Date.now() + 20_000;
    while (
      !(await fetch(`${prom.url}/api/v1/query?query=up`).then((r) => r.text())).includes('"value"')
    ) {
      if (Date.now() > deadline) throw new Error(`no sample of up within 20 s:\n${prom.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2500));
    const out: Recorded[] = [];
    for (const [name, query] of Object.entries(RECORDED_QUERIES)) {
      const params = new URLSearchParams({ query });
      if (name !== 'matrix') params.set('time', PINNED_TIME);
      const res = await fetch(`${prom.url}/api/v1/query?${params.toString()}`);
      out.push({
        name,
        query,
        status: res.status,
        contentType: res.headers.get('content-type') ?? '',
        body: await res.text(),
      });
    }
    const file = join(import.meta.dirname, 'recorded.json');
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`recorded ${out.length} answers of ${bin} into ${file}\n`);
  } finally {
    await prom.stop();
  }
}

if (process.argv[1] === import.meta.filename) await main();
