import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDaemonSet } from './defaults.js';
import {
  fieldError,
  formatInvalid,
  validateDaemonSet,
  validateDaemonSetStatusUpdate,
  validateDaemonSetUpdate,
} from './validation.js';
import type { FieldError } from './validation.js';
import type { DaemonSet, Mutable } from './types.js';

type MDS = Mutable<DaemonSet>;

/** A defaulted, valid DS `foo`; edit lets a test change a copy before defaulting. */
function foo(edit: (ds: MDS) => void = () => undefined): DaemonSet {
  const ds: MDS = {
    metadata: { name: 'foo', namespace: 'default' },
    spec: {
      selector: { matchLabels: { name: 'simple-daemon', type: 'production' } },
      template: {
        metadata: { labels: { name: 'simple-daemon', type: 'production' } },
        spec: { containers: [{ name: 'foo', image: 'foo/bar' }] },
      },
      revisionHistoryLimit: 2,
    },
  };
  edit(ds);
  return defaultDaemonSet(ds);
}

const strs = (errs: FieldError[]): string[] => errs.map(String);

test('a defaulted DS foo is valid', () => {
  assert.deepEqual(strs(validateDaemonSet(foo())), []);
});

test('fieldError: kube-apiserver formatting per type', () => {
  assert.equal(String(fieldError('Invalid', 'a.b', 0, 'x')), 'a.b: Invalid value: 0: x');
  assert.equal(String(fieldError('Invalid', 'a.b', '5', 'x')), 'a.b: Invalid value: "5": x');
  assert.equal(
    String(fieldError('Invalid', 'a.b', { k: 'v' }, 'x')),
    'a.b: Invalid value: {"k":"v"}: x',
  );
  assert.equal(String(fieldError('Required', 'a', undefined, '')), 'a: Required value');
  assert.equal(String(fieldError('Required', 'a', 5, 'why')), 'a: Required value: why');
  assert.equal(String(fieldError('Forbidden', 'a', 5, 'no')), 'a: Forbidden: no');
  assert.equal(
    String(fieldError('NotSupported', 'a', 'Foo', '', ['OnDelete', 'RollingUpdate'])),
    'a: Unsupported value: "Foo": supported values: "OnDelete", "RollingUpdate"',
  );
  assert.equal(String(fieldError('Duplicate', 'a', 'x', '')), 'a: Duplicate value: "x"');
});

test('formatInvalid: one error without brackets, several with, duplicates collapse', () => {
  const e1 = fieldError('Required', 'spec.a', undefined, '');
  const e2 = fieldError('Invalid', 'spec.b', -1, 'must be greater than or equal to 0');
  assert.equal(formatInvalid('DaemonSet.apps', 'foo', []), 'DaemonSet.apps "foo" is invalid');
  assert.equal(
    formatInvalid('DaemonSet.apps', 'foo', [e1]),
    'DaemonSet.apps "foo" is invalid: spec.a: Required value',
  );
  assert.equal(
    formatInvalid('DaemonSet.apps', 'foo', [e1, e2, e1]),
    'DaemonSet.apps "foo" is invalid: [spec.a: Required value, spec.b: Invalid value: -1: must be greater than or equal to 0]',
  );
});

test('scenario 93c: maxSurge alone is rejected after defaulting maxUnavailable to 1', () => {
  const ds = foo((d) => {
    d.spec!.updateStrategy = { rollingUpdate: { maxSurge: 1 } };
  });
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
  ]);
});

