/**
 * A read-only Cluster port that serves generated objects as a real API server would send them:
 * every list parses fresh JSON (nothing is shared with the server or between lists), pods carry
 * what kube-apiserver and the kubelet add (defaults, the service-account volume, managedFields,
 * container statuses). Only list and watch are served; watches stay open and silent, and writes are
 * accepted and dropped (counted in `writes`). B4 uses it to measure what the controller's caches
 * and sync state cost, without an in-process API server sharing memory.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- generated wire objects are assembled field by field, as JSON; the informer that reads them is what is measured */
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../src/api/types.js';
import { defaultDaemonSet } from '../../src/api/defaults.js';
import type {
  Cluster,
  KubeObject,
  ObjectList,
  ResourceKind,
  Watch,
} from '../../src/cluster/port.js';
import { constructHistory } from '../../src/engine/history.js';
import { makePodFactory } from '../../src/engine/podfactory.js';
import { buildNode } from '../../src/sim/nodes.js';
import { pendingStatus, readyStatus, runningStatus } from '../../src/sim/podstatus.js';
import { daemonSetManifest } from './sim.js';

const NOW = Date.UTC(2026, 0, 1);
const TS = new Date(NOW).toISOString().replace(/\.\d+Z$/, 'Z');
let uidSeq = 0;
const uid = (): string => `00000000-0000-4000-8000-${String(++uidSeq).padStart(12, '0')}`;

/** What kube-apiserver adds to a daemon pod on create, and the kubelet on status. */
function decorate(pod: Record<string, any>, i: number): void {
  const m = pod.metadata;
  m.managedFields = [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'v1',
      time: TS,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:generateName': {},
          'f:labels': {
            '.': {},
            'f:app': {},
            'f:controller-revision-hash': {},
            'f:pod-template-generation': {},
          },
          'f:ownerReferences': { '.': {}, [`k:{"uid":"${m.ownerReferences[0].uid}"}`]: {} },
        },
        'f:spec': {
          'f:affinity': {
            '.': {},
            'f:nodeAffinity': { '.': {}, 'f:requiredDuringSchedulingIgnoredDuringExecution': {} },
          },
          'f:containers': {
            'k:{"name":"agent"}': {
              '.': {},
              'f:image': {},
              'f:imagePullPolicy': {},
              'f:name': {},
              'f:resources': {},
            },
          },
          'f:tolerations': {},
        },
      },
    },
    {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time: TS,
      fieldsType: 'FieldsV1',
      subresource: 'status',
      fieldsV1: {
        'f:status': {
          'f:conditions': {
            'k:{"type":"Ready"}': {
              '.': {},
              'f:lastProbeTime': {},
              'f:lastTransitionTime': {},
              'f:status': {},
              'f:type': {},
            },
          },
          'f:containerStatuses': {},
          'f:hostIP': {},
          'f:phase': {},
          'f:podIP': {},
          'f:podIPs': {},
          'f:startTime': {},
        },
      },
    },
  ];
  const s = pod.spec;
  s.restartPolicy = 'Always';
  s.terminationGracePeriodSeconds = 30;
  s.dnsPolicy = 'ClusterFirst';
  s.serviceAccountName = 'default';
  s.serviceAccount = 'default';
  s.securityContext = {};
  s.schedulerName = 'default-scheduler';
  s.priority = 0;
  s.enableServiceLinks = true;
  s.preemptionPolicy = 'PreemptLowerPriority';
  s.volumes = [
    {
      name: `kube-api-access-${(i % 100000).toString(36)}`,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [
                {
                  path: 'namespace',
                  fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                },
              ],
            },
          },
        ],
      },
    },
  ];
  for (const c of s.containers) {
    c.terminationMessagePath = '/dev/termination-log';
    c.terminationMessagePolicy = 'File';
    c.imagePullPolicy = 'IfNotPresent';
    c.volumeMounts = [
      {
        name: s.volumes[0].name,
        readOnly: true,
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      },
    ];
  }
}

/** A generated cluster: `nodes` nodes and `daemonSets` DaemonSets, one ready pod each per node. */
export class WireCluster implements Cluster {
  private readonly dss: DaemonSet[] = [];
  private readonly revs: ControllerRevision[] = [];
  private readonly factories: ((node: string) => Pod)[] = [];

