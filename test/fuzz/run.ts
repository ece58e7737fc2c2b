/**
 * `npm run fuzz -- [--runs N] [--seed S] [--suite plan|sim|controller|binary]`: the fuzzer, long.
 * Runs the plan suite N times (default 500), sim N/2, the controller N/5 (each case runs a
 * controller) and `plan` through the real binary N/50 (a process start each)
 * and prints, per suite and input class, how many cases ended how, the slowest case, the peak RSS
 * and every failure with its input. Exit 1 when a case failed.
 */
import { parseArgs } from 'node:util';
import {
  controllerCases,
  planCases,
  runSuite,
  simCases,
  spawnedPlanCases,
  type SuiteReport,
} from './suites.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    seed: { type: 'string' },
    suite: { type: 'string', multiple: true },
    'case-ms': { type: 'string', default: '10000' },
    'rss-mb': { type: 'string', default: '2048' },
    verbose: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const bounds = {
  caseMs: Number(values['case-ms']),
  rssMb: Number(values['rss-mb']),
  // --verbose: each case's input on stderr before it runs, to find one that hangs.
  ...(values.verbose
    ? {
        onCase: (n: number, c: { kind: string; describe: () => string }) => {
          process.stderr.write(`#${n} ${c.kind}: ${c.describe()}\n`);
        },
      }
    : {}),
};
const suites = {
  plan: { cases: planCases, runs },
  sim: { cases: simCases, runs: Math.max(1, Math.round(runs / 2)) },
  controller: { cases: controllerCases, runs: Math.max(1, Math.round(runs / 5)) },
  binary: { cases: spawnedPlanCases, runs: Math.max(1, Math.round(runs / 50)) },
};
const wanted = (values.suite ?? Object.keys(suites)) as (keyof typeof suites)[];

let failed = 0;
const t0 = performance.now();
for (const name of wanted) {
  const s = suites[name];
  const start = performance.now();
  const r: SuiteReport = await runSuite(s.cases, s.runs, seed, bounds);
  const secs = ((performance.now() - start) / 1000).toFixed(1);
  console.log(
    `\n${name}: ${r.cases} cases in ${secs} s (seed ${r.seed}); slowest case ${r.slowestMs.toFixed(0)} ms; peak RSS ${r.peakRssMb.toFixed(0)} MiB`,
  );
  for (const [kind, counts] of [...r.byKind].sort()) {
    const parts = [...counts].sort().map(([o, n]) => `${o} ${n}`);
    console.log(`  ${kind.padEnd(32)} ${parts.join(', ')}`);
  }
  for (const f of r.failures) console.log(`  FAILURE ${f}`);
  failed += r.failures.length;
}
console.log(
  `\n${failed === 0 ? 'no failures' : `${failed} failure(s)`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
process.exitCode = failed === 0 ? 0 : 1;
