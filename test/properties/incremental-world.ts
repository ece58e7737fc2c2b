/**
 * The world of the incremental-sync property (incremental.property.test.ts): the controller's
 * caches written directly, the DaemonSet as stored, the steps that change them, and how a full
 * plan is carried out, so each step can compare the incremental plan with the full reconcile.
 */
import { getTargetNodeName } from '../../src/api/pod.js';
import {
  formatTime,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type Node,
  type Pod,
} from '../../src/api/types.js';
import { POD_CACHE, REVISION_CACHE } from '../../src/controller/caches.js';
import { IncrementalPlanner } from '../../src/controller/fastplan.js';
import {
  INDEX_CONTROLLER_UID,
  INDEX_NAMESPACE,
  INDEX_ORPHAN_NAMESPACE,
} from '../../src/controller/informer.js';
import { Store, storeKey } from '../../src/controller/store.js';
import { reconcile } from '../../src/engine/reconcile.js';
import { withTemplate } from '../../src/engine/rollout.js';
import { defaultUpdatePolicy, type UpdatePolicy } from '../../src/engine/updatepolicy.js';
import type { Plan } from '../../src/engine/types.js';
import { dsWith, newNode, newOrphanPod, sec } from '../harness/fixtures.js';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  PROMOTE_ANNOTATION,
  RETRY_ANNOTATION,
  ROLLOUT_STATE_ANNOTATION,
  STRATEGY_ANNOTATION,
} from '../../src/api/rolloutspec.js';
import {
  STRATEGIES,
  TAINTS,
  type ControlOp,
  type GatePodOp,
  type Step,
} from './incremental-steps.js';

/** everynode's CRD. */
export const CRD_API_VERSION = 'apps.everynode.dev/v1alpha1';

/** Caches as the controller keeps them, written directly, and the DaemonSet as stored. */
export class World {
  readonly nodes = new Store<Node>();
  // Exactly the controller's pod cache: per-owner change logs (caches.ts).
  readonly pods = new Store<Pod>(POD_CACHE.indexers, POD_CACHE.store);
  readonly revisions = new Store<ControllerRevision>(REVISION_CACHE.indexers);
  readonly planner = new IncrementalPlanner(this);
  ds: DaemonSet = dsWith({ type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 });
  now = sec(100);
  private seq = 0;

  /** The update policy both paths get; undefined: the one the DaemonSet's rollout spec implies. */
  readonly policy: UpdatePolicy | undefined;

  /** 'own': the policy the DaemonSet's rollout spec implies (engine/rolloutpolicy.ts). */
  constructor(policy: UpdatePolicy | 'own' = defaultUpdatePolicy) {
    this.policy = policy === 'own' ? undefined : policy;
  }

  /**
   * Issue 12: the canary, waves and healthGates fields the DaemonSet carries (in the CRD's
   * rollingUpdate or the strategy annotation's); with them, nodes get a zone label.
   */
  stepFields: Record<string, unknown> | undefined;

  /** Sets the step fields (CRD: spec.updateStrategy.rollingUpdate; apps/v1: the annotation). */
  setStepFields(fields: Record<string, unknown>): void {
    this.stepFields = fields;
    this.ds = this.withStepFields(this.ds);
  }

  private withStepFields(ds: DaemonSet): DaemonSet {
    const fields = this.stepFields;
    if (fields === undefined) return ds;
    if (ds.apiVersion === CRD_API_VERSION) {
      const us = ds.spec?.updateStrategy;
      if (us?.type === 'OnDelete') return ds;
      return {
        ...ds,
        spec: {
          ...ds.spec!,
          updateStrategy: { ...us, rollingUpdate: { ...(us?.rollingUpdate ?? {}), ...fields } },
        },
      };
    }
    const annotations = { ...(ds.metadata?.annotations ?? {}) };
    const strategy = JSON.parse(annotations[STRATEGY_ANNOTATION] ?? '{}') as {
      rollingUpdate?: Record<string, unknown>;
    };
    strategy.rollingUpdate = { ...(strategy.rollingUpdate ?? {}), ...fields };
    annotations[STRATEGY_ANNOTATION] = JSON.stringify(strategy);
    return { ...ds, metadata: { ...ds.metadata, annotations } };
  }

  /** A node's zone label while step fields are in play (zone changes move it). */
  private zoneOf(i: number): Record<string, string> {
    return this.stepFields === undefined ? {} : { zone: `z${i % 3}` };
  }

