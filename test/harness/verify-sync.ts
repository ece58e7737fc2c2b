/**
 * The test runner's setup module (scripts/run-tests.mjs passes it with --import): every
 * DaemonSetController in the suite checks each incremental sync against the full reconcile, as
 * controllerDefaults.verifySync. EVERYNODE_VERIFY_SYNC=0 turns that off for a run. With
 * EVERYNODE_VERIFY_SYNC_LOG=<file> each test process appends its sync-path counts at exit
 * ("<incremental> <full> <verified> <file>"), so a whole run can say how many incremental syncs
 * were checked. The library itself reads no environment; a test file run alone gets the same by
 * `node --import tsx --import ./test/harness/verify-sync.ts --test <file>`.
 */
import { appendFileSync } from 'node:fs';
import { setControllerDefaults } from '../../src/controller/controlleroptions.js';
import { syncPathCounts } from '../../src/controller/syncpath.js';

setControllerDefaults({ verifySync: process.env['EVERYNODE_VERIFY_SYNC'] !== '0' });

const logFile = process.env['EVERYNODE_VERIFY_SYNC_LOG'];
if (logFile !== undefined && logFile !== '') {
  process.on('exit', () => {
    const c = syncPathCounts;
    if (c.incremental + c.full > 0)
      appendFileSync(
        logFile,
        `${c.incremental} ${c.full} ${c.verified} ${process.argv[1] ?? ''}\n`,
      );
  });
}
