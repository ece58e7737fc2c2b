/**
 * The Cluster conformance suite: the same tests, run against every adapter of the port (the
 * memory cluster here; the real-cluster work runs it against kube-apiserver). Each test gets a
 * fresh target from makeCluster and asks only what a real kube-apiserver also does; what needs
 * more (expiring watch history, bookmarks on demand, a garbage collector) is behind capability
 * flags, and everything asynchronous is polled with a timeout.
 */
import { describe } from 'node:test';
import { crudTests } from './crud.js';
import { daemonSetTests } from './daemonset.js';
import { gcTests } from './gc.js';
import type { ConformanceTarget } from './helpers.js';
import { podTests } from './pods.js';
import { watchTests } from './watch.js';

export type { ConformanceCapabilities, ConformanceTarget } from './helpers.js';

/** Registers the whole suite under `describe(name)`; makeCluster is called once per test. */
export function runClusterConformance(
  name: string,
  makeCluster: () => Promise<ConformanceTarget>,
): void {
  describe(`Cluster conformance: ${name}`, () => {
    describe('CRUD, concurrency and errors', () => {
      crudTests(makeCluster);
    });
    describe('DaemonSet registry', () => {
      daemonSetTests(makeCluster);
    });
    describe('pods', () => {
      podTests(makeCluster);
    });
    describe('watch', () => {
      watchTests(makeCluster);
    });
    describe('garbage collection', () => {
      gcTests(makeCluster);
    });
  });
}
