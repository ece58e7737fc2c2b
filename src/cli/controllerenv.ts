/**
 * The controller's process-wide defaults from the environment. Only the CLI (and scripts that
 * want the same switches, such as the benchmarks) read the environment; the library takes
 * options and defaults (controller/controlleroptions.ts).
 *
 *   EVERYNODE_INCREMENTAL_SYNC=0      every sync runs the full reconcile (for comparisons)
 *   EVERYNODE_VERIFY_SYNC=1           every incremental sync is checked against the full reconcile
 *   EVERYNODE_NODE_EVENT_DELAY_MS=n   the default node-event delay (run's --node-event-delay wins)
 */
import { setControllerDefaults, type ControllerDefaults } from '../controller/controlleroptions.js';

/**
 * Reads the three variables from env and sets the defaults they name; returns what it set.
 * Throws RangeError naming the variable on a delay that is not a number of ms >= 0.
 */
export function applyControllerEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Partial<ControllerDefaults> {
  const set: Partial<ControllerDefaults> = {};
  if (env['EVERYNODE_INCREMENTAL_SYNC'] === '0') set.incrementalSync = false;
  if (env['EVERYNODE_VERIFY_SYNC'] === '1') set.verifySync = true;
  const raw = env['EVERYNODE_NODE_EVENT_DELAY_MS'];
  if (raw !== undefined && raw !== '') {
    const ms = Number(raw);
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(
        `EVERYNODE_NODE_EVENT_DELAY_MS: expected a number of ms >= 0, got ${JSON.stringify(raw)}`,
      );
    set.nodeEventDelayMs = ms;
  }
  setControllerDefaults(set);
  return set;
}
