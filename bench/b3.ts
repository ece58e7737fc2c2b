/**
 * B3: five DaemonSets on 5k nodes, then node churn: 100 joins and 100 leaves per virtual second
 * for 60 virtual seconds, in ticks of 100 ms (10 joins and 10 leaves each; leaves take the oldest
 * nodes). Measures CPU per node event (the whole process, and the controller's share from an
 * in-process CPU profile of the churn), syncs per node event, and the delay from a node's
 * arrival to the creation of its pods, in virtual time and in wall time.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { getTargetNodeName } from '../src/api/pod.js';
import type { Scenario, TimedAction } from '../src/sim/scenario/types.js';
import { argValue } from './lib/child.js';
import {
  atMost,
  cpuMs,
  describeSyncPaths,
  info,
  isQuick,
  note,
  percentile,
  report,
  syncPathFigures,
  syncPathsNow,
  syncPathsSince,
  type Figure,
  type SyncPaths,
} from './lib/common.js';
import { allConverged, benchScenario, mark, runMeasured, type Mark } from './lib/sim.js';
import { summarise, type CpuProfile } from './profile.js';

const quick = isQuick();
const nodes = Number(argValue('--nodes') ?? (quick ? 500 : 5000));
const seconds = Number(argValue('--seconds') ?? (quick ? 5 : 60));
const tickMs = Number(argValue('--tick') ?? 100);
const perSecond = 100;
const CHURN_AT_MS = 10_000;
const perTick = (perSecond * tickMs) / 1000;
const loc = { file: 'bench:b3', line: 1, col: 1, path: 'timeline' };

const base = await benchScenario({
  name: `b3-${nodes}`,
  nodes,
  objects: ['logs', 'metrics', 'network', 'storage', 'security'].map((name) => ({ name })),
  timeLimit: `${CHURN_AT_MS / 1000 + seconds + 120}s`,
});
const timeline: TimedAction[] = [];
let joined = 0;
let left = 0;
// Oldest first: the base nodes, then the joined ones (a churn longer than nodes / 100 virtual
// seconds, e.g. the target's 60 s on 5k nodes, runs out of base nodes).
const oldest = base.nodes.map((n) => n.name);
for (let t = 0; t < seconds * 1000; t += tickMs) {
  const joins = Array.from({ length: perTick }, () => ({
    name: `join-${String(++joined).padStart(6, '0')}`,
    labels: { 'topology.kubernetes.io/zone': ['zone-a', 'zone-b', 'zone-c'][joined % 3]! },
    taints: [],
    pods: 110,
    ready: true,
  }));
  timeline.push({ action: 'addNodes', nodes: joins, atMs: CHURN_AT_MS + t, loc });
  for (const j of joins) oldest.push(j.name);
  const names = Array.from({ length: perTick }, () => oldest[left++]!);
  timeline.push({ action: 'removeNodes', nodes: { names }, atMs: CHURN_AT_MS + t, loc });
}
const churnEndMs = CHURN_AT_MS + seconds * 1000;
const scenario = { ...base, timeline };

/** What one churn run measured. */
interface Run {
  readonly cpuTotal: number;
  readonly controllerShare: number;
  readonly controllerCpuPerEvent: number;
  readonly syncs: number;
  /** Syncs of the churn by planning path (full ones by decline reason). */
  readonly paths: SyncPaths;
  readonly virtualDelays: readonly number[];
  readonly wallDelays: readonly number[];
  readonly wallMs: number;
  readonly areas: Record<string, number>;
  readonly apiByCaller: Record<string, number>;
  readonly converged: boolean;
  readonly cpuAfterChurnToEnd: number;
}

/**
 * One churn with the controller's node-event delay at delayMs (0: upstream's timing; the
 * scenario's controller.nodeEventDelay). With profileFile, the churn's CPU profile is written there.
 */
