/**
 * `helm install`, `upgrade` and `uninstall` of charts/everynode on the real control plane.
 *
 * kwok's nodes run no containers: the chart's Deployment is scheduled and its two pods become
 * Running and Ready (kwok's stages), but nothing runs in them. So the controller "in" each pod is
 * a local `everynode run` with that pod's container args as rendered by the chart, POD_NAME and
 * POD_NAMESPACE of that pod, the chart's ServiceAccount token as its only credential (so the
 * chart's RBAC is what lets it work), and its metrics bound to the Service's port on a loopback
 * address of its own. That gives: a leader holding the chart's Lease and a standby that is ready,
 * metrics scraped on the Service's port, and DaemonSet gauges compared with `kubectl get`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stateDir } from '../../scripts/cluster/lib.js';
import { tool } from './tools.js';
import {
  createDs,
  dropNamespaces,
  dsManifest,
  installCrd,
  readyNodes,
  root,
  waitRolledOut,
  waitUntil,
} from './helpers.js';
import { freshNamespace, kubectl, kubectlJson, skipReason } from './kubectl.js';

const CRD = 'customresourcedefinition/daemonsets.apps.everynode.dev';
// Each engineer's cluster has its own port offset; the metrics port follows it.
const PORT = 18_080 + Number(process.env.EVERYNODE_CLUSTER_PORT_OFFSET ?? '100');

/** One local stand-in for the controller container of a pod. */
class Replica {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly pod: string,
    readonly addr: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    const log = createWriteStream(join(stateDir(), 'logs', `helm-${pod}.log`));
    this.child = spawn(process.execPath, [join(root, 'bin', 'everynode.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        resolve(code);
      });
    });
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const r = await fetch(`http://${this.addr}${path}`, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, text: await r.text() };
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** The value of one series in Prometheus text (labels in the order the exporter writes them). */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A kubeconfig for the test cluster's server that authenticates with a bearer token. */
function tokenKubeconfig(path: string, token: string): string {
  const admin = JSON.parse(readFileSync(process.env.KUBECONFIG!, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, string> }[];
  };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: admin.clusters,
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: admin.clusters[0]!.name, user: 'sa' } }],
    'current-context': 'sa',
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

