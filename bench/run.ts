/**
 * `npm run bench`: runs B1–B6, each in its own Node process (a clean heap; --expose-gc for B4),
 * prints a table of figures against targets, and writes bench/results/<id>.json with the figures,
 * the machine, the date and the git commit.
 *   npm run bench                  full sizes (minutes on a 2-core machine)
 *   npm run bench -- --quick       reduced sizes, under a minute on a quiet machine
 *   npm run bench -- --only B1,B5  a subset
 *   npm run bench -- --b3-seconds 10  a shorter churn for B3 (default 60 virtual seconds)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { argValue, runChild } from './lib/child.js';
import { calibrate, gitCommit, machine, round, type BenchResult } from './lib/common.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = (argValue('--only') ?? 'B1,B2,B3,B4,B5,B6')
  .split(',')
  .map((s) => s.trim().toUpperCase())
  .filter((s) => s !== '');
const b3Seconds = argValue('--b3-seconds');
const BENCHES: Record<string, { script: string; nodeFlags?: string[] }> = {
  B1: { script: 'b1.ts' },
  B2: { script: 'b2.ts' },
  B3: { script: 'b3.ts' },
  B4: { script: 'b4.ts', nodeFlags: ['--expose-gc'] },
  B5: { script: 'b5.ts' },
  B6: { script: 'b6.ts' },
};
for (const id of only)
  if (!(id in BENCHES)) throw new Error(`--only: unknown benchmark ${id} (B1..B6)`);

const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const commit = gitCommit();
const table = new Table({
  head: ['id', 'figure', 'value', 'target', 'met'],
  style: { head: [], border: [] },
});
let failures = 0;
console.log(
  `everynode benchmarks${quick ? ' (--quick)' : ''} · commit ${commit} · ${new Date().toISOString()}`,
);
for (const id of only) {
  const b = BENCHES[id]!;
  const started = performance.now();
  const calibrationBefore = calibrate();
  console.log(`${id}: running ${b.script}…`);
  let r: BenchResult;
  try {
    r = await runChild<BenchResult>(join(here, b.script), {
      ...(b.nodeFlags === undefined ? {} : { nodeFlags: b.nodeFlags }),
      args: [
        ...(quick ? ['--quick'] : []),
        ...(id === 'B3' && b3Seconds !== undefined ? ['--seconds', b3Seconds] : []),
      ],
    });
  } catch (err) {
    failures++;
    console.error(`${id} failed: ${err instanceof Error ? err.message : String(err)}`);
    continue;
  }
  const record = {
    ...r,
    command: `npm run bench -- --only ${id}${quick ? ' --quick' : ''}${id === 'B3' && b3Seconds !== undefined ? ` --b3-seconds ${b3Seconds}` : ''}`,
    date: new Date().toISOString(),
    commit,
    machine: machine(),
    // ms for a fixed reference loop before and after; larger means a slower (busier) machine.
    calibrationMs: { before: round(calibrationBefore, 1), after: round(calibrate(), 1) },
    benchWallMs: round(performance.now() - started, 0),
  };
  writeFileSync(
    join(resultsDir, `${id}${quick ? '-quick' : ''}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  );
  for (const f of r.figures)
    table.push([
      id,
      f.name,
      `${f.value} ${f.unit}`,
      f.target ?? '',
      f.ok === undefined ? '' : f.ok ? 'yes' : 'NO',
    ]);
}
console.log(table.toString());
console.log(`results in ${resultsDir}`);
if (failures > 0) process.exitCode = 1;
