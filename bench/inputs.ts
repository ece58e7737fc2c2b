/**
 * `npx tsx bench/inputs.ts [--nodes N] [--runs R]`: how long `everynode plan` takes to read and
 * check a large nodes file (issue 17: a 52 MB file took 40 s and 3 GB). Writes N copies of the
 * plan example's worker node as `kubectl get nodes -o yaml` and `-o json` would print them, then
 * times, R times each: loading (parse), the type and Node checks, and the whole plan (load,
 * checks, reconcile, JSON output). Prints the size, the median times and the peak RSS.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { loadObjects } from '../src/cli/load.js';
import { runPlan } from '../src/cli/plan.js';
import { checkShapes } from '../src/cli/shape.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '16500' }, runs: { type: 'string', default: '3' } },
});
const n = Number(values.nodes);
const runs = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const example = (f: string): string => join(root, 'examples', 'plan', f);

const list = parse(readFileSync(example('nodes.yaml'), 'utf8')) as { items: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
const worker = list.items.find((i) => i.metadata.name === 'worker-1')!;
const items = Array.from({ length: n }, (_, i) => {
  const node = structuredClone(worker);
  node.metadata.name = `node-${i}`;
  node.metadata.labels['kubernetes.io/hostname'] = `node-${i}`;
  node.metadata.uid = `uid-${i}`;
  return node;
});
const doc = { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
const dir = mkdtempSync(join(tmpdir(), 'everynode-bench-inputs-'));
const files = { yaml: join(dir, 'nodes.yaml'), json: join(dir, 'nodes.json') };
writeFileSync(files.yaml, stringify(doc));
writeFileSync(files.json, JSON.stringify(doc, null, 4));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

try {
  for (const [format, file] of Object.entries(files)) {
    const parseS: number[] = [];
    const checkS: number[] = [];
    const planS: number[] = [];
    for (let r = 0; r < runs; r++) {
      let objs: Awaited<ReturnType<typeof loadObjects>> = [];
      parseS.push(await time(async () => (objs = await loadObjects(file))));
      checkS.push(
        await time(() => {
          checkShapes(objs);
          return Promise.resolve();
        }),
      );
      const sink = { write: (): boolean => true };
      planS.push(
        await time(() =>
          runPlan(
            {
              filename: example('daemonset.yaml'),
              nodes: file,
              output: 'json',
              now: '2026-11-28T21:00:00Z',
            },
            { stdout: sink },
          ),
        ),
      );
    }
    const mb = statSync(file).size / 1e6;
    console.log(
      `${format}: ${n} nodes, ${mb.toFixed(1)} MB: parse ${median(parseS).toFixed(2)} s, checks ${median(checkS).toFixed(2)} s, whole plan ${median(planS).toFixed(2)} s (median of ${runs})`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
