/**
 * Leader election on a coordination.k8s.io/v1 Lease through the Cluster port, with client-go's
 * timing model: a holder renews every retryPeriod; a candidate takes over a held Lease only once
 * leaseDurationSeconds have passed on its own clock since it last saw the Lease's record change;
 * a leader that cannot renew within renewDeadline steps down. Optimistic concurrency
 * (resourceVersion) makes two candidates never both win.
 *
 * Why the observed time and not renewTime: renewTime was written with the leader's clock, and
 * comparing it with our own would let a replica whose clock runs ahead take a Lease the leader
 * still renews. Only local durations are compared, so skew between replicas does not matter
 * (a difference in clock rate still does; renewDeadline < leaseDuration leaves room for it).
 * As in client-go, a candidate that has just started counts from its first look, so it waits a
 * full lease duration even for a Lease whose holder died long ago (a released one it takes at
 * once).
 */
import { type Cluster, ConflictError, NotFoundError, AlreadyExistsError } from '../cluster/port.js';
import type { Lease } from '../api/types.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { nullLogger, type Logger } from './logger.js';

/** Options of a LeaderElector. */
export interface LeaderElectionOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly namespace: string;
  readonly name: string;
  /** This process's identity (pod name plus a random suffix is typical). */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly logger?: Logger;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/** Microsecond RFC 3339, as kube-apiserver expects for MicroTime fields. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The Lease fields of client-go's leader-election record, as one comparable string. */
function recordKey(spec: NonNullable<Lease['spec']>): string {
  return JSON.stringify([
    spec.holderIdentity ?? '',
    spec.leaseDurationSeconds ?? 0,
    spec.acquireTime ?? '',
    spec.renewTime ?? '',
    spec.leaseTransitions ?? 0,
  ]);
}

/** Campaigns for a Lease and keeps it; calls back when leadership starts and stops. */
export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: TimerHandle | null = null;
  /** The acquire-or-renew attempt under way, if any. */
  private inflight: Promise<void> | undefined;
  /** True after this process wrote itself into the Lease, until it releases it. */
  private holding = false;
  private lastRenewMs = 0;
  /** The Lease record last seen or written (recordKey), and when, on our clock. */
  private observedRecord: string | undefined;
  private observedAtMs = 0;
  private observedDurationMs = 0;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.log = (opts.logger ?? nullLogger).child({ lease: `${opts.namespace}/${opts.name}` });
  }

  /** True while this process holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /**
   * True when this process leads and renewed the Lease less than renewDeadline ago by its own
   * clock: the window in which no other replica can have taken over (it waits a whole lease
   * duration). A process frozen past it (SIGSTOP, a VM pause, a long GC) still believes it leads
   * until its next tick; writes gated on this stay safe in between.
   */
  holdsLease(): boolean {
    return this.leading && this.opts.clock.now() - this.lastRenewMs < this.renewDeadlineMs;
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    this.schedule(0);
  }

  /**
   * Stops campaigning and releases the Lease if this process holds it, so a standby takes over
   * at once. An attempt under way is waited for first (it is bounded by the client's request
   * timeout): one that acquired the Lease after stop() was called is released too.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.inflight;
    const wasLeading = this.leading;
    this.leading = false;
    if (this.holding) {
      this.holding = false;
      try {
        const lease = await this.opts.cluster.get<Lease>(
          'Lease',
          this.opts.namespace,
          this.opts.name,
        );
        if (lease.spec?.holderIdentity === this.opts.identity) {
          await this.opts.cluster.update<Lease>('Lease', {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: '',
              leaseDurationSeconds: 1,
              renewTime: microTime(this.opts.clock.now()),
            },
          });
        }
      } catch (err) {
        this.log.warn({ err: String(err) }, 'could not release the lease');
      }
    }
    if (wasLeading) this.opts.onStoppedLeading();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.inflight = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'lease acquire or renew failed');
    }
    // Written even when stopping meanwhile, so that stop() knows to release what it won.
    if (ok) this.holding = true;
    if (this.stopped) return;
    const now = this.opts.clock.now();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.log.info({ identity: this.opts.identity }, 'became leader');
        this.opts.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewMs > this.renewDeadlineMs) {
      this.leading = false;
      this.log.warn(
        { identity: this.opts.identity },
        'lost leadership: could not renew within the deadline',
      );
      this.opts.onStoppedLeading();
    }
    this.schedule(this.retryPeriodMs);
  }

  /** One attempt; true when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { cluster, namespace, name, identity, clock } = this.opts;
    const now = clock.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await cluster.get<Lease>('Lease', namespace, name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      try {
        await cluster.create<Lease>('Lease', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { namespace, name },
          spec,
        });
        this.observe(spec, now);
        return true;
      } catch (e) {
        if (e instanceof AlreadyExistsError) return false;
        throw e;
      }
    }
    const cur = lease.spec ?? {};
    this.observe(cur, now);
    const holder = cur.holderIdentity ?? '';
    // Held until leaseDurationSeconds have passed on our clock since the record last changed;
    // renewTime itself is never compared with our clock (it was written with the holder's).
    const expired = holder === '' || this.observedAtMs + this.observedDurationMs <= now;
    if (holder !== identity && !expired) return false;
    const next =
      holder === identity
        ? { ...cur, renewTime: microTime(now), leaseDurationSeconds: spec.leaseDurationSeconds }
        : { ...spec, leaseTransitions: (cur.leaseTransitions ?? 0) + 1 };
    try {
      await cluster.update<Lease>('Lease', { ...lease, spec: next });
      this.observe(next, now);
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  /**
   * Notes the Lease record read or written at `now` (our clock). The observed time moves only
   * when the record differs from the last one seen: a holder that stopped renewing leaves the
   * record unchanged, so its Lease expires leaseDurationSeconds after we first saw that record.
   */
  private observe(spec: NonNullable<Lease['spec']>, now: number): void {
    const key = recordKey(spec);
    if (key === this.observedRecord) return;
    this.observedRecord = key;
    this.observedAtMs = now;
    this.observedDurationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
  }
}
