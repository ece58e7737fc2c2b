/**
 * The simulated kubelets (one component for every node, state kept per pod): a bound pod goes
 * Pending, Running, then Ready after a startup delay; failure rules make pods fail, crash-loop or
 * never pull their image; graceful deletions are finished after a termination delay. Status is
 * written on sync-period boundaries so that thousands of pods share a few instants.
 */
import type { Node, Pod } from '../api/types.js';
import { ConflictError, NotFoundError, type Cluster } from '../cluster/port.js';
import type { VirtualClock } from './clock.js';
import { labelsMatch, nodeHealth, resolveNodes } from './nodes.js';
import {
  crashLoopStatus,
  failedStatus,
  imagePullBackOffStatus,
  pendingStatus,
  readyStatus,
  runningStatus,
} from './podstatus.js';
import { sample, type Random } from './random.js';
import type { FailureMode, FailureRule, KubeletSpec } from './scenario/types.js';
import type { WorkTracker } from './work.js';
import { keyOf, type Change, type World } from './world.js';

type Stage = 'new' | 'pending' | 'running' | 'ready' | 'broken' | 'failed';

/** Builds the status a kubelet writes from the pod as it stands. */
type StatusBuild = (pod: Pod, nowMs: number) => NonNullable<Pod['status']>;

interface PodRun {
  readonly uid: string;
  readonly node: string;
  stage: Stage;
  /** A step is scheduled (so resuming after NotReady does not double it). */
  scheduled: boolean;
  terminating: boolean;
  terminationScheduled: boolean;
  /** What this kubelet's last status write returned: newer than the World's copy until the watch
   * brings that write back, so the next write starts from it instead of meeting a Conflict. */
  last: Pod | undefined;
}

/** Status writers per stage; a write returns the new status. */
export class Kubelets {
  private readonly runs = new Map<string, PodRun>();
  private readonly buckets = new Map<number, (() => void)[]>();
  private podIPSeq = 0;
  statusWrites = 0;

  constructor(
    private readonly world: World,
    private readonly cluster: Cluster,
    private readonly clock: VirtualClock,
    private readonly rng: Random,
    private readonly work: WorkTracker,
    private spec: KubeletSpec,
  ) {
    world.listen({
      onPod: (c) => {
        this.onPod(c);
      },
      onNode: (c) => {
        this.onNode(c);
      },
    });
  }