async function churn(delayMs: number, profileFile: string | undefined): Promise<Run> {
  return measure(
    { ...scenario, controller: { ...scenario.controller, nodeEventDelayMs: delayMs } },
    profileFile,
  );
}

async function measure(scenario: Scenario, profileFile: string | undefined): Promise<Run> {
  const arrival = new Map<string, { virtual: number; wall: number }>();
  const virtualDelays: number[] = [];
  const wallDelays: number[] = [];
  const session = new Session();
  let profile: CpuProfile | undefined;
  let churnEnd: Mark | undefined;
  let syncsAtStart = 0;
  let syncsAtEnd = 0;
  // Syncs planned by the incremental path and by the full reconcile (src/controller/fastplan.ts).
  let pathsAtStart = syncPathsNow();
  let paths: SyncPaths | undefined;

  const { start, end, sim } = await runMeasured(
    scenario,
    CHURN_AT_MS,
    (s) => s.offset >= churnEndMs && allConverged(s),
    (s) => {
      if (s.offset < CHURN_AT_MS) {
        syncsAtStart = s.controllerSyncs;
        pathsAtStart = syncPathsNow();
        return;
      }
      if (churnEnd === undefined && s.offset >= churnEndMs && allConverged(s)) {
        churnEnd = mark(s.offset);
        syncsAtEnd = s.controllerSyncs;
        paths = syncPathsSince(pathsAtStart);
        session.post('Profiler.stop', (err, r) => {
          if (err === null) profile = r.profile as unknown as CpuProfile;
        });
      }
    },
    (s) => {
      s.world.listen({
        onNode: (c) => {
          if (c.old === undefined && c.obj !== undefined && s.offset >= CHURN_AT_MS)
            arrival.set(c.obj.metadata!.name!, { virtual: s.clock.now(), wall: performance.now() });
        },
        onPod: (c) => {
          if (c.old !== undefined || c.obj === undefined) return;
          const t = getTargetNodeName(c.obj);
          const a = 'node' in t ? arrival.get(t.node) : undefined;
          if (a === undefined) return;
          virtualDelays.push(s.clock.now() - a.virtual);
          wallDelays.push(performance.now() - a.wall);
        },
      });
      // Profile the churn only: start just before the first churn instant fires.
      s.clock.setTimeout(() => {
        session.connect();
        session.post('Profiler.enable');
        session.post('Profiler.setSamplingInterval', { interval: 500 });
        session.post('Profiler.start');
      }, CHURN_AT_MS - 1);
    },
  );
  if (end === undefined || churnEnd === undefined)
    throw new Error('B3: never converged after the churn');
  const events = joined + left;
  const cpuTotal = churnEnd.cpuMs - start.cpuMs;
  let controllerShare = Number.NaN;
  let areas: Record<string, number> = {};
  let apiByCaller: Record<string, number> = {};
  if (profile !== undefined) {
    const s = summarise(profile);
    areas = Object.fromEntries([...s.byArea].map(([k, v]) => [k, Math.round(v)]));
    // src/api time counts as the controller's only when the controller or the engine called it:
    // the simulator's observer reads pod readiness through the same helpers (most of src/api here).
    const own =
      ['controller', 'engine'].reduce((a, k) => a + (s.byArea.get(k) ?? 0), 0) +
      ['api:controller', 'api:engine'].reduce((a, k) => a + (s.byCaller.get(k) ?? 0), 0);
    const attributable = [
      'controller',
      'engine',
      'api',
      'sim',
      'cluster/memory',
      'cluster',
      'bench',
    ].reduce((a, k) => a + (s.byArea.get(k) ?? 0), 0);
    apiByCaller = Object.fromEntries([...s.byCaller].map(([k, v]) => [k, Math.round(v)]));
    controllerShare = own / attributable;
    if (profileFile !== undefined) writeFileSync(profileFile, JSON.stringify(profile));
  }
  const controllerCpuPerEvent = (cpuTotal * controllerShare) / events;
  session.disconnect();
  return {
    cpuTotal,
    controllerShare,
    controllerCpuPerEvent,
    syncs: syncsAtEnd - syncsAtStart,
    paths: paths ?? syncPathsSince(pathsAtStart),
    virtualDelays,
    wallDelays,
    wallMs: churnEnd.wallMs - start.wallMs,
    areas,
    apiByCaller,
    converged: sim.observer.allConverged(),
    cpuAfterChurnToEnd: end.cpuMs - churnEnd.cpuMs,
  };
}

