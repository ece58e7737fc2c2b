import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Caches } from '../controller/caches.js';
import { Store } from '../controller/store.js';
import { ControllerMetrics, RECONCILE_BUCKETS, WORKQUEUE_BUCKETS } from './metrics.js';

const empty = (): Caches => ({
  nodes: new Store(),
  pods: new Store(),
  revisions: new Store(),
  daemonSets: new Store(),
});

const Q = 'name="daemonset",controller="daemonset"';

test('controller-runtime and client-go names, types and labels', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  m.observeReconcile(12, false);
  m.observeReconcile(3, true);
  const hooks = m.queueHooks();
  hooks.add();
  hooks.depth(4);
  hooks.retry();
  hooks.latency(2);
  hooks.workDuration(50);
  m.requestResult('200', 'GET', '127.0.0.1:6443');
  m.requestResult('<error>', 'PUT', '127.0.0.1:6443');
  m.setLeader('everynode-controller', true);
  const text = await m.registry.metrics();
  const lines: [RegExp, string][] = [
    [/^controller_runtime_reconcile_total\{controller="daemonset",result="success"\} 1$/m, 'ok'],
    [/^controller_runtime_reconcile_errors_total\{controller="daemonset"\} 1$/m, 'errors'],
    [
      /^controller_runtime_reconcile_time_seconds_bucket\{le="0\.15",controller="daemonset"\} 2$/m,
      'cr buckets',
    ],
    [/^workqueue_depth\{name="daemonset",controller="daemonset",priority=""\} 4$/m, 'depth'],
    [new RegExp(`^workqueue_adds_total\\{${Q}\\} 1$`, 'm'), 'adds'],
    [new RegExp(`^workqueue_retries_total\\{${Q}\\} 1$`, 'm'), 'retries'],
    [new RegExp(`^workqueue_queue_duration_seconds_bucket\\{le="0.01",${Q}\\} 1$`, 'm'), 'latency'],
    [new RegExp(`^workqueue_work_duration_seconds_count\\{${Q}\\} 1$`, 'm'), 'work'],
    [/^rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:6443"\} 1$/m, 'rest'],
    [
      /^rest_client_requests_total\{code="<error>",method="PUT",host="127\.0\.0\.1:6443"\} 1$/m,
      'rest error',
    ],
    [/^leader_election_master_status\{name="everynode-controller"\} 1$/m, 'leader'],
    [/^# TYPE workqueue_unfinished_work_seconds gauge$/m, 'unfinished type'],
    [/^# TYPE workqueue_longest_running_processor_seconds gauge$/m, 'longest type'],
    [/^# TYPE controller_runtime_active_workers gauge$/m, 'active type'],
  ];
  for (const [re, what] of lines) assert.match(text, re, what);
  assert.equal(RECONCILE_BUCKETS.length, 40);
  assert.deepEqual(
    WORKQUEUE_BUCKETS,
    [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000],
  );
});

test('work in progress and active workers are read from the attached controller when scraped', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  let ages = [1500, 250];
  m.attach(
    () => ({
      caches: empty(),
      queue: { inFlight: () => ages.length, processingAges: () => ages },
    }),
    2,
  );
  let text = await m.registry.metrics();
  assert.match(text, new RegExp(`^workqueue_unfinished_work_seconds\\{${Q}\\} 1.75$`, 'm'));
  assert.match(
    text,
    new RegExp(`^workqueue_longest_running_processor_seconds\\{${Q}\\} 1.5$`, 'm'),
  );
  assert.match(text, /^controller_runtime_active_workers\{controller="daemonset"\} 2$/m);
  assert.match(text, /^controller_runtime_max_concurrent_reconciles\{controller="daemonset"\} 2$/m);
  ages = [];
  text = await m.registry.metrics();
  assert.match(text, new RegExp(`^workqueue_unfinished_work_seconds\\{${Q}\\} 0$`, 'm'));
  assert.match(text, /^controller_runtime_active_workers\{controller="daemonset"\} 0$/m);
});

test('requests counted at the Cluster port map verbs to HTTP methods with the API host', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  m.apiHost = '10.0.0.1:443';
  m.apiRequests.inc({ verb: 'create', kind: 'Pod', code: '201' });
  m.apiRequests.inc({ verb: 'updateStatus', kind: 'DaemonSet', code: '409' });
  m.apiRequests.inc({ verb: 'watch', kind: 'Pod', code: '200' });
  m.leaseName = 'my-lease';
  m.leader.set(0);
  const text = await m.registry.metrics();
  assert.match(
    text,
    /^rest_client_requests_total\{code="201",method="POST",host="10\.0\.0\.1:443"\} 1$/m,
  );
  assert.match(
    text,
    /^rest_client_requests_total\{code="409",method="PUT",host="10\.0\.0\.1:443"\} 1$/m,
  );
  assert.match(
    text,
    /^rest_client_requests_total\{code="200",method="GET",host="10\.0\.0\.1:443"\} 1$/m,
  );
  assert.match(text, /^leader_election_master_status\{name="my-lease"\} 0$/m);
});

test('a replica that campaigns reports 0 until it leads', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  assert.doesNotMatch(await m.registry.metrics(), /^leader_election_master_status\{/m);
  m.leaseName = 'everynode-controller';
  assert.match(
    await m.registry.metrics(),
    /^leader_election_master_status\{name="everynode-controller"\} 0$/m,
  );
  m.leader.set(1);
  assert.match(
    await m.registry.metrics(),
    /^leader_election_master_status\{name="everynode-controller"\} 1$/m,
  );
});

test('Prometheus health gate answers: counted by result and reason, timed', async () => {
  const m = new ControllerMetrics({ defaultMetrics: false });
  m.observeGateAnswer({ kind: 'value', value: 0.4 }, 30);
  m.observeGateAnswer({ kind: 'inconclusive', reason: 'Unreachable', message: 'refused' }, 2000);
  m.observeGateAnswer({ kind: 'inconclusive', reason: 'Unreachable', message: 'refused' }, 1);
  const text = await m.registry.metrics();
  assert.match(text, /^everynode_rollout_gate_queries_total\{result="value",reason=""\} 1$/m);
  assert.match(
    text,
    /^everynode_rollout_gate_queries_total\{result="inconclusive",reason="Unreachable"\} 2$/m,
  );
  assert.match(text, /^everynode_rollout_gate_query_duration_seconds_bucket\{le="0\.05"\} 2$/m);
  assert.match(text, /^everynode_rollout_gate_query_duration_seconds_count 3$/m);
});
