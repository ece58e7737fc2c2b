/**
 * `npm run test:faults`
 *
 * The fault-injection suite (test/cluster/e2e-faults.test.ts, issue 17) on a cluster of its own
 * with a few hundred fake nodes: test:cluster's flow (build if the cache lacks the binaries, up,
 * the tests, always down), with its own state dir and port offset so that it may run beside
 * test:cluster or a developer's cluster. EVERYNODE_TEST_NODES overrides the node count.
 */
process.env.EVERYNODE_TEST_FILES ??= 'test/cluster/e2e-faults.test.ts';
process.env.EVERYNODE_TEST_NODES ??= '200';
process.env.EVERYNODE_CLUSTER_DIR ??= '/tmp/everynode-faults-cluster';
process.env.EVERYNODE_CLUSTER_PORT_OFFSET ??= '150';
await import('./test-cluster.js');
