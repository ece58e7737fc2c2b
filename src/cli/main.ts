#!/usr/bin/env node
/**
 * The everynode CLI. Each command lives in its own file and registers itself here.
 */
import { Command } from 'commander';
import { registerPlan } from './plan.js';
import { registerRollout } from './rollout.js';
import { registerRun } from './run.js';
import { registerSim } from './sim.js';
import { runMain } from './errors.js';

const program = new Command();
program
  .name('everynode')
  .description('A Kubernetes DaemonSet controller: upstream apps/v1 semantics, and safer rollouts')
  .version('0.1.0');

registerPlan(program);
registerSim(program);
registerRun(program);
registerRollout(program);

await runMain(program);
