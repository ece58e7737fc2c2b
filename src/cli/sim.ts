/** PLACEHOLDER: replaced by the helper that owns `everynode sim`. */
import type { Command } from 'commander';
import { UsageError } from './errors.js';

/** Registers `everynode sim`. */
export function registerSim(program: Command): void {
  program.command('sim').description('(under construction)').action(() => {
    throw new UsageError('everynode sim is not built yet', 1);
  });
}
