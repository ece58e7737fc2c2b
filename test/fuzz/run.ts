/**
 * `npm run fuzz -- [--runs N] [--seed S] [--suite plan|sim|controller|binary]`: the fuzzer, long.
 * Runs the plan suite N times (default 500), sim N/2, the controller N/5 (each case runs a
 * controller) and `plan` through the real binary N/50 (a process start each), and prints, per
 * suite and input class, how many cases ended how, the slowest case, the peak RSS and every
 * failure with its input. Exit 1 when a case failed.
 *
 * Each suite runs in a child process watched from here: a case that makes no progress for
 * --hang-s seconds (a loop that never yields, which no timer inside the process could stop) is
 * reported as a hang with its input, and the child is killed.
 */
import { spawn } from 'node:child_process';
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
    'hang-s': { type: 'string', default: '120' },
    child: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const suites = {
  plan: { cases: planCases, runs },
  sim: { cases: simCases, runs: Math.max(1, Math.round(runs / 2)) },
  controller: { cases: controllerCases, runs: Math.max(1, Math.round(runs / 5)) },
  binary: { cases: spawnedPlanCases, runs: Math.max(1, Math.round(runs / 50)) },
};
const wanted = (values.suite ?? Object.keys(suites)) as (keyof typeof suites)[];

/** In the child: runs a suite, a progress line per case on stderr, the report on stdout. */
async function child(name: keyof typeof suites): Promise<void> {
  const s = suites[name];
  const start = performance.now();
  // A binary case includes a process start (the CLI's sources loaded through tsx).
  const caseMs = Number(values['case-ms']) * (name === 'binary' ? 6 : 1);
  const r: SuiteReport = await runSuite(s.cases, s.runs, seed, {
    caseMs,
    rssMb: Number(values['rss-mb']),
    onCase: (n, c) => {
      process.stderr.write(`#${n} ${c.kind}: ${c.describe()}\n`);
    },
  });
  const secs = ((performance.now() - start) / 1000).toFixed(1);
  const lines = [
    `${name}: ${r.cases} cases in ${secs} s (seed ${r.seed}); slowest case ${r.slowestMs.toFixed(0)} ms; peak RSS ${r.peakRssMb.toFixed(0)} MiB`,
  ];
  for (const [kind, counts] of [...r.byKind].sort()) {
    const parts = [...counts].sort().map(([o, n]) => `${o} ${n}`);
    lines.push(`  ${kind.padEnd(32)} ${parts.join(', ')}`);
  }
  for (const f of r.failures) lines.push(`  FAILURE ${f}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = r.failures.length === 0 ? 0 : 1;
}

/** In the parent: runs a suite's child and watches its progress. */
function watch(name: string): Promise<number> {
  const args = [...process.execArgv, process.argv[1]!, '--child', '--suite', name];
  args.push('--runs', String(runs), '--seed', String(seed));
  args.push('--case-ms', values['case-ms'], '--rss-mb', values['rss-mb']);
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = '';
  let lastAt = Date.now();
  p.stdout.on('data', (d: Buffer) => process.stdout.write(d));
  p.stderr.on('data', (d: Buffer) => {
    const lines = d
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('#'));
    if (lines.length > 0) {
      last = lines[lines.length - 1]!;
      lastAt = Date.now();
    }
  });
  const hangMs = Number(values['hang-s']) * 1000;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() - lastAt < hangMs) return;
      clearInterval(timer);
      console.log(
        `\n${name}: FAILURE hang: no progress for ${values['hang-s']} s; the case: ${last}`,
      );
      p.kill('SIGKILL');
    }, 1000);
    p.on('close', (code) => {
      clearInterval(timer);
      resolve(code ?? 1);
    });
  });
}

if (values.child) {
  // Several suites in one process share its module state (to reproduce what only shows then).
  for (const name of wanted) await child(name);
} else {
  const t0 = performance.now();
  let failed = 0;
  for (const name of wanted) {
    console.log('');
    if ((await watch(name)) !== 0) failed++;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`\n${failed === 0 ? 'no failures' : `failures in ${failed} suite(s)`} in ${secs} s`);
  process.exitCode = failed === 0 ? 0 : 1;
}
