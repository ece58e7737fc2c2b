/** The simulation's timeline of notable things: what a person reading the summary wants to see. */

/** What an entry is about, for grouping and colour. */
export type JournalKind =
  'scenario' | 'node' | 'rollout' | 'daemonset' | 'pod' | 'controller' | 'warning';

/** One timeline entry, at a virtual time offset from the start of the run. */
export interface JournalEntry {
  readonly atMs: number;
  readonly kind: JournalKind;
  readonly message: string;
  /** "namespace/name" of the DaemonSet it concerns, if any. */
  readonly daemonSet?: string;
}

/** An append-only timeline; entries arrive in virtual-time order. */
export class Journal {
  readonly entries: JournalEntry[] = [];
  private readonly listeners: ((e: JournalEntry) => void)[] = [];

  constructor(private readonly offset: () => number) {}

  /** Records an entry at the current virtual time. */
  add(kind: JournalKind, message: string, daemonSet?: string): void {
    const e: JournalEntry =
      daemonSet === undefined
        ? { atMs: this.offset(), kind, message }
        : { atMs: this.offset(), kind, message, daemonSet };
    this.entries.push(e);
    for (const l of this.listeners) l(e);
  }

  /** Calls l for every new entry (live output). */
  onEntry(l: (e: JournalEntry) => void): void {
    this.listeners.push(l);
  }
}
