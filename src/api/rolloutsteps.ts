/**
 * Issue 12's rollout fields (shared/spec/rollout-features.md §2): `rollingUpdate.canary`,
 * `rollingUpdate.waves`, `rollingUpdate.healthGates` and OpenKruise's `rollingUpdate.selector`
 * (a canary node selector without a count). rolloutfields.ts calls checkStepFields for the CRD's
 * spec and for the strategy annotation's JSON, so both refuse the same with errors naming the
 * field; readStepFields turns fields that passed into the engine's shapes (engine/rollout/*).
 *
 * The Prometheus gate (`healthGates.prometheus`): an http(s) address, a non-empty query, at least
 * one of min and max (numbers, min <= max), intervalSeconds and failureLimit integers >= 1,
 * onInconclusive Pause or Ignore. The controller runs its query (controller/metricrunner.ts) and
 * the steps stage judges the answers (engine/rollout/metricfold.ts).
 */
import { fieldError, type FieldError } from './fielderrors.js';
import { validateLabelSelector } from './schedvalidation.js';
import type { IntOrString, LabelSelector } from './types.js';

/** The four fields as written (CRD spec or annotation JSON), before checks. */
export interface RawStepFields {
  readonly canary?: unknown;
  readonly waves?: unknown;
  readonly healthGates?: unknown;
  readonly selector?: unknown;
}

/** Auto, or Manual: a step waits for the promote control. */
export type Promotion = 'Auto' | 'Manual';

/**
 * A canary as the engine reads it: who (engine/rollout/canary.ts's CanarySpec) and how long it
 * bakes and who promotes it (engine/rollout/steps.ts). The engine's own input types are
 * structurally the same; they are restated here so api/ imports nothing from engine/.
 */
export interface CanaryFields {
  readonly count?: IntOrString;
  readonly nodeSelector?: LabelSelector;
  readonly spreadByKey?: string;
  readonly bakeSeconds?: number;
  readonly promotion?: Promotion;
}

/** rollingUpdate.waves (engine/rollout/waves.ts's WavesSpec). */
export interface WavesFields {
  readonly topologyKey?: string;
  readonly order?: readonly string[];
  readonly steps?: readonly IntOrString[];
  readonly maxUnavailable?: IntOrString;
  readonly bakeSeconds?: number;
  readonly promotion?: Promotion;
}

/** rollingUpdate.healthGates's pod gates (engine/rollout/healthgates.ts's HealthGatesSpec). */
export interface HealthGatesFields {
  readonly failOnReasons?: readonly string[];
  readonly maxRestarts?: number;
  readonly maxNotReadySeconds?: number;
  readonly maxFailedNodes?: IntOrString;
  readonly onFailure?: 'Pause' | 'Abort';
  readonly prometheus?: PrometheusGateFields;
}

/** rollingUpdate.healthGates.prometheus (what engine/rollout/metricgate.ts judges). */
export interface PrometheusGateFields {
  readonly address: string;
  readonly query: string;
  readonly min?: number;
  readonly max?: number;
  readonly intervalSeconds?: number;
  readonly failureLimit?: number;
  readonly onInconclusive?: 'Pause' | 'Ignore';
}

/** The parsed fields; undefined where absent. */
export interface StepFields {
  readonly canary: CanaryFields | undefined;
  readonly waves: WavesFields | undefined;
  readonly healthGates: HealthGatesFields | undefined;
}

