/**
 * The event recorder: Kubernetes Events on a DaemonSet, written through the port with source
 * component `daemonset-controller`, and logged. A repeat of the same (type, reason, message) on
 * the same object within the aggregation window bumps `count` on the existing Event with a patch
 * instead of creating a new one. Writing events is best-effort: failures are logged, never thrown.
 */
import type { DaemonSet } from '../api/types.js';
import { formatTime } from '../api/types.js';
import { NotFoundError } from '../cluster/port.js';
import type { Cluster, KubeObject } from '../cluster/port.js';
import type { Clock } from './clock.js';
import { nullLogger, type Logger } from './logger.js';

/** The component name upstream's DaemonSet controller reports events under. */
export const EVENT_SOURCE_COMPONENT = 'daemonset-controller';
/** Repeats within this window are aggregated onto one Event. */
export const EVENT_AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
const MAX_TRACKED = 4096;

/** Records events about a DaemonSet. */
export interface EventSink {
  event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

interface Tracked {
  name: string;
  namespace: string;
  count: number;
  lastMs: number;
  firstTimestamp: string;
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
  private readonly tracked = new Map<string, Tracked>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly reasons = new Map<string, number>();
  private seq = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.log = (opts.logger ?? nullLogger).child({ component: 'recorder' });
  }

  event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const meta = ds.metadata ?? {};
    const key = `${meta.uid ?? ''}|${type}|${reason}|${message}`;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    const logObj = { ds: `${meta.namespace ?? ''}/${meta.name ?? ''}`, type, reason };
    if (type === 'Warning') this.log.warn(logObj, message);
    else this.log.info(logObj, message);
    const p = this.write(ds, key, type, reason, message).catch((err: unknown) => {
      this.log.warn({ ...logObj, err: String(err) }, 'could not write event');
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** How many events of each reason were recorded (written or not). */
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

  private async write(
    ds: DaemonSet,
    key: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.opts.clock.now();
    const ts = formatTime(now);
    const prior = this.tracked.get(key);
    if (prior !== undefined && now - prior.lastMs <= EVENT_AGGREGATION_WINDOW_MS) {
      prior.count++;
      prior.lastMs = now;
      try {
        await this.opts.cluster.patch('Event', prior.namespace, prior.name, {
          type: 'merge',
          body: { count: prior.count, lastTimestamp: ts },
        });
        return;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // The Event expired or was deleted: start a new one below.
      }
    }
    const meta = ds.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    // Upstream names events "<object>.<hex nanoseconds>"; the sequence keeps names unique on a
    // virtual clock where many events share one instant.
    const name = `${meta.name ?? 'unknown'}.${(now * 1000 + (this.seq++ % 1000)).toString(16)}`;
    const ev: KubeObject & Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: ds.apiVersion ?? 'apps/v1',
        kind: ds.kind ?? 'DaemonSet',
        name: meta.name,
        namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component: EVENT_SOURCE_COMPONENT },
      reportingComponent: EVENT_SOURCE_COMPONENT,
      reportingInstance: this.opts.instance ?? EVENT_SOURCE_COMPONENT,
    };
    this.remember(key, { name, namespace, count: 1, lastMs: now, firstTimestamp: ts });
    await this.opts.cluster.create('Event', ev);
  }

  private remember(key: string, t: Tracked): void {
    this.tracked.delete(key);
    this.tracked.set(key, t);
    // Map iteration order is insertion order, so the first key is the least recently used.
    if (this.tracked.size > MAX_TRACKED) {
      const oldest = this.tracked.keys().next().value;
      if (oldest !== undefined) this.tracked.delete(oldest);
    }
  }
}