const events = joined + left;
const delayMs = Number(argValue('--node-event-delay') ?? 1000);
const profileFile = argValue('--profile');
const runs: [string, Run][] = [['default', await churn(0, profileFile)]];
if (delayMs > 0) {
  const file = profileFile === undefined ? undefined : `${profileFile}.delay`;
  runs.push([`node-event delay ${delayMs} ms`, await churn(delayMs, file)]);
}
for (const [name, r] of runs)
  note(
    `B3 ${name}, ${nodes} nodes, ${events} node events: ${(r.cpuTotal / events).toFixed(3)} ms CPU per event (process), controller share ${(100 * r.controllerShare).toFixed(0)}%, ${r.syncs} syncs (${describeSyncPaths(r.paths)})`,
  );

/** The figures of one run; `suffix` names the variant after the first. */
function figures(r: Run, suffix: string): Figure[] {
  return [
    atMost(`controller CPU per node event${suffix}`, r.controllerCpuPerEvent, 'ms', 0.2),
    info(
      `whole-process CPU per node event (controller + API server + simulator)${suffix}`,
      r.cpuTotal / events,
      'ms',
    ),
    atMost(
      `controller CPU per virtual second of churn (< 1000 keeps up in real time)${suffix}`,
      (r.cpuTotal * r.controllerShare) / seconds,
      'ms',
      1000,
    ),
    info(`whole-process CPU per virtual second of churn${suffix}`, r.cpuTotal / seconds, 'ms'),
    info(`wall time for the churn${suffix}`, r.wallMs, 'ms'),
    info(`syncs per node event${suffix}`, r.syncs / events, 'syncs'),
    ...syncPathFigures(r.paths, suffix),
    info(`arrival to pod creation p50 (virtual)${suffix}`, percentile(r.virtualDelays, 50), 'ms'),
    info(`arrival to pod creation p99 (virtual)${suffix}`, percentile(r.virtualDelays, 99), 'ms'),
    info(`arrival to pod creation p50 (wall)${suffix}`, percentile(r.wallDelays, 50), 'ms'),
    info(`arrival to pod creation p99 (wall)${suffix}`, percentile(r.wallDelays, 99), 'ms'),
    info(`pods created for joined nodes${suffix}`, r.virtualDelays.length, 'pods'),
  ];
}

const details = (r: Run): Record<string, unknown> => ({
  syncs: r.syncs,
  syncPaths: r.paths,
  cpuMs: r.cpuTotal,
  controllerShare: r.controllerShare,
  profileSelfMsByArea: r.areas,
  profileApiSelfMsByCaller: r.apiByCaller,
  converged: r.converged,
  cpuAfterChurnToEnd: r.cpuAfterChurnToEnd,
});
report({
  id: 'B3',
  title: `five DaemonSets on ${nodes} nodes, ${perSecond} joins and ${perSecond} leaves per virtual second for ${seconds} s${delayMs > 0 ? `; then again with the node-event delay at ${delayMs} ms` : ''}`,
  quick,
  figures: runs.flatMap(([name], i) => figures(runs[i]![1], i === 0 ? '' : ` (${name})`)),
  details: {
    nodes,
    seconds,
    tickMs,
    joins: joined,
    leaves: left,
    nodeEventDelayMs: delayMs,
    ...details(runs[0]![1]),
    ...(runs[1] === undefined ? {} : { withNodeEventDelay: details(runs[1][1]) }),
    cpuNow: cpuMs(),
  },
});
