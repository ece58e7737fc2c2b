#!/usr/bin/env node
/**
 * The everynode CLI. Each command lives in its own file and registers itself here. Only the
 * command being run is imported (run pulls in the Kubernetes client, sim the simulator), so a
 * command starts without paying for the others; `--help` at the top level loads them all.
 */
import { Command } from 'commander';
import { prepareProgram, runMain } from './errors.js';

type Register = (program: Command) => void;

const commands: Readonly<Record<string, () => Promise<Register>>> = {
  plan: async () => (await import('./plan.js')).registerPlan,
  sim: async () => (await import('./sim.js')).registerSim,
  run: async () => (await import('./run.js')).registerRun,
  rollout: async () => (await import('./rollout.js')).registerRollout,
};

const program = new Command();
program
  .name('everynode')
  .description('A Kubernetes DaemonSet controller: upstream apps/v1 semantics, and safer rollouts')
  .version('0.1.0');
// Settings are inherited by subcommands created afterwards, so this comes before registration.
prepareProgram(program);

const wanted = process.argv[2];
const only = wanted !== undefined ? commands[wanted] : undefined;
const versionOnly = wanted === '--version' || wanted === '-V';
for (const load of only !== undefined ? [only] : versionOnly ? [] : Object.values(commands)) {
  (await load())(program);
}

await runMain(program);
