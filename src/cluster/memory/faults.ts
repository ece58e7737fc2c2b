/**
 * API call accounting and fault injection for the memory cluster: every call through the port is
 * counted by client, verb and kind, and may be failed on purpose by a rule, before it takes
 * effect (the usual case) or after (the write happened but the client saw an error).
 */
import type { ClusterError, KubeObject, ResourceKind } from '../port.js';

/** The port's operations, as counted and as matched by fault rules. */
export type Verb =
  'list' | 'watch' | 'get' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

/** The verbs that write. */
export const WRITE_VERBS: ReadonlySet<Verb> = new Set([
  'create',
  'update',
  'updateStatus',
  'patch',
  'delete',
]);

/** One API call, as a fault rule sees it. */
export interface FaultContext {
  readonly verb: Verb;
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
  /** The body of create, update and updateStatus. */
  readonly object?: KubeObject;
  /** The client the call came from (see MemoryCluster.client); 'default' otherwise. */
  readonly client: string;
}

/** A fault rule: returns the error to fail the call with, or undefined to let it through. */
export type FaultRule = (ctx: FaultContext) => ClusterError | undefined;

/** When an injected error strikes. */
export interface FaultOptions {
  /** 'before' (default): the call has no effect. 'after': it takes effect, then fails. */
  readonly when?: 'before' | 'after';
}

/** Counts of API calls. */
export interface ApiCallStats {
  /** Every call, failed ones included. */
  readonly total: number;
  /** Calls of the write verbs (create, update, updateStatus, patch, delete). */
  readonly writes: number;
  /** Calls that failed, injected faults included. */
  readonly failed: number;
  readonly byVerb: Readonly<Partial<Record<Verb, number>>>;
  readonly byKind: Readonly<Partial<Record<ResourceKind, Readonly<Partial<Record<Verb, number>>>>>>;
}

interface CallCount {
  client: string;
  verb: Verb;
  kind: ResourceKind;
  calls: number;
  failed: number;
}

/** The call counters. */
export class CallStats {
  /** client -> verb -> kind -> count: constant strings as keys, no key built per call. */
  private readonly byClient = new Map<string, Map<Verb, Map<ResourceKind, CallCount>>>();
  /** Every entry, in the order first counted. */
  private readonly counts: CallCount[] = [];

  /** Counts one call; returns the entry so a failure can be added to it. */
  record(client: string, verb: Verb, kind: ResourceKind): CallCount {
    let verbs = this.byClient.get(client);
    if (verbs === undefined)
      this.byClient.set(client, (verbs = new Map<Verb, Map<ResourceKind, CallCount>>()));
    let kinds = verbs.get(verb);
    if (kinds === undefined) verbs.set(verb, (kinds = new Map<ResourceKind, CallCount>()));
    let c = kinds.get(kind);
    if (c === undefined) {
      kinds.set(kind, (c = { client, verb, kind, calls: 0, failed: 0 }));
      this.counts.push(c);
    }
    c.calls++;
    return c;
  }

  /** The totals, for one client or for all of them. */
  summary(client?: string): ApiCallStats {
    let total = 0;
    let writes = 0;
    let failed = 0;
    const byVerb: Partial<Record<Verb, number>> = {};
    const byKind: Partial<Record<ResourceKind, Partial<Record<Verb, number>>>> = {};
    for (const c of this.counts) {
      if (client !== undefined && c.client !== client) continue;
      total += c.calls;
      failed += c.failed;
      if (WRITE_VERBS.has(c.verb)) writes += c.calls;
      byVerb[c.verb] = (byVerb[c.verb] ?? 0) + c.calls;
      const k = (byKind[c.kind] ??= {});
      k[c.verb] = (k[c.verb] ?? 0) + c.calls;
    }
    return { total, writes, failed, byVerb, byKind };
  }

  /** Zeroes every counter. */
  reset(): void {
    this.byClient.clear();
    this.counts.length = 0;
  }
}

interface InstalledRule {
  readonly rule: FaultRule;
  readonly when: 'before' | 'after';
}

/** The installed fault rules, consulted in the order they were added; the first error wins. */
export class FaultInjector {
  private rules: InstalledRule[] = [];

  /** Installs a rule; the returned function removes it. */
  add(rule: FaultRule, opts: FaultOptions = {}): () => void {
    const entry: InstalledRule = { rule, when: opts.when ?? 'before' };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((r) => r !== entry);
    };
  }

  /** True when a rule is installed (the cluster builds a call's context only then). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /** The error a call gets at this point, if any. */
  check(ctx: FaultContext, when: 'before' | 'after'): ClusterError | undefined {
    for (const r of this.rules) {
      if (r.when !== when) continue;
      const err = r.rule(ctx);
      if (err !== undefined) return err;
    }
    return undefined;
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }
}
