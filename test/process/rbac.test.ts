/**
 * Least privilege from the code (issue 17 item 9): the API calls the controller can make are
 * read from its source (every `cluster.<verb>(kind, ...)` call site in src/controller), each is
 * sent through the real kube adapter to a recording server to learn the request it becomes
 * (method, path, subresource, name), and the RBAC rules those requests need are compared, both
 * ways, with deploy/rbac.yaml and deploy/rbac-native.yaml: nothing missing, nothing extra. A run
 * of the controller process on the memory cluster checks that the source scan misses no call.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { DaemonSet } from '../../src/api/types.js';
import { KubeCluster } from '../../src/cluster/kube/index.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { Cluster, KubeObject, ResourceKind } from '../../src/cluster/port.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { nullLogger } from '../../src/controller/logger.js';
import { bindAll, dsFoo, kubeletStep, node } from '../../src/controller/testing.js';
import { ControllerProcess, LEASE_NAME } from '../../src/cli/run-process.js';
import { emptyCluster, startFakeApi, type FakeApi } from './fakeapi.js';

const ROOT = join(import.meta.dirname, '../..');
type Verb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';
type Mode = 'crd' | 'native';
/** The DaemonSet kind of the mode (--resource). */
const DS = '<DaemonSet>';

/**
 * What a non-literal kind argument can be, by the expression written at the call site. A new
 * expression fails the test until it is added here (with the kinds it can take).
 */
const KIND_EXPRESSIONS: Readonly<Record<string, readonly string[]>> = {
  'this.dsKind': [DS],
  // admission: the Invalid condition of a refused DaemonSet.
  dsKind: [DS],
  // executor: adoption and release patch pods and revisions.
  'a.kind': ['Pod', 'ControllerRevision'],
  // informer: one per cache (caches.ts): nodes, pods, DaemonSets, revisions.
  'this.opts.kind': ['Node', 'Pod', DS, 'ControllerRevision'],
};

/** Every (verb, kind) the controller's source can call, from its call sites. */
function callsInSource(): Set<string> {
  const dir = join(ROOT, 'src/controller');
  const calls = new Set<string>();
  const site =
    /\bcluster\s*\.\s*(list|watch|get|create|update|updateStatus|patch|delete)\s*(?:<[^()]*?>)?\s*\(\s*([^,)]+?)\s*[,)]/g;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f === 'testing.ts') continue;
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(site)) {
      const expr = m[2]!;
      const literal = /^'([A-Za-z]+)'$/.exec(expr)?.[1];
      const kinds = literal !== undefined ? [literal] : KIND_EXPRESSIONS[expr];
      assert.ok(kinds, `${f}: cluster.${m[1]!}(${expr}, ...): add ${expr} to KIND_EXPRESSIONS`);
      for (const k of kinds) calls.add(`${m[1]!} ${k}`);
    }
  }
  return calls;
}

/** One RBAC permission: group, resource[/subresource], verb, and the name it is limited to. */
function perm(group: string, resource: string, verb: string, name = '*'): string {
  return `${group}|${resource}|${verb}|${name}`;
}

/** The permission a recorded request needs (kube-apiserver's request info, simplified). */
function permOf(
  method: string,
  path: string,
  query: URLSearchParams,
): { perm: string; name: string } {
  const segs = path.split('/').filter((s) => s !== '');
  const [group, rest] = segs[0] === 'api' ? ['', segs.slice(2)] : [segs[1] ?? '', segs.slice(3)];
  const scoped = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  const [resource = '', name, sub] = scoped;
  const full = sub === undefined ? resource : `${resource}/${sub}`;
  const verb =
    method === 'GET'
      ? query.get('watch') === '1'
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : (
          { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<
            string,
            string
          >
        )[method]!;
  return { perm: perm(group, full, verb, name ?? '*'), name: name ?? '' };
}

function sample(kind: ResourceKind): KubeObject {
  const ns = kind === 'Node' ? undefined : kind === 'Lease' ? 'everynode-system' : 'ns1';
  const name = kind === 'Lease' ? LEASE_NAME : 'x';
  return { metadata: { name, ...(ns === undefined ? {} : { namespace: ns }) } };
}

/** Sends one port call through the kube adapter and returns the request the server saw. */
async function requestOf(api: FakeApi, c: KubeCluster, verb: Verb, kind: ResourceKind) {
  const o = sample(kind);
  const ns = o.metadata?.namespace ?? '';
  const name = o.metadata?.name ?? '';
  const before = api.seen.length;
  if (verb === 'list') await c.list(kind, {});
  else if (verb === 'watch')
    (await c.watch(kind, { resourceVersion: '1' }, () => undefined)).stop();
  else if (verb === 'get') await c.get(kind, ns, name).catch(() => undefined);
  else if (verb === 'create') await c.create(kind, o);
  else if (verb === 'update') await c.update(kind, o);
  else if (verb === 'updateStatus') await c.updateStatus(kind, o);
  else if (verb === 'patch') await c.patch(kind, ns, name, { type: 'merge', body: {} });
  else await c.delete(kind, ns, name);
  const seen = api.seen.slice(before);
  assert.equal(seen.length, 1, `${verb} ${kind} made ${seen.length} requests`);
  return seen[0]!;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}
interface Doc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, 'deploy', file), 'utf8')).map(
    (d) => d.toJS() as Doc,
  );
}