describe(
  'helm install / upgrade / uninstall on the real control plane',
  { skip: skipReason },
  () => {
    const namespaces: string[] = [];
    const replicas: Replica[] = [];
    let release = '';
    let ns = '';
    after(async () => {
      for (const r of replicas) await r.stop();
      if (release !== '') {
        try {
          tool('helm', ['uninstall', release, '-n', ns, '--wait', '--timeout', '60s']);
        } catch {
          // already uninstalled by the test
        }
      }
      dropNamespaces(namespaces);
    });

    test('a leader and a ready standby, metrics on the Service port that match kubectl get, upgrade, uninstall keeps the CRD', async () => {
      await installCrd();
      const nodes = await readyNodes();
      ns = await freshNamespace('helm');
      const dsNs = await freshNamespace('helm-ds');
      namespaces.push(ns, dsNs);
      release = `en-${ns.slice(5, 12)}`;
      // The CRD exists (kubectl apply, as the other tests install it): the release takes it
      // over, as a user moving from `kubectl apply -k deploy/` to the chart does (README).
      const values = [
        `controller.watchNamespace=${dsNs}`,
        `metrics.port=${PORT}`,
        `metrics.service.port=${PORT}`,
        'image.repository=registry.invalid/everynode',
      ].join(',');
      tool('helm', [
        'install',
        release,
        join(root, 'charts', 'everynode'),
        '-n',
        ns,
        '--set',
        values,
        '--take-ownership',
        '--force-conflicts',
      ]);
      const full = `${release}-everynode`;
      const crd = kubectlJson(['get', CRD]) as {
        metadata: { annotations: Record<string, string> };
      };
      assert.equal(crd.metadata.annotations['helm.sh/resource-policy'], 'keep');
      const svc = kubectlJson(['-n', ns, 'get', 'service', `${full}-metrics`]) as {
        spec: { ports: { port: number; targetPort: string }[] };
      };
      assert.equal(svc.spec.ports[0]?.port, PORT);
      kubectl(['-n', ns, 'get', 'poddisruptionbudget', `${full}-controller`]);
      // kwok schedules the two pods and reports them Running and Ready.
      kubectl(['-n', ns, 'rollout', 'status', `deployment/${full}-controller`, '--timeout=120s']);
      type Pod = {
        metadata: { name: string };
        spec: { containers: { args: string[] }[] };
      };
      const pods = (
        kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release}`]) as {
          items: Pod[];
        }
      ).items;
      assert.equal(pods.length, 2);

      // Each pod's controller, run here with the pod's own args and the chart's ServiceAccount.
      const token = kubectl(['-n', ns, 'create', 'token', full, '--duration=1h']).trim();
      const kubeconfig = tokenKubeconfig(join(stateDir(), `helm-${release}.kubeconfig`), token);
      for (const [i, pod] of pods.entries()) {
        const addr = `127.0.0.${11 + i}:${PORT}`;
        const args = pod.spec.containers[0]!.args.map((a) =>
          a.startsWith('--metrics-addr=') ? `--metrics-addr=${addr}` : a,
        );
        assert.ok(args.includes(`--metrics-addr=${addr}`), 'the chart binds the Service port');
        replicas.push(
          new Replica(pod.metadata.name, addr, [...args, '--kubeconfig', kubeconfig], {
            POD_NAME: pod.metadata.name,
            POD_NAMESPACE: ns,
          }),
        );
      }
      const holder = await waitUntil('a replica holds the Lease', () => {
        const lease = kubectlJson(['-n', ns, 'get', 'lease', 'everynode-controller']) as {
          spec?: { holderIdentity?: string };
        };
        return lease.spec?.holderIdentity;
      });
      const leader = replicas.find((r) => holder.startsWith(`${r.pod}_`));
      assert.ok(leader, `the holder ${holder} is one of the pods`);
      const standby = replicas.find((r) => r !== leader)!;
      for (const r of replicas) {
        await waitUntil(`${r.pod} is ready`, async () => (await r.get('/readyz')).status === 200);
      }
      const lead = 'leader_election_master_status{name="everynode-controller"}';
      assert.equal(series((await leader.get('/metrics')).text, lead), 1);
      assert.equal(series((await standby.get('/metrics')).text, lead), 0);

      // A DaemonSet in the watched namespace: the leader's gauges match kubectl get.
      createDs(dsManifest('crd', dsNs, 'agent'));
      await waitRolledOut('crd', dsNs, 'agent', nodes, 'registry.invalid/agent:1');
      const fields: [string, string][] = [
        ['desired_number_scheduled', 'desiredNumberScheduled'],
        ['current_number_scheduled', 'currentNumberScheduled'],
        ['number_ready', 'numberReady'],
        ['number_available', 'numberAvailable'],
        ['updated_number_scheduled', 'updatedNumberScheduled'],
        ['number_misscheduled', 'numberMisscheduled'],
        ['observed_generation', 'observedGeneration'],
      ];
      let last = '';
      await waitUntil(
        'the leader exports what kubectl get shows',
        async () => {
          const ds = kubectlJson(['-n', dsNs, 'get', 'daemonsets.apps.everynode.dev', 'agent']) as {
            metadata: { generation: number };
            status: Record<string, number>;
          };
          const text = (await leader.get('/metrics')).text;
          const l = `{namespace="${dsNs}",daemonset="agent"}`;
          const diffs = fields
            .map(
              ([metric, field]) =>
                [
                  metric,
                  series(text, `everynode_daemonset_status_${metric}${l}`),
                  ds.status[field] ?? 0,
                ] as const,
            )
            .filter(([, got, want]) => got !== want);
          if (
            series(text, `everynode_daemonset_metadata_generation${l}`) !== ds.metadata.generation
          )
            diffs.push(['metadata_generation', undefined, ds.metadata.generation]);
          last = JSON.stringify(diffs);
          return diffs.length === 0;
        },
        30_000,
      ).catch((e: unknown) => {
        throw new Error(
          `${(e as Error).message}; differences [metric, /metrics, kubectl]: ${last}`,
        );
      });
      assert.doesNotMatch((await standby.get('/metrics')).text, /^everynode_daemonset_status/m);

      // Upgrade: a new value reaches the Deployment; the release is at revision 2.
      tool('helm', [
        'upgrade',
        release,
        join(root, 'charts', 'everynode'),
        '-n',
        ns,
        '--reuse-values',
        '--set',
        'controller.logLevel=debug',
      ]);
      const deploy = kubectlJson(['-n', ns, 'get', 'deployment', `${full}-controller`]) as Pod & {
        spec: { template: Pod };
      };
      assert.ok(deploy.spec.template.spec.containers[0]!.args.includes('--log-level=debug'));
      const status = JSON.parse(tool('helm', ['status', release, '-n', ns, '-o', 'json'])) as {
        version: number;
        info: { status: string };
      };
      assert.deepEqual([status.version, status.info.status], [2, 'deployed']);

      // SIGTERM: both exit 0 and the leader hands the Lease back.
      for (const r of replicas.splice(0)) assert.equal(await r.stop(), 0, `${r.pod} exit code`);

      // Uninstall: everything of the release goes, the CRD (and so the DaemonSet) stays.
      tool('helm', ['uninstall', release, '-n', ns, '--wait', '--timeout', '60s']);
      release = '';
      assert.throws(
        () => kubectl(['-n', ns, 'get', 'deployment', `${full}-controller`]),
        /NotFound/,
      );
      assert.throws(() => kubectl(['get', 'clusterrole', `${full}-controller`]), /NotFound/);
      kubectl(['get', CRD]);
      kubectl(['-n', dsNs, 'get', 'daemonsets.apps.everynode.dev', 'agent']);
    });
  },
);
