#!/usr/bin/env node
/**
 * The everynode CLI. Each command lives in its own file and registers itself here. Only the
 * command being run is imported (run pulls in the Kubernetes client, sim the simulator), so a
 * command starts without paying for the others; `--help` at the top level loads them all.
 */
import { Command } from 'commander';
import { applyControllerEnv } from './controllerenv.js';
import { prepareProgram, runMain } from './errors.js';
import { catchSignalsEarly } from './signals.js';
import { VERSION } from '../version.js';

const wanted = process.argv[2];
// `run` treats SIGTERM as a request to stop from the first moment (bin/everynode.js already
// records signals before this module loads; this covers `node src/cli/main.ts run`).
if (wanted === 'run') catchSignalsEarly();

// Output piped into a reader that went away (`everynode plan --help | head -1`): stop quietly,
// as a command line tool should, instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

type Register = (program: Command) => void;

const commands: Readonly<Record<string, () => Promise<Register>>> = {
  plan: async () => (await import('./plan.js')).registerPlan,
  sim: async () => (await import('./sim.js')).registerSim,
  run: async () => (await import('./run.js')).registerRun,
  rollout: async () => (await import('./rollout.js')).registerRollout,
  dashboard: async () => (await import('./dashboard.js')).registerDashboard,
  completion: async () => (await import('./completion.js')).registerCompletion,
};

// The controller's environment switches (EVERYNODE_INCREMENTAL_SYNC, ...): the CLI reads them,
// the library does not.
try {
  applyControllerEnv();
} catch (err) {
  console.error(`everynode: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}

const program = new Command();
program
  .name(process.env.EVERYNODE_KUBECTL_PLUGIN ? 'kubectl everynode' : 'everynode')
  .description('A Kubernetes DaemonSet controller: upstream apps/v1 semantics, and safer rollouts')
  .version(VERSION);
// Settings are inherited by subcommands created afterwards, so this comes before registration.
prepareProgram(program);

// completion walks the whole command tree, so it loads every command.
const only = wanted !== undefined && wanted !== 'completion' ? commands[wanted] : undefined;
const versionOnly = wanted === '--version' || wanted === '-V';
for (const load of only !== undefined ? [only] : versionOnly ? [] : Object.values(commands)) {
  (await load())(program);
}

await runMain(program);