  /** Runs fn at the first sync-period boundary at or after now + delayMs (one clock timer per boundary). */
  private at(delayMs: number, fn: () => void): void {
    const now = this.clock.now();
    const due = this.dueAt(delayMs);
    let bucket = this.buckets.get(due);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(due, bucket);
      this.clock.setTimeout(() => {
        const fns = this.buckets.get(due) ?? [];
        this.buckets.delete(due);
        for (const f of fns) f();
      }, due - now);
    }
    bucket.push(fn);
  }

  private onPod(c: Change<Pod>): void {
    const pod = c.obj;
    if (pod === undefined) {
      this.runs.delete(c.key);
      return;
    }
    const node = pod.spec?.nodeName;
    if (!node || !this.world.nodes.has(node)) return;
    const key = c.key;
    let run = this.runs.get(key);
    if (run === undefined || run.uid !== pod.metadata?.uid) {
      run = {
        uid: pod.metadata?.uid ?? '',
        node,
        stage: initialStage(pod),
        scheduled: false,
        terminating: false,
        terminationScheduled: false,
        last: undefined,
      };
      this.runs.set(key, run);
      if (run.stage === 'new' || run.stage === 'pending' || run.stage === 'running') this.step(key);
    }
    if (pod.metadata?.deletionTimestamp && !run.terminating) {
      run.terminating = true;
      this.terminate(key, run);
    }
  }

  private onNode(c: Change<Node>): void {
    if (c.obj === undefined || nodeHealth(c.obj) !== 'ready') return;
    if (c.old !== undefined && nodeHealth(c.old) === 'ready') return;
    // The kubelet is back: resume every pod on this node.
    for (const pod of this.world.podsOn(c.obj.metadata!.name!)) {
      const key = keyOf(pod);
      const run = this.runs.get(key);
      if (run === undefined) continue;
      if (run.terminating) this.terminate(key, run);
      else if (run.stage === 'ready')
        this.at(0, () => {
          this.write(key, (p, now) => readyStatus(p, now));
        });
      else if (!run.scheduled && run.stage !== 'broken' && run.stage !== 'failed') this.step(key);
    }
  }

  private healthy(node: string): boolean {
    const n = this.world.nodes.get(node);
    return n !== undefined && nodeHealth(n) === 'ready';
  }

  /** The sync-period boundary at or after now + delayMs, where a step due after delayMs runs. */
  private dueAt(delayMs: number): number {
    const period = this.spec.syncPeriodMs;
    return Math.ceil((this.clock.now() + delayMs) / period) * period;
  }

  /**
   * Moves a pod on (or parks it while its node is not Ready). Stages whose delay ends within this
   * same sync (zero delays on a period boundary) are taken together and reported in one status
   * write, as a kubelet's status manager reports only where a pod ended up since its last sync.
   */
  private step(key: string): void {
    const run = this.runs.get(key);
    const pod = this.world.pods.get(key);
    if (run === undefined || pod === undefined || run.terminating) return;
    run.scheduled = false;
    if (!this.healthy(run.node)) return;
    const builds: StatusBuild[] = [];
    for (;;) {
      const delay = this.advance(run, pod, builds);
      if (delay === undefined) break;
      if (this.dueAt(delay) > this.clock.now()) {
        run.scheduled = true;
        this.at(delay, () => {
          this.step(key);
        });
        break;
      }
    }
    if (builds.length === 1) this.write(key, builds[0]!);
    else if (builds.length > 1)
      this.write(key, (p, now) => {
        // Each stage's status is built on the one before, as if it had been written.
        let status = builds[0]!(p, now);
        for (let i = 1; i < builds.length; i++) status = builds[i]!({ ...p, status }, now);
        return status;
      });
  }

  /**
   * Takes one stage transition: adds its status builder to `builds` and returns the delay before
   * the next transition, or undefined when the pod rests where it is.
   */
  private advance(run: PodRun, pod: Pod, builds: StatusBuild[]): number | undefined {
    switch (run.stage) {
      case 'new': {
        run.stage = 'pending';
        const hostIP = this.world.nodes.get(run.node)?.status?.addresses?.[0]?.address ?? '';
        const n = this.podIPSeq++;
        const podIP = `10.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`;
        builds.push((p, now) => pendingStatus(p, now, hostIP, podIP));
        return sample(this.spec.pullDelay, this.rng);
      }
      case 'pending': {
        const failure = this.failureFor(pod);
        if (failure === 'imagePullBackOff') {
          run.stage = 'broken';
          builds.push((p, now) => imagePullBackOffStatus(p, now));
        } else if (failure === 'crashLoop') {
          run.stage = 'broken';
          builds.push((p, now) => crashLoopStatus(p, now, 1));
        } else if (failure === 'fail') {
          run.stage = 'failed';
          builds.push((p, now) => failedStatus(p, now, 'container exited with code 1'));
        } else {
          run.stage = 'running';
          builds.push((p, now) => runningStatus(p, now));
          return sample(this.spec.startupDelay, this.rng);
        }
        return undefined;
      }
      case 'running':
        run.stage = 'ready';
        builds.push((p, now) => readyStatus(p, now));
        return undefined;
      default:
        return undefined;
    }
  }

  /** Finishes a graceful deletion after the termination delay, unless the node is unreachable. */
  private terminate(key: string, run: PodRun): void {
    const node = this.world.nodes.get(run.node);
    if (node === undefined || nodeHealth(node) === 'unreachable' || run.terminationScheduled)
      return;
    run.terminationScheduled = true;
    this.at(sample(this.spec.terminationDelay, this.rng), () => {
      run.terminationScheduled = false;
      const pod = this.world.pods.get(key);
      if (pod === undefined || pod.metadata?.uid !== run.uid) return;
      if (
        !this.world.nodes.has(run.node) ||
        nodeHealth(this.world.nodes.get(run.node)!) === 'unreachable'
      )
        return;
      this.work.run(async () => {
        try {
          await this.cluster.delete('Pod', pod.metadata!.namespace!, pod.metadata!.name!, {
            gracePeriodSeconds: 0,
            uid: run.uid,
          });
        } catch (err) {
          if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
        }
      });
    });
  }

  /** Fails a pod now (phase Failed), as a scenario's failPod action asks. */
  failPod(key: string): void {
    const run = this.runs.get(key);
    if (run !== undefined) run.stage = 'failed';
    this.write(key, (p, now) => failedStatus(p, now, 'failed by the scenario'));
  }

  /** Replaces the kubelet behaviour (future pods and steps use it). */
  configure(spec: KubeletSpec): void {
    this.spec = spec;
  }

  private failureFor(pod: Pod): FailureMode | undefined {
    for (const rule of this.spec.failures) {
      if (
        this.ruleMatches(rule, pod) &&
        (rule.probability >= 1 || this.rng.next() < rule.probability)
      )
        return rule.mode;
    }
    return undefined;
  }

  private ruleMatches(rule: FailureRule, pod: Pod): boolean {
    if (rule.image !== undefined) {
      const img = rule.image;
      const hit = (pod.spec?.containers ?? []).some((c) =>
        img.endsWith('*') ? (c.image ?? '').startsWith(img.slice(0, -1)) : c.image === img,
      );
      if (!hit) return false;
    }
    if (rule.daemonSet !== undefined) {
      const owner = pod.metadata?.ownerReferences?.find(
        (r) => r.controller === true && r.kind === 'DaemonSet',
      );
      if (
        owner === undefined ||
        `${pod.metadata?.namespace ?? 'default'}/${owner.name}` !== rule.daemonSet
      )
        return false;
    }
    if (rule.nodes !== undefined) {
      const node = this.world.nodes.get(pod.spec?.nodeName ?? '');
      if (node === undefined) return false;
      const { names, labels, count } = rule.nodes;
      if (count !== undefined)
        return resolveNodes(this.world.nodes, rule.nodes).nodes.includes(node);
      if (names !== undefined && !names.includes(node.metadata!.name!)) return false;
      if (!labelsMatch(node, labels)) return false;
    }
    return true;
  }

  /**
   * The newest copy of a pod this kubelet knows: the World's, or what its own last write returned
   * when the watch has not brought that write back yet. The memory cluster's resourceVersions
   * come from one increasing counter, so the larger one is the newer copy.
   */
  private latest(key: string): Pod | undefined {
    const cached = this.world.pods.get(key);
    const mine = this.runs.get(key)?.last;
    if (cached === undefined || mine === undefined || mine.metadata?.uid !== cached.metadata?.uid)
      return cached;
    return versionOf(mine) > versionOf(cached) ? mine : cached;
  }

  /**
   * Writes a pod's status from the newest copy it knows (see latest); on a conflict (another
   * writer got in between, e.g. the node lifecycle) it reads the pod again and retries.
   */
  private write(key: string, build: StatusBuild): void {
    this.work.run(async () => {
      let pod = this.latest(key);
      for (let attempt = 0; pod !== undefined && attempt < 3; attempt++) {
        try {
          const written = await this.cluster.updateStatus<Pod>('Pod', {
            ...pod,
            status: build(pod, this.clock.now()),
          });
          this.statusWrites++;
          const run = this.runs.get(key);
          if (run !== undefined && run.uid === written.metadata?.uid) run.last = written;
          return;
        } catch (err) {
          if (err instanceof NotFoundError) return;
          if (!(err instanceof ConflictError)) throw err;
          pod = await this.cluster
            .get<Pod>('Pod', pod.metadata!.namespace!, pod.metadata!.name!)
            .catch(() => undefined);
        }
      }
    });
  }
}

/** A memory-cluster resourceVersion as a number (they come from one increasing counter). */
function versionOf(p: Pod): number {
  return Number(p.metadata?.resourceVersion ?? 0);
}

/** Where a pod that the kubelet has not seen before stands (pods applied with a status keep it). */
function initialStage(pod: Pod): Stage {
  const phase = pod.status?.phase;
  // The API server sets phase Pending on create; a pod no kubelet has touched has no startTime.
  if (phase === undefined || (phase === 'Pending' && pod.status?.startTime === undefined))
    return 'new';
  if (phase === 'Failed' || phase === 'Succeeded') return 'failed';
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return ready ? 'ready' : phase === 'Running' ? 'running' : 'pending';
}
