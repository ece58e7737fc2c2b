/**
 * Label selectors: matchLabels and matchExpressions, and the string form used by list/watch.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { LabelSelector } from './types.js';

export type Labels = Readonly<Record<string, string>> | undefined | null;

/** A parse error in a selector, with the field path of the offending part. */
export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A compiled selector. */
export interface Selector {
  /** True when the labels satisfy every requirement. */
  matches(labels: Labels): boolean;
  /** True for the selector that matches everything (`{}`). */
  readonly empty: boolean;
  /** True for the selector that matches nothing (a nil LabelSelector). */
  readonly nothing: boolean;
  /** The kubectl string form, e.g. "app=a,tier in (x,y)". */
  toString(): string;
}

/**
 * Compiles a LabelSelector as upstream's LabelSelectorAsSelector: nil matches nothing, `{}`
 * matches everything. Throws SelectorParseError (field relative to the selector, e.g.
 * "matchExpressions[0].operator").
 */
export declare function labelSelectorAsSelector(selector: LabelSelector | undefined | null): Selector;

/** Parses the string form ("a=b,c!=d,e in (f,g),!h"). Throws SelectorParseError. */
export declare function parseSelector(text: string): Selector;

/** True when the selector is non-nil and has neither matchLabels nor matchExpressions. */
export declare function isEmptyLabelSelector(selector: LabelSelector | undefined | null): boolean;
