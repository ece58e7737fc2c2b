/**
 * The event recorder: Kubernetes Events on a DaemonSet, written through the port with source
 * component `daemonset-controller`, and logged. Before a write, events go through client-go's
 * correlation (eventcorrelator.ts): repeats bump `count` on the existing Event with a patch,
 * similar events past ten are combined, and each object may write 25 events and then one per five
 * minutes. Every event is logged and counted, written or not. Writing events is best-effort:
 * failures are logged, never thrown.
 */
import type { DaemonSet } from '../api/types.js';
import { formatTime } from '../api/types.js';
import { NotFoundError } from '../cluster/port.js';
import type { Cluster, KubeObject } from '../cluster/port.js';
import type { Clock } from '../clock/clock.js';
import { EventCorrelator, type Correlation } from './eventcorrelator.js';
import { nullLogger, type Logger } from './logger.js';

/** The component name upstream's DaemonSet controller reports events under. */
export const EVENT_SOURCE_COMPONENT = 'daemonset-controller';

/** Records events about a DaemonSet. */
export interface EventSink {
  event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Options of an EventRecorder. */
export interface EventRecorderOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Written to the Event's reportingInstance. */
  readonly instance?: string;
}

/** An EventSink that writes Event objects through the port; tracks its in-flight writes. */
export class EventRecorder implements EventSink {
  private readonly log: Logger;
  private readonly correlator = new EventCorrelator();
  private readonly inflight = new Set<Promise<void>>();
  /** The last write queued per Event name (writes to one name are serial). */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly reasons = new Map<string, number>();
  private readonly objectKeys = new WeakMap<DaemonSet, string>();
  private seq = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.log = (opts.logger ?? nullLogger).child({ component: 'recorder' });
  }

  event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const meta = ds.metadata ?? {};
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    const logObj = { ds: `${meta.namespace ?? ''}/${meta.name ?? ''}`, type, reason };
    if (type === 'Warning') this.log.warn(logObj, message);
    else this.log.info(logObj, message);
    // Correlated at once, as before the write's first await: a dropped event (past the spam
    // filter's burst, most of a large rollout's creates) costs no promise and no timestamp.
    const now = this.opts.clock.now();
    const namespace = meta.namespace ?? 'default';
    const c = this.correlator.correlate(
      { object: this.objectKey(ds), type, reason, message },
      now,
      () => formatTime(now),
      () => this.newName(ds, now),
      namespace,
    );
    if (c.action === 'skip') return;
    const ts = formatTime(now);
    const run = (): Promise<void> =>
      this.write(ds, type, reason, c, ts).catch((err: unknown) => {
        this.log.warn({ ...logObj, err: String(err) }, 'could not write event');
      });
    // Writes to one Event name go one after another, as client-go's single sink goroutine does:
    // a patch sent while that Event's create is still in flight got 404, fell back to a create
    // and got 409 (one extra request per aggregated Event in the 1,000-node R1).
    const prev = this.tails.get(c.name);
    const p = prev === undefined ? run() : prev.then(run);
    this.tails.set(c.name, p);
    this.inflight.add(p);
    void p.finally(() => {
      this.inflight.delete(p);
      if (this.tails.get(c.name) === p) this.tails.delete(c.name);
    });
  }

  /** How many events of each reason were recorded (written, combined or dropped). */
  counts(): ReadonlyMap<string, number> {
    return this.reasons;
  }

  /** Event writes still in flight. */
  pending(): number {
    return this.inflight.size;
  }

  /** Resolves when every event write issued so far has settled. */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** The involved object's kind, namespace, name, uid and apiVersion joined, once per object. */
  private objectKey(ds: DaemonSet): string {
    let key = this.objectKeys.get(ds);
    if (key === undefined) {
      const meta = ds.metadata ?? {};
      key = [
        ds.kind ?? 'DaemonSet',
        meta.namespace ?? 'default',
        meta.name ?? '',
        meta.uid ?? '',
        ds.apiVersion ?? 'apps/v1',
      ].join('\u0000');
      this.objectKeys.set(ds, key);
    }
    return key;
  }

  private async write(
    ds: DaemonSet,
    type: 'Normal' | 'Warning',
    reason: string,
    c: Exclude<Correlation, { action: 'skip' }>,
    ts: string,
  ): Promise<void> {
    const meta = ds.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    if (c.action === 'patch') {
      try {
        await this.opts.cluster.patch('Event', c.namespace, c.name, {
          type: 'merge',
          body: { count: c.count, lastTimestamp: ts, message: c.message },
        });
        return;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // The Event expired or was deleted: write it again under its name with its count, as
        // client-go does, so later repeats keep patching it.
      }
    }
    const ev: KubeObject & Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: c.name, namespace },
      involvedObject: {
        apiVersion: ds.apiVersion ?? 'apps/v1',
        kind: ds.kind ?? 'DaemonSet',
        name: meta.name,
        namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message: c.message,
      type,
      count: c.action === 'patch' ? c.count : 1,
      firstTimestamp: c.action === 'patch' ? c.firstTimestamp : ts,
      lastTimestamp: ts,
      source: { component: EVENT_SOURCE_COMPONENT },
      reportingComponent: EVENT_SOURCE_COMPONENT,
      reportingInstance: this.opts.instance ?? EVENT_SOURCE_COMPONENT,
    };
    await this.opts.cluster.create('Event', ev);
  }

  /**
   * Upstream names events "<object>.<hex nanoseconds>". The clock has milliseconds, so a sequence
   * fills the sub-millisecond digits: unique for up to a million events in one instant of a
   * virtual clock (a thousand was too few: 5k pods' events collided). BigInt because milliseconds
   * times a million is past 2^53.
   */
  private newName(ds: DaemonSet, now: number): string {
    const nanos = BigInt(Math.floor(now)) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${ds.metadata?.name ?? 'unknown'}.${nanos.toString(16)}`;
  }
}