  /** Replaces a node by a copy changed by f (a label or condition change). */
  private editNode(i: number, f: (n: Mutable<Node>) => void): void {
    const node = this.nodes.get(`node-${i}`);
    if (node === undefined) return;
    const copy = structuredClone(node) as Mutable<Node>;
    f(copy);
    this.nodes.upsert(copy);
  }

  /** A pod change the health gates judge: a crash loop, one or three restarts, clean and Ready. */
  gatePod(j: number, op: GatePodOp): void {
    // The gates judge the update revision's pods: pick among those.
    const hash = this.updateHash();
    const pods = this.pods
      .list()
      .filter((p) => p.metadata?.labels?.['controller-revision-hash'] === hash)
      .sort((a, b) => storeKey(a).localeCompare(storeKey(b)));
    const pod = pods.length === 0 ? undefined : pods[j % pods.length];
    if (pod === undefined || pod.metadata?.deletionTimestamp) return;
    const now = formatTime(this.now);
    const ready = (status: 'True' | 'False') => [
      { type: 'Ready', status, lastTransitionTime: now },
    ];
    this.edit(pod, (p) => {
      const restarts = op === 'restart' ? 1 : op === 'restarts' ? 3 : 0;
      p.status = {
        phase: 'Running',
        conditions: ready(op === 'crash' ? 'False' : 'True'),
        containerStatuses: [
          {
            name: 'c',
            image: 'i',
            imageID: '',
            ready: op !== 'crash',
            restartCount: op === 'crash' ? 4 : restarts,
            state:
              op === 'crash'
                ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } }
                : { running: { startedAt: now } },
          },
        ],
      };
    });
  }

  /** The full reconcile now; `plain`: as plain apps/v1 (the faithful property's reference). */
  snapshotPlan(satisfied: boolean, plain = false): Plan {
    const ns = this.ds.metadata?.namespace ?? '';
    return reconcile(
      {
        ds: this.ds,
        nodes: this.nodes.list(),
        pods: [
          ...this.pods.byIndex(INDEX_CONTROLLER_UID, this.ds.metadata?.uid ?? ''),
          ...this.pods.byIndex(INDEX_ORPHAN_NAMESPACE, ns),
        ],
        revisions: this.revisions.byIndex(INDEX_NAMESPACE, ns),
        now: this.now,
        backoff: new Map(),
      },
      {
        mode: 'live',
        expectationsSatisfied: satisfied,
        ...(this.policy === undefined ? {} : { policy: this.policy }),
        plain,
      },
    );
  }

  podAt(j: number): Pod | undefined {
    const keys = this.pods.keys().sort();
    return keys.length === 0 ? undefined : this.pods.get(keys[j % keys.length]!);
  }

  edit(pod: Pod, f: (p: Mutable<Pod>) => void): void {
    const copy = structuredClone(pod) as Mutable<Pod>;
    f(copy);
    copy.metadata = { ...copy.metadata, resourceVersion: String(++this.seq) };
    this.pods.upsert(copy);
  }

  /** Carries out a full plan's writes the way the API server and a kubelet would show them. */
  apply(plan: Plan, bind: boolean, removeDeleted: boolean): void {
    const h = plan.history;
    if (h?.createRevision) this.revisions.upsert(h.createRevision);
    for (const u of h?.updateRevisions ?? []) {
      const key = `${this.ds.metadata?.namespace}/${u.name}`;
      const rev = this.revisions.get(key);
      if (rev) this.revisions.upsert({ ...rev, revision: u.revision });
    }
    for (const name of h?.deleteRevisions ?? [])
      this.revisions.remove(`${this.ds.metadata?.namespace}/${name}`);
    for (const c of plan.creates) {
      const pod = structuredClone(c.pod) as Mutable<Pod>;
      const name = `${pod.metadata?.generateName ?? 'p-'}${++this.seq}`;
      pod.metadata = {
        ...pod.metadata,
        name,
        uid: `uid-${name}`,
        creationTimestamp: formatTime(this.now),
      };
      if (bind) pod.spec = { ...pod.spec!, nodeName: c.node };
      pod.status = { phase: 'Pending' };
      this.pods.upsert(pod);
    }
    for (const d of plan.deletes) {
      const key = `${d.namespace}/${d.name}`;
      const pod = this.pods.get(key);
      if (pod === undefined) continue;
      if (removeDeleted) this.pods.remove(key);
      else
        this.edit(
          pod,
          (p) => (p.metadata = { ...p.metadata, deletionTimestamp: formatTime(this.now) }),
        );
    }
    for (const c of plan.claims) {
      const pod = c.kind === 'Pod' ? this.pods.get(`${c.namespace}/${c.name}`) : undefined;
      if (pod === undefined) continue;
      const ds = this.ds;
      this.edit(pod, (p) => {
        p.metadata = {
          ...p.metadata,
          ownerReferences:
            c.action === 'adopt'
              ? [
                  {
                    apiVersion: 'apps/v1',
                    kind: 'DaemonSet',
                    name: ds.metadata?.name ?? '',
                    uid: ds.metadata?.uid ?? '',
                    controller: true,
                  },
                ]
              : [],
        };
      });
    }
    if (plan.recordWrite) {
      const key = `${this.ds.metadata?.namespace}/${plan.recordWrite.revision}`;
      const rev = this.revisions.get(key);
      if (rev)
        this.revisions.upsert({
          ...rev,
          metadata: {
            ...rev.metadata,
            annotations: {
              ...rev.metadata?.annotations,
              [ROLLOUT_STATE_ANNOTATION]: plan.recordWrite.value,
            },
          },
        });
    }
    if (plan.statusChanged) this.ds = { ...this.ds, status: plan.status };
  }

  /** The update revision's hash as the full reconcile plans it. */
  updateHash(): string {
    return this.snapshotPlan(true).history?.currentRevision.hash ?? '';
  }

  /** Applies one of the rollout controls of issue 11 to the DaemonSet. */
  control(op: ControlOp, n: number): void {
    const ds = structuredClone(this.ds) as Mutable<DaemonSet>;
    const spec = ds.spec!;
    const crd = ds.apiVersion === CRD_API_VERSION;
    const annotations = { ...(ds.metadata?.annotations ?? {}) };
    // The CRD's own fields, or the strategy annotation's JSON on apps/v1.
    const strategy: Record<string, unknown> = crd
      ? {}
      : (JSON.parse(annotations[STRATEGY_ANNOTATION] ?? '{}') as Record<string, unknown>);
    const set = (field: string, value: unknown): void => {
      if (crd) {
        if (field === 'partition') {
          const ru = { ...(spec.updateStrategy?.rollingUpdate ?? {}) };
          if (value === undefined) delete ru.partition;
          else ru.partition = value as number | string;
          if (spec.updateStrategy?.type !== 'OnDelete')
            spec.updateStrategy = { ...spec.updateStrategy, rollingUpdate: ru };
        } else (spec as Record<string, unknown>)[field] = value;
      } else if (field === 'partition') {
        const ru = { ...((strategy.rollingUpdate as Record<string, unknown> | undefined) ?? {}) };
        if (value === undefined) delete ru.partition;
        else ru.partition = value;
        strategy.rollingUpdate = Object.keys(ru).length === 0 ? undefined : ru;
      } else strategy[field] = value;
    };
    const token = `${this.updateHash()}/${n}`;
    switch (op) {
      case 'pause':
        if (n % 2 === 0) set('paused', true);
        else annotations[PAUSED_ANNOTATION] = 'true';
        break;
      case 'resume':
        set('paused', undefined);
        annotations[PAUSED_ANNOTATION] = 'false';
        break;
      case 'partition':
        set('partition', [0, 1, 2, 4, '30%', '100%'][n % 6]);
        break;
      case 'abort':
        annotations[ABORT_ANNOTATION] = token;
        break;
      case 'retry':
        annotations[RETRY_ANNOTATION] = token;
        break;
      case 'promote':
        annotations[PROMOTE_ANNOTATION] = token;
        break;
      case 'suspend':
        set('suspend', n % 2 === 0 ? 'Freeze' : 'ScaleToZero');
        break;
      case 'unsuspend':
        set('suspend', undefined);
        break;
      case 'deadline':
        set('progressDeadlineSeconds', n % 2 === 0 ? 10 : undefined);
        set('progressDeadlineAbort', n % 3 === 0);
        break;
    }
    if (!crd) annotations[STRATEGY_ANNOTATION] = JSON.stringify(strategy);
    ds.metadata = { ...ds.metadata, annotations };
    this.ds = ds;
  }

  step(s: Step): void {
    switch (s.k) {
      case 'node': {
        const name = `node-${s.i}`;
        if (!s.present) {
          this.nodes.remove(name);
          return;
        }
        const taint = TAINTS[s.taint];
        this.nodes.upsert(
          newNode(name, {
            labels: { ...(s.role ? { role: 'x' } : {}), ...this.zoneOf(s.i) },
            ...(taint ? { taints: [taint] } : {}),
          }),
        );
        return;
      }
      case 'zone':
        this.editNode(s.i, (n) => {
          n.metadata = { ...n.metadata, labels: { ...n.metadata?.labels, zone: `z${s.zone}` } };
        });
        return;
      case 'impair':
        this.editNode(s.i, (n) => {
          n.status = {
            ...n.status,
            conditions: [{ type: 'Ready', status: s.impaired ? 'False' : 'True' }],
          };
        });
        return;
      case 'gatePod':
        this.gatePod(s.j, s.op);
        return;
      case 'touchNode': {
        const node = this.nodes.get(`node-${s.i}`);
        if (node) this.nodes.upsert(structuredClone(node));
        return;
      }
      case 'apply':
        this.apply(this.snapshotPlan(true), s.bind, s.removeDeleted);
        return;
      case 'kubelet': {
        this.kubelet();
        return;
      }
      case 'pod': {
        this.podStep(s.j, s.op);
        return;
      }
      case 'orphan':
        this.pods.upsert(
          newOrphanPod(`node-${s.i}`, s.matches ? {} : { labels: { other: 'app' } }),
        );
        return;
      case 'template': {
        const t = structuredClone(this.ds.spec!.template) as Mutable<
          NonNullable<DaemonSet['spec']>['template']
        >;
        t.spec = {
          ...t.spec!,
          containers: [{ ...t.spec!.containers[0]!, image: `foo/bar:${s.image}` }],
          ...(s.role ? { nodeSelector: { role: 'x' } } : { nodeSelector: undefined }),
        };
        if (!s.role) delete (t.spec as { nodeSelector?: unknown }).nodeSelector;
        const next = withTemplate(this.ds, t) as Mutable<DaemonSet>;
        this.ds = { ...next, spec: { ...next.spec!, minReadySeconds: s.minReady } };
        return;
      }
      case 'strategy': {
        const ru = STRATEGIES[s.mode]!;
        this.ds = this.withStepFields({
          ...this.ds,
          spec: { ...this.ds.spec!, updateStrategy: ru },
        });
        return;
      }
      case 'advance':
        this.now += s.ms;
        return;
      case 'control':
        this.control(s.op, s.n);
        return;
    }
  }

  /** Every pod bound, started and Ready, and every terminating pod gone: a quick convergence. */
  kubelet(): void {
    for (const pod of this.pods.list()) {
      if (pod.metadata?.deletionTimestamp) {
        this.pods.remove(storeKey(pod));
        continue;
      }
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const t = getTargetNodeName(pod);
      const node = pod.spec?.nodeName || ('node' in t ? t.node : '');
      this.edit(pod, (p) => {
        p.spec = { ...p.spec!, nodeName: node };
        p.status = {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(this.now) }],
        };
      });
    }
  }

  podStep(j: number, op: Extract<Step, { k: 'pod' }>['op']): void {
    const pod = this.podAt(j);
    if (pod === undefined) return;
    const now = formatTime(this.now);
    switch (op) {
      case 'bind': {
        const t = getTargetNodeName(pod);
        if (!pod.spec?.nodeName && 'node' in t)
          this.edit(pod, (p) => (p.spec = { ...p.spec!, nodeName: t.node }));
        return;
      }
      case 'ready':
      case 'unready':
        this.edit(pod, (p) => {
          p.status = {
            phase: 'Running',
            conditions: [
              { type: 'Ready', status: op === 'ready' ? 'True' : 'False', lastTransitionTime: now },
            ],
          };
        });
        return;
      case 'delete':
        this.edit(pod, (p) => (p.metadata = { ...p.metadata, deletionTimestamp: now }));
        return;
      case 'remove':
        this.pods.remove(storeKey(pod));
        return;
      case 'fail':
      case 'succeed':
        this.edit(pod, (p) => (p.status = { phase: op === 'fail' ? 'Failed' : 'Succeeded' }));
        return;
      case 'relabel':
        this.edit(pod, (p) => (p.metadata = { ...p.metadata, labels: { other: 'app' } }));
        return;
      case 'touch':
        this.edit(pod, () => undefined);
        return;
    }
  }
}
