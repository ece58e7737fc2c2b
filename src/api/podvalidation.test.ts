// Issue 17 item 1: the pod template is validated as kube-apiserver validates it for apps/v1.
// Before this file's commit every case below was accepted (and `operator: Near` planned deletes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitDaemonSetCreate } from './dsstrategy.js';
import type { DaemonSet, Mutable } from './types.js';

type MDS = Mutable<DaemonSet>;
type Spec = NonNullable<NonNullable<MDS['spec']>['template']['spec']>;

function ds(edit: (d: MDS, spec: Spec) => void = () => undefined): DaemonSet {
  const d: MDS = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'agent', image: 'agent:1' }] },
      },
    },
  };
  edit(d, d.spec!.template.spec!);
  return d;
}

/** The error lines of admitting a DaemonSet (empty: accepted). */
function errors(d: DaemonSet): string[] {
  return admitDaemonSetCreate(d).errors.map(String);
}

const REQ =
  'spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
const affinity = (terms: unknown): Spec['affinity'] =>
  ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  }) as Spec['affinity'];

test('the base DaemonSet is valid', () => {
  assert.deepEqual(errors(ds()), []);
});

test('node affinity: an unknown or lower-case operator is refused with its field path', () => {
  for (const op of ['Near', 'in', 'notin', '']) {
    const d = ds((_, s) => {
      s.affinity = affinity([{ matchExpressions: [{ key: 'zone', operator: op, values: ['a'] }] }]);
    });
    assert.deepEqual(errors(d), [
      `${REQ}.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: ${JSON.stringify(op)}: not a valid selector operator`,
    ]);
  }
});

test('node affinity: wrong types, no terms, value counts, bad keys and matchFields', () => {
  const cases: [unknown, RegExp][] = [
    ['oops', /nodeSelectorTerms: Invalid value: "oops": must be a list/],
    [[], /nodeSelectorTerms: Required value: must have at least one node selector term/],
    [[{ matchExpressions: 'x' }], /matchExpressions: Invalid value: "x": must be a list/],
    [[{ matchExpressions: [{ key: 'a', operator: 'In' }] }], /values: Required value/],
    [[{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }], /Forbidden/],
    [[{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1', '2'] }] }], /single value/],
    [[{ matchExpressions: [{ key: 'bad key', operator: 'Exists' }] }], /key: Invalid value/],
    [[{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b c'] }] }], /values\[0\]/],
    [
      [{ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }] }],
      /field selector key/,
    ],
    [[{ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }], /operator: Invalid/],
  ];
  for (const [terms, re] of cases) {
    const got = errors(ds((_, s) => (s.affinity = affinity(terms))));
    assert.equal(got.length >= 1, true, JSON.stringify(terms));
    assert.match(got.join('\n'), re, JSON.stringify(terms));
  }
  // Gt with a non-integer value is valid for the API (it matches nothing when scheduling).
  const gtX = ds((_, s) => {
    s.affinity = affinity([{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['x'] }] }]);
  });
  assert.deepEqual(errors(gtX), []);
});

test('preferred terms, pod affinity and anti-affinity', () => {
  const d = ds((_, s) => {
    s.affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'Near' }] } },
        ],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }],
      },
    };
  });
  assert.deepEqual(errors(d), [
    'spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
    'spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
    'spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
    'spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must be non-empty',
    `spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  ]);
});

test('tolerations: unknown operator and effect, Exists with a value, tolerationSeconds', () => {
  const tol = (t: object): DaemonSet =>
    ds((_, s) => {
      s.tolerations = [t];
    });
  const p = 'spec.template.spec.tolerations[0]';
  assert.deepEqual(errors(tol({ key: 'k', operator: 'Bogus' })), [
    `${p}.operator: Unsupported value: "Bogus": supported values: "Equal", "Exists"`,
  ]);
  assert.deepEqual(errors(tol({ key: 'k', operator: 'Exists', effect: 'Bogus' })), [
    `${p}.effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
  ]);
  assert.deepEqual(errors(tol({ key: 'k', operator: 'Exists', value: 'v' })), [
    `${p}.operator: Invalid value: "v": value must be empty when \`operator\` is 'Exists'`,
  ]);
  assert.deepEqual(errors(tol({ operator: 'Equal', value: 'v' })), [
    `${p}.operator: Invalid value: "Equal": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`,
  ]);
  assert.deepEqual(errors(tol({ key: 'k', operator: 'Exists', tolerationSeconds: 5 })), [
    `${p}.effect: Invalid value: "": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
  ]);
  assert.deepEqual(errors(tol({ key: 'k', operator: 'Exists', effect: 'NoExecute' })), []);
  assert.match(errors(ds((_, s) => (s.tolerations = 'x' as never))).join(), /must be a list/);
});

test('numeric ranges: int32 fields, integers only, maxUnavailable bounds', () => {
  const cases: [(d: MDS) => void, string][] = [
    [
      (d) => (d.spec!.minReadySeconds = 2.5),
      'spec.minReadySeconds: Invalid value: 2.5: must be an integer',
    ],
    [
      (d) => (d.spec!.minReadySeconds = 1e20),
      'spec.minReadySeconds: Invalid value: 100000000000000000000: must be a 32-bit integer (from -2147483648 to 2147483647)',
    ],
    [
      (d) => (d.spec!.revisionHistoryLimit = 2 ** 31),
      'spec.revisionHistoryLimit: Invalid value: 2147483648: must be a 32-bit integer (from -2147483648 to 2147483647)',
    ],
    [
      (d) =>
        (d.spec!.updateStrategy = {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 1e30 },
        }),
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 1e+30: must be a 32-bit integer (from -2147483648 to 2147483647)',
    ],
    [
      (d) =>
        (d.spec!.updateStrategy = {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 1.5 },
        }),
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 1.5: must be an integer',
    ],
    [
      (d) => (d.spec!.minReadySeconds = '5' as never),
      'spec.minReadySeconds: Invalid value: "5": must be an integer',
    ],
    [
      (d) => (d.spec!.minReadySeconds = -1),
      'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
    ],
  ];
  for (const [edit, want] of cases) assert.deepEqual(errors(ds(edit)), [want]);
  assert.deepEqual(errors(ds((d) => (d.spec!.minReadySeconds = 2147483647))), []);
});

test('containers: names and images required, unique names, pull policy, restartPolicy', () => {
  const p = 'spec.template.spec';
  assert.deepEqual(errors(ds((_, s) => (s.containers = [{ name: '', image: '' }]))), [
    `${p}.containers[0].name: Required value`,
    `${p}.containers[0].image: Required value`,
  ]);
  assert.deepEqual(
    errors(
      ds((_, s) => s.containers.push({ name: 'agent', image: 'x', imagePullPolicy: 'Sometimes' })),
    ),
    [
      `${p}.containers[1].name: Duplicate value: "agent"`,
      `${p}.containers[1].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
    ],
  );
  assert.deepEqual(errors(ds((_, s) => (s.containers = [])).valueOf() as DaemonSet), [
    `${p}.containers: Required value`,
  ]);
  assert.deepEqual(errors(ds((_, s) => (s.restartPolicy = 'Never'))), [
    `${p}.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
  ]);
  assert.deepEqual(errors(ds((_, s) => (s.dnsPolicy = 'Cluster'))), [
    `${p}.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"`,
  ]);
});

