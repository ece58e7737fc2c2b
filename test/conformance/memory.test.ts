/** The Cluster conformance suite against the memory adapter (the embedded cluster). */
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { ManualClock } from '../../src/controller/manualclock.js';
import { runClusterConformance } from './suite.js';

runClusterConformance('memory', () => {
  const clock = new ManualClock();
  const cluster = new MemoryCluster({ clock, bookmarkIntervalMs: 1000 });
  return Promise.resolve({
    cluster,
    namespace: 'conformance',
    cleanup: () => Promise.resolve(),
    capabilities: {
      garbageCollection: true,
      timeoutMs: 2000,
      expireWatchHistory: () => {
        cluster.compact();
        return Promise.resolve();
      },
      triggerBookmark: () => {
        clock.advance(1000);
        return Promise.resolve();
      },
    },
  });
});
