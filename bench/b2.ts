/**
 * B2: a rolling update of a converged DaemonSet on 5k nodes (pods ready at once), at
 * maxUnavailable 10% and at maxSurge 10% (maxUnavailable 0). Measures wall and CPU time from the
 * image change to every node running an available pod of the new revision. Each mode runs in
 * its own process.
 */
import { argValue, runChild } from './lib/child.js';
import {
  atMost,
  describeSyncPaths,
  info,
  isQuick,
  note,
  report,
  round,
  syncPathFigures,
  type BenchResult,
  type Figure,
} from './lib/common.js';
import { benchScenario, measureRollout, type RolloutResult } from './lib/sim.js';

const UPDATE_AT_MS = 10_000;

type ModeResult = RolloutResult<'unavailable' | 'surge'>;

async function one(mode: 'unavailable' | 'surge', nodes: number): Promise<ModeResult> {
  const ds =
    mode === 'unavailable'
      ? { name: 'agent', maxUnavailable: '10%' }
      : { name: 'agent', maxUnavailable: 0, maxSurge: '10%' };
  const scenario = await benchScenario({
    name: `b2-${mode}-${nodes}`,
    nodes,
    objects: [ds],
    timeline: [
      {
        at: `${UPDATE_AT_MS}ms`,
        action: 'setImage',
        daemonSet: 'kube-system/agent',
        image: 'example/agent:2.0',
      },
    ],
  });
  return measureRollout('b2', mode, nodes, scenario, UPDATE_AT_MS);
}

async function main(): Promise<void> {
  const nodes = Number(argValue('--nodes') ?? (isQuick() ? 500 : 5000));
  const mode = argValue('--mode');
  if (mode === 'unavailable' || mode === 'surge') {
    report({
      id: 'B2',
      title: mode,
      quick: isQuick(),
      figures: [],
      details: { mode: await one(mode, nodes) },
    });
    return;
  }
  const figures: Figure[] = [];
  const modes: ModeResult[] = [];
  for (const m of ['unavailable', 'surge'] as const) {
    const r = await runChild<BenchResult>(new URL(import.meta.url).pathname, {
      args: ['--mode', m, '--nodes', String(nodes), ...(isQuick() ? ['--quick'] : [])],
    });
    const d = r.details.mode as ModeResult;
    note(
      `B2 ${m} ${nodes} nodes: ${round(d.wallMs, 0)} ms wall, ${round(d.cpuMs, 0)} ms CPU, ${d.syncs} syncs (${describeSyncPaths(d.paths)}), ${d.virtualMs} virtual ms`,
    );
    modes.push(d);
    const label = m === 'unavailable' ? 'maxUnavailable 10%' : 'maxSurge 10%';
    figures.push(
      nodes >= 5000
        ? atMost(`rolling update, ${label}, ${nodes} nodes`, d.wallMs, 'ms', 3000)
        : info(`rolling update, ${label}, ${nodes} nodes`, d.wallMs, 'ms'),
      info(`CPU, ${label}`, d.cpuMs, 'ms'),
      info(`syncs, ${label}`, d.syncs, 'syncs'),
      ...syncPathFigures(d.paths, `, ${label}`),
      info(`controller writes, ${label}`, d.controllerWrites, 'writes'),
    );
  }
  report({
    id: 'B2',
    title: 'rolling update of 5k nodes',
    quick: isQuick(),
    figures,
    details: { modes },
  });
}

await main();