const INT32_MAX = 2 ** 31 - 1;
const PCT = /^(0|[1-9][0-9]*)%$/;
const PROMOTIONS = ['Auto', 'Manual'];
const ON_FAILURE = ['Pause', 'Abort'];
const CANARY_KEYS = ['count', 'nodeSelector', 'spreadByKey', 'bakeSeconds', 'promotion'];
const WAVES_KEYS = ['topologyKey', 'order', 'steps', 'maxUnavailable', 'bakeSeconds', 'promotion'];
const GATES_KEYS = [
  'failOnReasons',
  'maxRestarts',
  'maxNotReadySeconds',
  'maxFailedNodes',
  'onFailure',
  'prometheus',
];
const PROMETHEUS_KEYS = [
  'address',
  'query',
  'min',
  'max',
  'intervalSeconds',
  'failureLimit',
  'onInconclusive',
];
const ON_INCONCLUSIVE = ['Pause', 'Ignore'];

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: FieldError[] = [];
  constructor(private readonly base: string) {}

  at(sub: string): string {
    return `${this.base}.${sub}`;
  }
  bad(sub: string, value: unknown, detail: string): void {
    this.errors.push(fieldError('Invalid', this.at(sub), value, detail));
  }
  /** The object at sub, or undefined (an error when present and not an object). */
  object(
    sub: string,
    value: unknown,
    keys: readonly string[],
  ): Record<string, unknown> | undefined {
    if (value == null) return undefined;
    if (!isObj(value)) {
      this.bad(sub, value, 'must be an object');
      return undefined;
    }
    for (const k of Object.keys(value)) {
      if (keys.includes(k)) continue;
      this.bad(`${sub}.${k}`, k, `unknown field; known: ${keys.join(', ')}`);
    }
    return value;
  }
  int(sub: string, v: unknown, min: number): void {
    if (v == null) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > INT32_MAX)
      this.bad(sub, v, `must be an integer from ${min} to ${INT32_MAX}`);
  }
  /** An int >= min, or a percent from minPct% to 100%. */
  intOrPercent(sub: string, v: unknown, min: number): void {
    if (v == null) return;
    const m = typeof v === 'string' ? PCT.exec(v) : null;
    const okInt = typeof v === 'number' && Number.isInteger(v) && v >= min && v <= INT32_MAX;
    if (okInt || (m !== null && Number(m[1]) >= min && Number(m[1]) <= 100)) return;
    this.bad(sub, v, `must be an integer from ${min} or a percentage from ${min}% to 100%`);
  }
  oneOf(sub: string, v: unknown, values: readonly string[]): void {
    if (v != null && !values.includes(v as string))
      this.errors.push(fieldError('NotSupported', this.at(sub), v, '', values));
  }
  strings(sub: string, v: unknown, nonEmpty: boolean): void {
    if (v == null) return;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || (nonEmpty && s === '')))
      this.bad(sub, v, 'must be a list of non-empty strings');
  }
  selector(sub: string, v: unknown): void {
    if (v == null) return;
    if (!isObj(v)) {
      this.bad(sub, v, 'must be a label selector');
      return;
    }
    this.errors.push(...validateLabelSelector(v, this.at(sub)));
  }
}

/**
 * The field errors of the four fields, each under `base` (the rollingUpdate's path:
 * `spec.updateStrategy.rollingUpdate` or the annotation's `...rollingUpdate`). A
 * maxNotReadySeconds must stay below `progressDeadlineSeconds` when that is set (else the
 * deadline fires first and the gate never names the pod).
 */
export function checkStepFields(
  raw: RawStepFields,
  base: string,
  progressDeadlineSeconds: unknown,
): FieldError[] {
  const c = new Checker(base);
  const canary = c.object('canary', raw.canary, CANARY_KEYS);
  if (canary !== undefined) {
    c.intOrPercent('canary.count', canary.count, 0);
    c.selector('canary.nodeSelector', canary.nodeSelector);
    const k = canary.spreadByKey;
    if (k != null && (typeof k !== 'string' || k === ''))
      c.bad('canary.spreadByKey', k, 'must be a node label key');
    c.int('canary.bakeSeconds', canary.bakeSeconds, 0);
    c.oneOf('canary.promotion', canary.promotion, PROMOTIONS);
  }
  if (raw.selector != null) {
    c.selector('selector', raw.selector);
    if (canary !== undefined)
      c.bad('selector', raw.selector, 'may not be set together with canary (it is its alias)');
  }
  const waves = c.object('waves', raw.waves, WAVES_KEYS);
  if (waves !== undefined) {
    const key = waves.topologyKey;
    const steps = waves.steps;
    if (key != null && (typeof key !== 'string' || key === ''))
      c.bad('waves.topologyKey', key, 'must be a node label key');
    c.strings('waves.order', waves.order, true);
    if (steps != null) {
      if (!Array.isArray(steps) || steps.length === 0)
        c.bad('waves.steps', steps, 'must be a non-empty list such as ["5%", "25%"]');
      else
        steps.forEach((s, i) => {
          c.intOrPercent(`waves.steps[${i}]`, s, 1);
        });
    }
    if ((key != null) === (steps != null))
      c.errors.push(
        fieldError(
          'Invalid',
          c.at('waves'),
          waves,
          'exactly one of topologyKey and steps must be set',
        ),
      );
    if (waves.order != null && key == null)
      c.bad('waves.order', waves.order, 'needs waves.topologyKey');
    c.intOrPercent('waves.maxUnavailable', waves.maxUnavailable, 0);
    c.int('waves.bakeSeconds', waves.bakeSeconds, 0);
    c.oneOf('waves.promotion', waves.promotion, PROMOTIONS);
  }
  const gates = c.object('healthGates', raw.healthGates, GATES_KEYS);
  if (gates !== undefined) {
    c.strings('healthGates.failOnReasons', gates.failOnReasons, true);
    c.int('healthGates.maxRestarts', gates.maxRestarts, 0);
    c.int('healthGates.maxNotReadySeconds', gates.maxNotReadySeconds, 1);
    const nr = gates.maxNotReadySeconds;
    const d = progressDeadlineSeconds;
    if (typeof nr === 'number' && typeof d === 'number' && nr >= d)
      c.bad(
        'healthGates.maxNotReadySeconds',
        nr,
        `must be less than progressDeadlineSeconds (${d})`,
      );
    c.intOrPercent('healthGates.maxFailedNodes', gates.maxFailedNodes, 1);
    c.oneOf('healthGates.onFailure', gates.onFailure, ON_FAILURE);
    checkPrometheus(c, gates.prometheus);
  }
  return c.errors;
}