/** Every permission of a role's rules. */
function granted(role: Doc): Set<string> {
  const out = new Set<string>();
  for (const r of role.rules ?? [])
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs ?? [])
          for (const n of r.resourceNames ?? ['*']) out.add(perm(g, res, v, n));
  return out;
}

/** The roles bound to the controller's ServiceAccount by the given files. */
function boundRoles(files: readonly string[]): Doc[] {
  const all = files.flatMap(docs);
  const bound: Doc[] = [];
  for (const b of all.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
    const forUs = (b.subjects ?? []).some(
      (s) =>
        s.kind === 'ServiceAccount' && s.name === 'everynode' && s.namespace === 'everynode-system',
    );
    if (!forUs) continue;
    const role = [...files.flatMap(docs), ...docs('rbac.yaml')].find(
      (d) => d.kind === b.roleRef?.kind && d.metadata?.name === b.roleRef?.name,
    );
    assert.ok(
      role,
      `${b.metadata?.name ?? ''} binds ${b.roleRef?.name ?? ''}, which does not exist`,
    );
    bound.push(role);
  }
  return bound;
}

/**
 * Permissions the code needs without calling them: setting blockOwnerDeletion on the owner
 * references of pods and revisions needs update on the owner's finalizers under the
 * OwnerReferencesPermissionEnforcement admission plugin (upstream's DaemonSet controller role
 * has it too).
 */
function admissionNeeds(mode: Mode): Set<string> {
  return new Set([
    perm(mode === 'crd' ? 'apps.everynode.dev' : 'apps', 'daemonsets/finalizers', 'update'),
  ]);
}

