import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyControllerEnv } from '../../src/cli/controllerenv.js';
import {
  controllerDefaults,
  setControllerDefaults,
} from '../../src/controller/controlleroptions.js';

test('the CLI sets the controller defaults from EVERYNODE_*; the library reads no environment', () => {
  const before = setControllerDefaults({});
  try {
    assert.deepEqual(applyControllerEnv({}), {});
    assert.deepEqual(
      applyControllerEnv({
        EVERYNODE_INCREMENTAL_SYNC: '0',
        EVERYNODE_VERIFY_SYNC: '1',
        EVERYNODE_NODE_EVENT_DELAY_MS: '250',
      }),
      { incrementalSync: false, verifySync: true, nodeEventDelayMs: 250 },
    );
    assert.equal(controllerDefaults.incrementalSync, false);
    assert.equal(controllerDefaults.nodeEventDelayMs, 250);
    assert.throws(
      () => applyControllerEnv({ EVERYNODE_NODE_EVENT_DELAY_MS: 'soon' }),
      /EVERYNODE_NODE_EVENT_DELAY_MS: expected a number of ms >= 0, got "soon"/,
    );
  } finally {
    setControllerDefaults(before);
  }
});