test('ports, resources, volumes and mounts', () => {
  const c = 'spec.template.spec.containers[0]';
  const withPorts = ds((_, s) => {
    s.containers[0]!.ports = [
      { containerPort: 70000, name: 'metrics' },
      { containerPort: 80, name: 'metrics', protocol: 'HTTP' },
    ];
  });
  assert.deepEqual(errors(withPorts), [
    `${c}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
    `${c}.ports[1].name: Duplicate value: "metrics"`,
    `${c}.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
  ]);
  const withResources = ds((_, s) => {
    s.containers[0]!.resources = {
      limits: { memory: '64Mi' },
      requests: { memory: '128Mi', cpu: 'lots' },
    };
  });
  assert.deepEqual(errors(withResources), [
    `${c}.resources.requests[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
  ]);
  const overLimit = ds((_, s) => {
    s.containers[0]!.resources = {
      limits: { memory: '64Mi' },
      requests: { memory: '128Mi', cpu: '-1' },
    };
  });
  assert.deepEqual(errors(overLimit), [
    `${c}.resources.requests: Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi`,
    `${c}.resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0`,
  ]);
  const vols = ds((_, s) => {
    s.volumes = [
      { name: 'data', hostPath: { path: '/d' } },
      { name: 'data', emptyDir: {} },
      { name: 'none' },
    ];
    s.containers[0]!.volumeMounts = [{ name: 'missing', mountPath: '/m' }];
  });
  assert.deepEqual(errors(vols), [
    'spec.template.spec.volumes[1].name: Duplicate value: "data"',
    'spec.template.spec.volumes[2]: Required value: must specify a volume type',
    `${c}.volumeMounts[0].name: Not found: "missing"`,
  ]);
});

test('a huge wrong input yields a bounded list of errors', () => {
  const d = ds((_, s) => {
    s.containers = Array.from({ length: 5000 }, () => ({ name: 7, image: 8 })) as never;
  });
  const got = errors(d);
  assert.equal(got.length, 20);
});

test('found by the fuzzer: a null quantity reads as 0, as Go decodes it (it threw a TypeError)', () => {
  const d = ds((_, s) => {
    s.containers[0]!.resources = {
      requests: { memory: null as never },
      limits: { cpu: null as never },
    };
  });
  assert.deepEqual(errors(d), []);
});