describe('RBAC from the code', () => {
  let dir = '';
  let api: FakeApi;
  const needed = new Map<Mode, Set<string>>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-rbac-'));
    api = await startFakeApi(emptyCluster);
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig(dir));
    const c = new KubeCluster({ kubeConfig: kc, timeoutMs: 5000 });
    const calls = callsInSource();
    for (const mode of ['crd', 'native'] as const) {
      const set = new Set<string>();
      for (const call of calls) {
        const [verb, kindText] = call.split(' ') as [Verb, string];
        const kind = (
          kindText === DS ? (mode === 'crd' ? 'EverynodeDaemonSet' : 'DaemonSet') : kindText
        ) as ResourceKind;
        const seen = await requestOf(api, c, verb, kind);
        const p = permOf(seen.method, seen.path, seen.query);
        // Only the Lease is addressed by one fixed name; everything else by any name.
        set.add(kind === 'Lease' || p.name === '' ? p.perm : p.perm.replace(/\|[^|]*$/, '|*'));
      }
      needed.set(mode, set);
    }
    c.close();
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ['crd', 'native'] as const) {
    test(`--resource ${mode}: the bound roles grant exactly what the code calls`, () => {
      const files = mode === 'crd' ? ['rbac.yaml'] : ['rbac.yaml', 'rbac-native.yaml'];
      let roles = boundRoles(files);
      // rbac-native.yaml replaces the CRD binding of rbac.yaml (README: --resource native).
      if (mode === 'native') roles = roles.filter((r) => r.metadata?.name !== 'everynode-crd');
      const have = new Set(roles.flatMap((r) => [...granted(r)]));
      const want = new Set([...needed.get(mode)!, ...admissionNeeds(mode)]);
      const missing = [...want].filter((p) => !have.has(p)).sort();
      const extra = [...have].filter((p) => !want.has(p)).sort();
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    });
  }

  test('the Lease rules are in a Role of the namespace the Deployment runs in, named where Kubernetes allows', () => {
    const leaseRoles = docs('rbac.yaml').filter((d) => d.kind === 'Role');
    assert.deepEqual(
      leaseRoles.map((r) => r.metadata?.namespace),
      ['everynode-system'],
    );
    const rules = leaseRoles[0]!.rules ?? [];
    // create cannot be limited by resourceNames (the name is not in the request's URL).
    assert.deepEqual(
      rules.map((r) => [r.verbs?.join(','), r.resourceNames?.join(',') ?? '']),
      [
        ['create', ''],
        ['get,update', LEASE_NAME],
      ],
    );
    const deployment = docs('deployment.yaml')[0] as Doc & {
      spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
    };
    assert.equal(deployment.metadata?.namespace, 'everynode-system');
    assert.ok(deployment.spec?.template?.spec?.containers?.[0]?.args?.includes('--resource=crd'));
  });

  test('the Deployment runs non-root, read-only, no escalation, no capabilities, RuntimeDefault seccomp, metrics bound explicitly', () => {
    const d = docs('deployment.yaml')[0] as {
      spec: {
        template: {
          spec: {
            securityContext?: Record<string, unknown>;
            terminationGracePeriodSeconds?: number;
            containers: { args?: string[]; securityContext?: Record<string, unknown> }[];
          };
        };
      };
    };
    const pod = d.spec.template.spec;
    const c = pod.containers[0]!;
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.ok(Number(pod.securityContext?.runAsUser) > 0);
    assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
    // The default bind is loopback; in a pod the probes and scrapers need the pod's address.
    assert.ok(c.args?.includes('--metrics-addr=0.0.0.0:8080'));
    // The orderly stop (default --shutdown-timeout 25s) fits in the grace period.
    assert.ok((pod.terminationGracePeriodSeconds ?? 30) > 25);
  });

  test('a controller run on the memory cluster calls nothing the source scan missed', async () => {
    const clock = new VirtualClock(0);
    const memory = new MemoryCluster({ clock });
    const seen = new Set<string>();
    const record = (verb: Verb, kind: ResourceKind): void => {
      seen.add(`${verb} ${kind === 'EverynodeDaemonSet' ? DS : kind}`);
    };
    const base = memory.client('controller');
    const cluster: Cluster = {
      list: (k, o) => (record('list', k), base.list(k, o)),
      watch: (k, o, h) => (record('watch', k), base.watch(k, o, h)),
      get: (k, ns, n) => (record('get', k), base.get(k, ns, n)),
      create: (k, o) => (record('create', k), base.create(k, o)),
      update: (k, o) => (record('update', k), base.update(k, o)),
      updateStatus: (k, o) => (record('updateStatus', k), base.updateStatus(k, o)),
      patch: (k, ns, n, p) => (record('patch', k), base.patch(k, ns, n, p)),
      delete: (k, ns, n, o) => (record('delete', k), base.delete(k, ns, n, o)),
    };
    for (const n of ['node-1', 'node-2']) await memory.create('Node', node(n));
    const ds = { ...dsFoo(), apiVersion: 'apps.everynode.dev/v1alpha1' } as unknown as DaemonSet;
    await memory.create('EverynodeDaemonSet', {
      ...ds,
      spec: { ...ds.spec, revisionHistoryLimit: 0 },
    } as unknown as DaemonSet);
    const proc = new ControllerProcess({
      cluster,
      clock,
      logger: nullLogger,
      dsKind: 'EverynodeDaemonSet',
      workers: 2,
      leaderElection: { namespace: 'everynode-system', identity: 'me', retryPeriodMs: 1000 },
    });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 30; i++) {
        await memory.idle();
        await new Promise((r) => setImmediate(r));
      }
    };
    await proc.start();
    const step = async (): Promise<void> => {
      await bindAll(memory);
      await kubeletStep(memory, clock);
      clock.advance(1000);
      await settle();
    };
    for (let i = 0; i < 4; i++) await step();
    // A template change: a new revision, old pods deleted, the old revision dropped.
    const live = await memory.get<DaemonSet>('EverynodeDaemonSet', 'default', 'foo');
    const tpl = live.spec!.template;
    await memory.update('EverynodeDaemonSet', {
      ...live,
      spec: {
        ...live.spec!,
        template: { ...tpl, metadata: { ...tpl.metadata, annotations: { v: '2' } } },
      },
    });
    for (let i = 0; i < 8; i++) await step();
    await proc.shutdown();
    assert.equal(await proc.exited, 0);
    const scanned = callsInSource();
    const missed = [...seen].filter((c) => !scanned.has(c));
    assert.deepEqual(missed, []);
    // The run did exercise the writes the roles are about.
    for (const c of [
      'create Pod',
      'delete Pod',
      `updateStatus ${DS}`,
      'create ControllerRevision',
      'create Lease',
      'update Lease',
    ])
      assert.ok(seen.has(c), `the run never made ${c}: ${[...seen].join(', ')}`);
  });
});
