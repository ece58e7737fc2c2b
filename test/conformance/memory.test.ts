/** The Cluster conformance suite against the memory adapter (the embedded cluster). */
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { runClusterConformance } from './suite.js';

runClusterConformance('memory', () => {
  const clock = new VirtualClock();
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