test('scenario 94a: selector does not match the template labels', () => {
  const ds = foo((d) => {
    d.spec!.selector = { matchLabels: { app: 'a' } };
    d.spec!.template.metadata = { labels: { app: 'b' } };
  });
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`',
  ]);
});

test('scenario 94b: an empty selector is invalid for daemonset', () => {
  const ds = foo((d) => {
    d.spec!.selector = {};
  });
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.selector: Invalid value: {}: empty selector is invalid for daemonset',
  ]);
});

test('scenario 94c: no selector matches nothing, so the labels mismatch', () => {
  const ds = foo((d) => {
    delete (d.spec as { selector?: unknown }).selector;
  });
  const errs = validateDaemonSet(ds);
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [['Invalid', 'spec.template.metadata.labels']],
  );
});

test('scenario 94d: an invalid matchExpressions operator is Invalid under spec.selector', () => {
  const ds = foo((d) => {
    d.spec!.selector = {
      matchExpressions: [{ key: 'name', operator: 'Foo', values: ['simple-daemon'] }],
    };
  });
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator',
  ]);
});

test('scenario 95a: restartPolicy OnFailure or Never is NotSupported', () => {
  for (const policy of ['OnFailure', 'Never']) {
    const ds = foo((d) => {
      d.spec!.template.spec!.restartPolicy = policy;
    });
    assert.deepEqual(strs(validateDaemonSet(ds)), [
      `spec.template.spec.restartPolicy: Unsupported value: "${policy}": supported values: "Always"`,
    ]);
  }
});

test('scenario 95b: activeDeadlineSeconds is Forbidden', () => {
  const ds = foo((d) => {
    d.spec!.template.spec!.activeDeadlineSeconds = 10;
  });
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
  ]);
});

test('scenario 95c/95d: negative minReadySeconds and revisionHistoryLimit are Invalid; 0 is valid', () => {
  assert.deepEqual(
    strs(
      validateDaemonSet(
        foo((d) => {
          d.spec!.minReadySeconds = -1;
          d.spec!.revisionHistoryLimit = -1;
        }),
      ),
    ),
    [
      'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    ],
  );
  assert.deepEqual(
    strs(
      validateDaemonSet(
        foo((d) => {
          d.spec!.revisionHistoryLimit = 0;
        }),
      ),
    ),
    [],
  );
});

const RU = 'spec.updateStrategy.rollingUpdate';
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

test('scenario 96: maxUnavailable and maxSurge combinations', () => {
  const rows: [Record<string, unknown>, string[]][] = [
    [{ maxUnavailable: 1, maxSurge: 0 }, []],
    [{ maxUnavailable: 0, maxSurge: 1 }, []],
    [{ maxUnavailable: '0%', maxSurge: '10%' }, []],
    [{ maxUnavailable: '100%', maxSurge: 0 }, []],
    [{ maxUnavailable: 200, maxSurge: 0 }, []],
    [
      { maxUnavailable: 1, maxSurge: 1 },
      [`${RU}.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero`],
    ],
    [
      { maxUnavailable: 0, maxSurge: 0 },
      [`${RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`],
    ],
    [
      { maxUnavailable: '0%', maxSurge: '0%' },
      [`${RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`],
    ],
    [
      { maxUnavailable: '101%', maxSurge: 0 },
      [`${RU}.maxUnavailable: Invalid value: "101%": must not be greater than 100%`],
    ],
    [
      { maxUnavailable: -1, maxSurge: 0 },
      [`${RU}.maxUnavailable: Invalid value: -1: must be greater than or equal to 0`],
    ],
    [
      { maxUnavailable: 'abc', maxSurge: 0 },
      [
        `${RU}.maxUnavailable: Invalid value: "abc": ${PERCENT_MSG}`,
        `${RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`,
      ],
    ],
    [
      { maxUnavailable: '5', maxSurge: 0 },
      [`${RU}.maxUnavailable: Invalid value: "5": ${PERCENT_MSG}`],
    ],
  ];
  for (const [ru, want] of rows) {
    const ds = foo((d) => {
      d.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: ru };
    });
    assert.deepEqual(strs(validateDaemonSet(ds)), want, JSON.stringify(ru));
  }
});

test('scenario 96: type Foo is NotSupported with RollingUpdate and OnDelete', () => {
  const ds = foo((d) => {
    d.spec!.updateStrategy = { type: 'Foo' };
  });
  const errs = validateDaemonSet(ds);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.type, 'NotSupported');
  assert.deepEqual(errs[0]!.supported, ['RollingUpdate', 'OnDelete']);
  assert.equal(
    String(errs[0]),
    'spec.updateStrategy: Unsupported value: "Foo": supported values: "RollingUpdate", "OnDelete"',
  );
});

test('RollingUpdate without rollingUpdate is Required; OnDelete ignores rollingUpdate', () => {
  const ds: DaemonSet = {
    ...foo(),
    spec: { ...foo().spec!, updateStrategy: { type: 'RollingUpdate' } },
  };
  assert.deepEqual(strs(validateDaemonSet(ds)), [
    'spec.updateStrategy.rollingUpdate: Required value',
  ]);
  const onDelete = foo((d) => {
    d.spec!.updateStrategy = {
      type: 'OnDelete',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 0 },
    };
  });
  assert.deepEqual(strs(validateDaemonSet(onDelete)), []);
});

test('metadata.name must be a DNS-1123 subdomain', () => {
  const ds = foo((d) => {
    d.metadata!.name = 'Foo_bar';
  });
  const errs = validateDaemonSet(ds);
  assert.equal(errs.length, 1);
  assert.match(
    String(errs[0]),
    /^metadata\.name: Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of/,
  );
  assert.deepEqual(
    strs(
      validateDaemonSet(
        foo((d) => {
          d.metadata!.name = '';
        }),
      ),
    ),
    ['metadata.name: Required value: name or generateName is required'],
  );
});

test('pod template: containers required, names and images, duplicates, DNS-1123 labels', () => {
  assert.deepEqual(
    strs(
      validateDaemonSet(
        foo((d) => {
          d.spec!.template.spec!.containers = [];
        }),
      ),
    ),
    ['spec.template.spec.containers: Required value'],
  );
  const errs = validateDaemonSet(
    foo((d) => {
      d.spec!.template.spec!.containers = [
        { name: 'a', image: 'x' },
        { name: 'a', image: '' },
        { name: 'Bad_Name', image: 'x' },
        { name: '', image: 'x' },
      ];
    }),
  );
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [
      ['Duplicate', 'spec.template.spec.containers[1].name'],
      ['Required', 'spec.template.spec.containers[1].image'],
      ['Invalid', 'spec.template.spec.containers[2].name'],
      ['Required', 'spec.template.spec.containers[3].name'],
    ],
  );
  assert.match(
    String(errs[2]),
    /a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'/,
  );
});

test('scenario 97a: changing spec.selector is Invalid: field is immutable', () => {
  const prev = foo();
  const next = foo((d) => {
    d.spec!.selector = { matchLabels: { name: 'simple-daemon' } };
  });
  assert.deepEqual(strs(validateDaemonSetUpdate(next, prev)), [
    'spec.selector: Invalid value: {"matchLabels":{"name":"simple-daemon"}}: field is immutable',
  ]);
  assert.deepEqual(strs(validateDaemonSetUpdate(foo(), prev)), [], 'an unchanged selector is fine');
  const sameButEmptyList = foo((d) => {
    d.spec!.selector = { ...d.spec!.selector, matchExpressions: [] };
  });
  assert.deepEqual(
    strs(validateDaemonSetUpdate(sameButEmptyList, prev)),
    [],
    'semantic equality: [] equals absent',
  );
});

test('validateDaemonSetUpdate: still validates the spec and the immutable name', () => {
  const prev = foo();
  const next = foo((d) => {
    d.spec!.minReadySeconds = -5;
    d.metadata!.name = 'bar';
  });
  assert.deepEqual(strs(validateDaemonSetUpdate(next, prev)), [
    'metadata.name: Invalid value: "bar": field is immutable',
    'spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0',
  ]);
});

function withStatus(status: NonNullable<DaemonSet['status']>): DaemonSet {
  return { ...foo(), status };
}
const zeros = {
  currentNumberScheduled: 0,
  numberMisscheduled: 0,
  desiredNumberScheduled: 0,
  numberReady: 0,
};

test('scenario 98a: a negative numberReady through /status is Invalid', () => {
  assert.deepEqual(
    strs(
      validateDaemonSetStatusUpdate(withStatus({ ...zeros, numberReady: -1 }), withStatus(zeros)),
    ),
    ['status.numberReady: Invalid value: -1: must be greater than or equal to 0'],
  );
});

test('scenario 98b: collisionCount lowered from 2 to 1 cannot be decremented', () => {
  assert.deepEqual(
    strs(
      validateDaemonSetStatusUpdate(
        withStatus({ ...zeros, collisionCount: 1 }),
        withStatus({ ...zeros, collisionCount: 2 }),
      ),
    ),
    ['status.collisionCount: Invalid value: 1: cannot be decremented'],
  );
  assert.deepEqual(
    strs(
      validateDaemonSetStatusUpdate(withStatus(zeros), withStatus({ ...zeros, collisionCount: 2 })),
    ),
    ['status.collisionCount: Invalid value: 0: cannot be decremented'],
  );
});

test('scenario 98c: collisionCount raised from nil to 1 is valid', () => {
  assert.deepEqual(
    strs(
      validateDaemonSetStatusUpdate(withStatus({ ...zeros, collisionCount: 1 }), withStatus(zeros)),
    ),
    [],
  );
});
