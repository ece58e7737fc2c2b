/** Live progress while a simulation runs (placeholder; the full view comes next). */
import type { Simulation } from '../runner.js';

/** Prints progress to a stream. */
export class Progress {
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
  ) {}
  begin(_sim: Simulation): void {}
  update(_sim: Simulation): void {}
  end(): void {}
}
