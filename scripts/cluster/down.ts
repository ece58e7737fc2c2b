/**
 * `npm run cluster:down [-- --keep-logs]`
 *
 * Stops every component the last `cluster:up` started (kwok and the controllers first, etcd last;
 * SIGTERM, then SIGKILL after 10 s), checking each pid still runs our binary, and removes the
 * state directory. Succeeds when nothing is running. With --keep-logs the logs directory stays.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isOurs, readState, removeStateDir, stateDir, stopAll } from './lib.js';

const { values: args } = parseArgs({
  options: { 'keep-logs': { type: 'boolean', default: false } },
});
const dir = stateDir();
const state = readState(dir);
if (state) {
  const running = state.components.filter((c) => isOurs(c.pid, c.binary));
  await stopAll([...state.components].reverse());
  const left = state.components.filter((c) => isOurs(c.pid, c.binary));
  if (left.length > 0) {
    console.error(`could not stop: ${left.map((c) => `${c.name}=${c.pid}`).join(', ')}`);
    process.exit(1);
  }
  console.error(`stopped ${running.map((c) => c.name).join(', ') || 'nothing (all had exited)'}`);
} else if (existsSync(dir)) {
  console.error(`no running cluster recorded in ${dir}; removing leftovers`);
} else {
  console.error(`no cluster state in ${dir}; nothing to do`);
}
if (args['keep-logs'] && existsSync(join(dir, 'logs'))) {
  for (const name of readdirSync(dir)) {
    if (name !== 'logs') rmSync(join(dir, name), { recursive: true, force: true });
  }
  console.error(`logs kept in ${join(dir, 'logs')}`);
} else {
  removeStateDir(dir);
}
