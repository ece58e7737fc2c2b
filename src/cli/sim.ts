/**
 * `everynode sim <scenario.yaml>`: runs a scenario on the embedded cluster (virtual clock,
 * simulated scheduler, kubelets and node lifecycle, the real controller) and reports what
 * happened; the scenario's `expect:` checks make it a test (exit 1 when one fails).
 */
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { fieldLine } from './fieldline.js';
import { colorEnabled, isTerminal } from './output.js';
import { loadObjects, readTextFile } from './load.js';
import { parseScenario } from '../sim/scenario/parse.js';
import { ScenarioError } from '../sim/scenario/source.js';
import type { Scenario } from '../sim/scenario/types.js';
import { Simulation, type SimResult } from '../sim/runner.js';
import { renderJson } from '../sim/report/json.js';
import { renderSummary } from '../sim/report/text.js';
import { Progress } from '../sim/report/progress.js';
import { simGridDoc } from '../sim/report/grid/simdoc.js';
import { renderReportHtml } from '../sim/report/html/page.js';

interface SimFlags {
  readonly seed?: string;
  readonly speed?: string;
  readonly output: string;
  readonly progress: boolean;
  readonly report?: string;
}

/** Reads and validates a scenario file; every problem is a UsageError naming file, line and field. */
export async function readScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    // Bounded like every input (EVERYNODE_MAX_INPUT_MB); a NUL byte stops the read (/dev/zero).
    text = await readTextFile(path);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(`${path}: `, '') : String(err);
    throw new UsageError(`${path}: cannot read the scenario file: ${why}`);
  }
  const base = dirname(path);
  try {
    return await parseScenario(path, text, {
      loadObjects: async (p) =>
        (await loadObjects(p)).map((o) => ({ object: o.object, source: o.source })),
      resolvePath: (rel) => relative(process.cwd(), resolve(base, rel)) || rel,
      locateField: fieldLine,
    });
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}

function parseSpeed(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'max') return 0;
  if (v === 'real') return 1;
  const n = Number(v.replace(/x$/, ''));
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(
      `--speed: expected a number (virtual seconds per second), "real" or "max", got "${v}"`,
    );
  return n;
}

function parseSeed(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new UsageError(`--seed: expected an integer from 0 to 4294967295, got "${v}"`);
  return n;
}

/** Runs a scenario and prints the report; returns the result (exit code set on failed checks). */
export async function runSim(file: string, flags: SimFlags): Promise<SimResult> {
  if (flags.output !== 'text' && flags.output !== 'json')
    throw new UsageError(`-o: expected text or json, got "${flags.output}"`);
  const seed = parseSeed(flags.seed);
  const speedFlag = parseSpeed(flags.speed);
  const scenario = await readScenario(file);
  // `everynode sim x | head` closes the pipe early: stop quietly instead of a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  // A terminal gets live progress, pacing and colour; a pipe or file gets plain text.
  const tty = isTerminal(process.stdout);
  const color = colorEnabled(process.stdout);
  const text = flags.output === 'text';
  const speed = speedFlag ?? (tty && text ? scenario.speed : 0);
  const progress = text && flags.progress ? new Progress(process.stdout, tty, color) : undefined;
  const sim = new Simulation(scenario, {
    ...(seed === undefined ? {} : { seed }),
    speed,
    record: flags.report !== undefined,
    ...(progress === undefined
      ? {}
      : {
          onInstant: (s: Simulation) => {
            progress.update(s);
          },
        }),
  });
  progress?.begin(sim);
  let result: SimResult;
  try {
    result = await sim.run();
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  } finally {
    progress?.end();
  }
  process.stdout.write(
    text
      ? renderSummary(result, { color, width: tty ? process.stdout.columns : undefined })
      : `${JSON.stringify(renderJson(result), null, 2)}\n`,
  );
  if (flags.report !== undefined) await writeReport(flags.report, result);
  if (result.checks.some((c) => !c.passed)) process.exitCode = 1;
  return result;
}

/** Writes the HTML report of a recorded run; a file that cannot be written is a UsageError. */
async function writeReport(path: string, result: SimResult): Promise<void> {
  const html = renderReportHtml(simGridDoc(result));
  try {
    await writeFile(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--report: cannot write ${path}${code ? ` (${code})` : ''}`);
  }
  const kb = Buffer.byteLength(html) / 1024;
  process.stderr.write(
    `report: ${path} (${kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${Math.ceil(kb)} KB`}; open it in a browser)\n`,
  );
}

/** Registers `everynode sim`. */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'run a scenario on the simulated cluster (virtual clock) and check its expectations',
    )
    .argument('<scenario>', 'scenario file (YAML); see docs/sim.md')
    .option(
      '--seed <n>',
      "random seed (default: the scenario's seed); a run replays exactly from its seed",
    )
    .option(
      '--speed <x>',
      'virtual seconds per wall second ("real" = 1, "max" = as fast as possible); default max, or the scenario\'s speed in a terminal',
    )
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--no-progress', 'no live progress while it runs')
    .option(
      '--report <file>',
      'also write an HTML report: each DaemonSet as a nodes × time grid, its counts against the maxUnavailable budget, the events and the checks (one file, no network)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 all checks passed, 1 a check failed, 2 bad scenario file or flags.\nExample: everynode sim examples/quickstart.yaml --speed 60\n         everynode sim examples/quickstart.yaml --report quickstart.html',
    )
    .action(async (file: string, flags: SimFlags) => {
      await runSim(file, flags);
    });
}
