// Issue 17: `everynode rollout` reports an API server it cannot reach in kubectl's words (compared
// with kubectl v1.33 on a real control plane): a refused connection is kubectl's own sentence,
// "The connection to the server HOST:PORT was refused - did you specify the right host or port?";
// a request timeout or another transport failure is "Unable to connect to the server: ..." (kubectl
// then prints Go's text, e.g. "net/http: request canceled (Client.Timeout exceeded while awaiting
// headers)"; everynode says "no answer within 1s (--request-timeout)"). Before, both were
// "error: cannot reach the Kubernetes API server at URL: ...", the wording of `run`, which keeps it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kubectlUnreachableText } from '../../src/cli/kubeconfig.js';
import { serverErrorText } from '../../src/cli/rollout.js';
import { UnavailableError } from '../../src/cluster/port.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'everynode-unreachable-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl wording for a refused connection, a timeout and other transport errors', () => {
  const server = 'https://10.0.0.1:6443';
  assert.equal(
    kubectlUnreachableText(
      new UnavailableError(
        'GET /apis/apps/v1/namespaces/default/daemonsets/a: connect ECONNREFUSED 10.0.0.1:6443',
      ),
      server,
    ),
    'The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?',
  );
  assert.equal(
    serverErrorText(new UnavailableError('GET /api/v1/pods: no answer within 60s'), server),
    'Unable to connect to the server: no answer within 60s (--request-timeout)',
  );
  assert.equal(
    kubectlUnreachableText(
      new UnavailableError('GET /api: getaddrinfo ENOTFOUND api.invalid'),
      server,
    ),
    'Unable to connect to the server: getaddrinfo ENOTFOUND api.invalid',
  );
});

test("rollout history against a closed port: kubectl's sentence, exit 1, no stack trace", () => {
  const kc = join(dir, 'kubeconfig');
  writeFileSync(
    kc,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin', 'everynode.js'), 'rollout', 'history', 'ds/agent', '--kubeconfig', kc],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stderr,
    'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n',
  );
});