/** The Prometheus gate's checks (this module's header). */
function checkPrometheus(c: Checker, raw: unknown): void {
  const prom = c.object('healthGates.prometheus', raw, PROMETHEUS_KEYS);
  if (prom === undefined) return;
  const at = (k: string) => `healthGates.prometheus.${k}`;
  const address = prom.address;
  if (address == null || address === '')
    c.errors.push(
      fieldError('Required', c.at(at('address')), address, 'the Prometheus server URL'),
    );
  else if (typeof address !== 'string' || !isHttpUrl(address))
    c.bad(at('address'), address, 'must be an http:// or https:// URL');
  const query = prom.query;
  if (query == null || query === '')
    c.errors.push(fieldError('Required', c.at(at('query')), query, 'a PromQL query'));
  else if (typeof query !== 'string' || query.trim() === '')
    c.bad(at('query'), query, 'must be a non-empty PromQL query');
  const min = prom.min;
  const max = prom.max;
  for (const [k, v] of [
    ['min', min],
    ['max', max],
  ] as const)
    if (v != null && (typeof v !== 'number' || !Number.isFinite(v)))
      c.bad(at(k), v, 'must be a number');
  if (min == null && max == null)
    c.errors.push(
      fieldError(
        'Required',
        c.at('healthGates.prometheus'),
        undefined,
        'at least one of min and max must be set',
      ),
    );
  if (typeof min === 'number' && typeof max === 'number' && min > max)
    c.bad(at('min'), min, `must be less than or equal to max (${max})`);
  c.int(at('intervalSeconds'), prom.intervalSeconds, 1);
  c.int(at('failureLimit'), prom.failureLimit, 1);
  c.oneOf(at('onInconclusive'), prom.onInconclusive, ON_INCONCLUSIVE);
}

/** True for an absolute http or https URL with a host. */
function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Copies the listed keys that are set. */
function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] != null) out[k] = obj[k];
  return out;
}

/**
 * The fields (already checked by checkStepFields) in the engine's shapes; OpenKruise's
 * `selector` becomes a canary of every matching node.
 */
export function readStepFields(raw: RawStepFields): StepFields {
  let canary = isObj(raw.canary) ? (pick(raw.canary, CANARY_KEYS) as CanaryFields) : undefined;
  if (canary === undefined && isObj(raw.selector)) canary = { nodeSelector: raw.selector };
  return {
    canary,
    waves: isObj(raw.waves) ? pick(raw.waves, WAVES_KEYS) : undefined,
    healthGates: isObj(raw.healthGates) ? readGates(raw.healthGates) : undefined,
  };
}

/** The health gates with the Prometheus block's set fields. */
function readGates(gates: Record<string, unknown>): HealthGatesFields {
  const out = pick(gates, GATES_KEYS);
  if (isObj(gates.prometheus)) out.prometheus = pick(gates.prometheus, PROMETHEUS_KEYS);
  return out;
}

/** True when any of the four is set (the engine's steps stage has something to do). */
export function hasStepFields(f: StepFields): boolean {
  return f.canary !== undefined || f.waves !== undefined || f.healthGates !== undefined;
}
