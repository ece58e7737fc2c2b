/**
 * The dashboard's HTTP app (Hono): the page, JSON for the DaemonSet list, one DaemonSet's grid
 * and node reasons, and a server-sent event stream that says when anything changed. Everything
 * is read from the DashboardState; nothing is written to the cluster.
 */
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { streamSSE } from 'hono/streaming';
import type { DaemonSet } from '../../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../api/types.js';
import { deltaEncode, NODE_MARKS, NODE_STATES, type GridDoc } from '../../sim/report/grid/model.js';
import { rolloutFact } from '../../sim/report/grid/rolloutstate.js';
import { renderDashboardHtml } from './page.js';
import type { DashboardState, DsEntry } from './state.js';

const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/** The phase shown for a DaemonSet: status.rollout.phase when the controller writes one, else derived. */
export function phaseOf(ds: DaemonSet): string {
  const written = (ds.status as { rollout?: { phase?: string } } | undefined)?.rollout?.phase;
  if (written) return written;
  const st = ds.status;
  if ((st?.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) return 'Pending';
  const desired = st?.desiredNumberScheduled ?? 0;
  if ((st?.updatedNumberScheduled ?? 0) >= desired && (st?.numberAvailable ?? 0) >= desired)
    return 'Complete';
  return ds.spec?.updateStrategy?.type === 'OnDelete' ? 'OnDelete' : 'Rolling';
}

function summary(state: DashboardState, e: DsEntry): Record<string, unknown> {
  const ds = e.ds;
  const st = ds.status;
  const uid = ds.metadata?.uid ?? '';
  const revisions = state.revisions.store
    .byIndex('uid', uid)
    .map((r) => {
      const data = r.data as {
        spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
      };
      return {
        revision: r.revision,
        name: r.metadata?.name ?? '',
        hash: r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '',
        changeCause: r.metadata?.annotations?.[CHANGE_CAUSE] ?? '',
        images: (data?.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
        created: r.metadata?.creationTimestamp ?? '',
      };
    })
    .sort((a, b) => b.revision - a.revision);
  return {
    key: e.key,
    kind: e.kind,
    namespace: ds.metadata?.namespace ?? '',
    name: ds.metadata?.name ?? '',
    phase: phaseOf(ds),
    conditions: (st?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? '',
      message: c.message ?? '',
    })),
    counts: {
      desired: st?.desiredNumberScheduled ?? 0,
      current: st?.currentNumberScheduled ?? 0,
      ready: st?.numberReady ?? 0,
      updated: st?.updatedNumberScheduled ?? 0,
      available: st?.numberAvailable ?? 0,
      unavailable: st?.numberUnavailable ?? 0,
      misscheduled: st?.numberMisscheduled ?? 0,
    },
    generation: ds.metadata?.generation ?? 0,
    observedGeneration: st?.observedGeneration ?? 0,
    strategy: state.grid.daemonSets.get(e.key)?.strategy ?? '',
    revisions,
  };
}

/** One DaemonSet's grid as the page's renderer takes it (the report's document format). */
export function gridDocOf(state: DashboardState, e: DsEntry): GridDoc {
  const g = state.grid;
  const rec = g.daemonSets.get(e.key)!;
  const zones = [...new Set(g.zones.filter((z) => z !== ''))].sort();
  return {
    version: 1,
    title: `${e.ds.metadata?.namespace ?? ''}/${e.ds.metadata?.name ?? ''}`,
    subtitle: '',
    axis: { kind: 'time', endT: Math.max(1000, state.elapsed()) },
    states: NODE_STATES,
    marks: NODE_MARKS,
    nodes: {
      names: g.nodeNames,
      attrs:
        zones.length === 0
          ? {}
          : { zone: { values: zones, of: g.zones.map((z) => zones.indexOf(z)) } },
    },
    strings: g.strings.values,
    daemonSets: [
      {
        key: `${e.ds.metadata?.namespace ?? ''}/${e.ds.metadata?.name ?? ''}`,
        strategy: rec.strategy,
        // everynode's rollout: phase and conditions as the controller last wrote them.
        facts: [rolloutFact(e.ds)].filter((f) => f !== undefined),
        podPrefix: '',
        pods: rec.pods,
        podRev: rec.podRev,
        revisions: [],
        runs: g.nodeNames.map((_, i) => deltaEncode(rec.runs[i] ?? [], 4)),
        marks: g.nodeNames.map((_, i) => deltaEncode(rec.marks[i] ?? [], 2)),
        series: rec.series,
      },
    ],
    events: [],
    checks: [],
  };
}

/** The app, and closeStreams() to end every open event stream (for shutdown). */
export function buildDashboardApp(
  state: DashboardState,
  info: { readonly source: string },
): { app: Hono; closeStreams: () => void } {
  const app = new Hono();
  const closers = new Set<() => void>();
  const entry = (key: string | undefined): DsEntry | undefined =>
    key === undefined ? undefined : state.entries.get(key);
  // A 10,000-node grid is a few MB of JSON, a tenth of that compressed (the stream is not).
  app.use('/api/grid', compress());
  app.use('/api/nodes', compress());
  app.get('/', (c) => c.html(renderDashboardHtml(info.source)));
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/api/daemonsets', (c) =>
    c.json({
      version: state.version,
      source: info.source,
      nodes: state.nodes.store.size(),
      daemonSets: [...state.entries.values()]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((e) => summary(state, e)),
    }),
  );
  app.get('/api/grid', (c) => {
    const e = entry(c.req.query('ds'));
    return e === undefined
      ? c.json({ error: 'no such DaemonSet' }, 404)
      : c.json(gridDocOf(state, e));
  });
  app.get('/api/nodes', (c) => {
    const e = entry(c.req.query('ds'));
    if (e === undefined) return c.json({ error: 'no such DaemonSet' }, 404);
    const plan = e.plan;
    return c.json({
      version: state.version,
      error: e.planError ?? plan?.error ?? null,
      nodes: (plan?.nodes ?? []).map((n) => ({
        name: n.name,
        shouldRun: n.shouldRun,
        shouldContinueRunning: n.shouldContinueRunning,
        reason: n.reason,
        pods: n.pods,
      })),
      create: (plan?.creates ?? []).map((x) => ({ node: x.node, reason: x.reason })),
      delete: (plan?.deletes ?? []).map((x) => ({ name: x.name, node: x.node, reason: x.reason })),
    });
  });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      closers.add(end);
      const unsubscribe = state.subscribe((v) => {
        void stream.writeSSE({ event: 'change', data: String(v) });
      });
      const ping = setInterval(() => {
        void stream.writeSSE({ event: 'ping', data: '' });
      }, 15_000);
      stream.onAbort(end);
      await stream.writeSSE({ event: 'change', data: String(state.version) });
      await ended;
      clearInterval(ping);
      unsubscribe();
      closers.delete(end);
    }),
  );
  return {
    app,
    closeStreams: () => {
      for (const end of [...closers]) end();
    },
  };
}
