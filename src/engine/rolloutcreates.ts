/**
 * Revision pinning (shared/spec/rollout-features.md §1): which revision a pod created for a node
 * is built from. A node in the release set gets the target revision (the update revision, or the
 * stable one while aborted); a node outside it that needs a pod (a new node, a failed or deleted
 * pod) gets the stable revision's template and hash while the rollout is held, so a paused or
 * partitioned rollout never spreads the untested template. Both planning paths build every pod
 * create through podCreator, with the release test as the input that decides.
 */
import { makePodFactory, type PodFactory } from './podfactory.js';
import { LazyCreate } from './podwrites.js';
import { dsForRevision, type HoldReason, type RolloutDecision } from './rolloutpolicy.js';
import type { DaemonSet } from '../api/types.js';
import type { ActionSource, PodCreate } from './types.js';

/** Builds a create: (node, reason, source, released) → the pod create, pinned when not released. */
export type PodCreator = (
  node: string,
  reason: string,
  source: ActionSource,
  released: boolean,
) => PodCreate;

/** Why a held node gets the stable revision, as create reasons say it. */
export const PIN_REASON: Readonly<Record<HoldReason, string>> = {
  paused: 'the rollout is paused',
  partition: 'the node is outside the partition',
  noStableRevision: 'the rollout is held',
  canary: 'the node is not a canary and the canary has not passed',
  waves: "the node's wave has not opened",
  healthGate: 'a health gate failed',
};

/** A create pinned to the stable revision (what `plan` shows as pinned). */
export class PinnedCreate extends LazyCreate {
  /** The hold that pinned it. */
  readonly pinned: HoldReason;
  constructor(
    factory: (node: string) => import('../api/types.js').Pod,
    node: string,
    hash: string,
    reason: string,
    source: ActionSource,
    pinned: HoldReason,
  ) {
    super(factory, node, hash, reason, source);
    this.pinned = pinned;
  }
}

interface Cached {
  readonly target: string;
  readonly targetTemplate: object | undefined;
  readonly pin: string | undefined;
  readonly pinTemplate: object | undefined;
  readonly hold: HoldReason | undefined;
  readonly creator: PodCreator;
}

const creators = new WeakMap<DaemonSet, Cached>();

/**
 * The pod creator of a sync (this module's header). Factories are made on the first create that
 * needs them: a steady-state sync creates nothing. The same DaemonSet object with the same
 * revisions gets the same creator (and so the same factories) again.
 */
export function podCreator(ds: DaemonSet, d: RolloutDecision): PodCreator {
  const hit = creators.get(ds);
  if (
    hit !== undefined &&
    hit.target === d.target.hash &&
    hit.targetTemplate === d.targetTemplate &&
    hit.pin === d.pin?.ref.hash &&
    hit.pinTemplate === d.pin?.template &&
    hit.hold === d.hold
  )
    return hit.creator;
  const creator = makeCreator(ds, d);
  creators.set(ds, {
    target: d.target.hash,
    targetTemplate: d.targetTemplate,
    pin: d.pin?.ref.hash,
    pinTemplate: d.pin?.template,
    hold: d.hold,
    creator,
  });
  return creator;
}

function makeCreator(ds: DaemonSet, d: RolloutDecision): PodCreator {
  let target: PodFactory | undefined;
  let pinned: PodFactory | undefined;
  const targetFactory = (node: string) =>
    (target ??=
      d.targetTemplate === undefined
        ? makePodFactory(ds, d.target.hash)
        : makePodFactory(dsForRevision(ds, d.targetTemplate), d.target.hash))(node);
  const pin = d.pin;
  const hold = d.hold;
  if (pin === undefined || hold === undefined)
    return (node, reason, source) =>
      new LazyCreate(targetFactory, node, d.target.hash, reason, source);
  const pinFactory = (node: string) =>
    (pinned ??= makePodFactory(dsForRevision(ds, pin.template), pin.ref.hash))(node);
  const why = `; ${PIN_REASON[hold]}: stable revision ${pin.ref.name}`;
  return (node, reason, source, released) =>
    released
      ? new LazyCreate(targetFactory, node, d.target.hash, reason, source)
      : new PinnedCreate(pinFactory, node, pin.ref.hash, `${reason}${why}`, source, hold);
}
