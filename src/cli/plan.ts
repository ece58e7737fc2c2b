/** PLACEHOLDER: replaced by the helper that owns `everynode plan`. */
import type { Command } from 'commander';
import { UsageError } from './errors.js';

/** Registers `everynode plan`. */
export function registerPlan(program: Command): void {
  program.command('plan').description('(under construction)').action(() => {
    throw new UsageError('everynode plan is not built yet', 1);
  });
}