  constructor(
    readonly nodes: number,
    daemonSets: number,
  ) {
    for (let d = 0; d < daemonSets; d++) {
      const ds = defaultDaemonSet(daemonSetManifest({ name: `agent-${d}` })) as any;
      ds.metadata = {
        ...ds.metadata,
        uid: uid(),
        generation: 1,
        resourceVersion: '100',
        creationTimestamp: TS,
        annotations: { 'deprecated.daemonset.template.generation': '1' },
      };
      const hist = constructHistory(ds, [], []);
      const rev = {
        ...hist.createRevision!,
        metadata: {
          ...hist.createRevision!.metadata,
          uid: uid(),
          resourceVersion: '101',
          creationTimestamp: TS,
        },
      };
      this.dss.push(ds);
      this.revs.push(rev);
      this.factories.push(makePodFactory(ds, hist.current.hash));
    }
  }

  private nodeName(i: number): string {
    return `node-${String(i + 1).padStart(5, '0')}`;
  }

  private node(i: number): Node {
    const n = buildNode(
      {
        name: this.nodeName(i),
        labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
        taints: [],
        pods: 110,
        ready: true,
      },
      NOW,
    ) as any;
    n.metadata.uid = uid();
    n.metadata.resourceVersion = String(1000 + i);
    n.metadata.creationTimestamp = TS;
    return n;
  }

  private pod(d: number, i: number): Pod {
    const node = this.nodeName(i);
    const p = structuredClone(this.factories[d]!(node)) as any;
    const suffix = (i * 7919 + d * 104729).toString(36).padStart(5, 'x').slice(-5);
    p.apiVersion = 'v1';
    p.kind = 'Pod';
    p.metadata.name = `${p.metadata.generateName}${suffix}`;
    p.metadata.uid = uid();
    p.metadata.resourceVersion = String(100000 + d * this.nodes + i);
    p.metadata.creationTimestamp = TS;
    p.spec.nodeName = node;
    decorate(p, d * this.nodes + i);
    const ip = d * this.nodes + i;
    const s1 = pendingStatus(
      p,
      NOW,
      `10.0.${(i >> 8) & 255}.${i & 255}`,
      `10.${64 + ((ip >> 16) & 63)}.${(ip >> 8) & 255}.${ip & 255}`,
    );
    const s2 = runningStatus({ ...p, status: s1 }, NOW);
    p.status = readyStatus({ ...p, status: s2 }, NOW);
    return p;
  }

  /** The namespace/name keys of the DaemonSets, as the controller's queue names them. */
  daemonSetKeys(): string[] {
    return this.dss.map((d) => `${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`);
  }

  /** The JSON size of one pod as the server sends it. */
  podWireBytes(): number {
    return Buffer.byteLength(JSON.stringify(this.pod(0, 0)));
  }

  list<T extends KubeObject>(kind: ResourceKind): Promise<ObjectList<T>> {
    // Fresh objects from JSON, one at a time, as a client library hands them out.
    const fresh = (o: KubeObject): T => JSON.parse(JSON.stringify(o)) as T;
    const items: T[] = [];
    if (kind === 'Node') for (let i = 0; i < this.nodes; i++) items.push(fresh(this.node(i)));
    if (kind === 'DaemonSet') items.push(...this.dss.map(fresh));
    if (kind === 'ControllerRevision') items.push(...this.revs.map(fresh));
    if (kind === 'Pod')
      for (let d = 0; d < this.dss.length; d++)
        for (let i = 0; i < this.nodes; i++) items.push(fresh(this.pod(d, i)));
    return Promise.resolve({ items, resourceVersion: '999999' });
  }

  watch(): Promise<Watch> {
    let stop = (): void => undefined;
    const done = new Promise<void>((resolve) => (stop = resolve));
    return Promise.resolve({
      stop: () => {
        stop();
      },
      done,
    });
  }

  /** Writes accepted and dropped so far, by verb and kind (B4 checks that a sync planned none). */
  readonly writes = new Map<string, number>();

  private drop(verb: string, kind: ResourceKind): void {
    const k = `${verb} ${kind}`;
    this.writes.set(k, (this.writes.get(k) ?? 0) + 1);
  }

  get(): Promise<never> {
    return Promise.reject(new Error('WireCluster serves list and watch only'));
  }
  // Writes succeed and change nothing (the watches stay silent), so that a sync can run to its
  // end; the server's answer is the object as sent.
  create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    this.drop('create', kind);
    return Promise.resolve(obj);
  }
  update<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    this.drop('update', kind);
    return Promise.resolve(obj);
  }
  updateStatus<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    this.drop('updateStatus', kind);
    return Promise.resolve(obj);
  }
  patch(kind: ResourceKind): Promise<never> {
    this.drop('patch', kind);
    return Promise.reject(new Error('WireCluster drops patches and cannot answer them'));
  }
  delete(kind: ResourceKind): Promise<void> {
    this.drop('delete', kind);
    return Promise.resolve();
  }
}
