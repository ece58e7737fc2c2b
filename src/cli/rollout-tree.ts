/**
 * `rollout status --watch` on a terminal: the rollout as a tree redrawn in place, revision →
 * nodes, each node marked updated and available (✔), updated but not ready (◌), failing (✖),
 * on an older revision (○) or terminating (×), like `kubectl argo rollouts get --watch`. kubectl's
 * status line stays at the bottom. Off a terminal, or with --watch=false, the line form is used.
 */
import { getTargetNodeName, isPodAvailable } from '../api/pod.js';
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { labelSelectorAsSelector } from '../api/labels.js';
import { classifyNode, podReason } from '../sim/report/grid/classify.js';
import { S } from '../sim/report/grid/model.js';
import { strategyText } from '../sim/report/grid/recorder.js';
import { colorsFor, isTerminal, type Colors } from './output.js';
import { controlsLine, heldBy, pinnedPods, revisionRoles } from './rollout-treeinfo.js';
import { controlledRevisions, type RolloutTarget } from './rollout-target.js';

/** What one frame of the tree shows. */
export interface TreeInput {
  readonly ds: DaemonSet;
  readonly revisions: readonly ControllerRevision[];
  readonly pods: readonly Pod[];
  readonly statusLine: string;
  readonly now: number;
  /** Terminal columns and rows; lines are cut to the width, nodes listed to fit the height. */
  readonly width: number;
  readonly height: number;
}

const ALWAYS_ELIGIBLE = { shouldRun: true, shouldContinueRunning: true, reason: '' } as const;

interface Leaf {
  readonly node: string;
  readonly pod: string;
  readonly mark: string;
  readonly text: string;
  /** Lower sorts first: failing, not ready, terminating, then the rest. */
  readonly rank: number;
}

function leafOf(p: Pod, newest: string, minReady: number, now: number, c: Colors): Leaf {
  const t = getTargetNodeName(p);
  const node = 'node' in t ? t.node : '(no node)';
  const st = classifyNode(ALWAYS_ELIGIBLE, [p], newest, minReady, now);
  const restarts = (p.status?.containerStatuses ?? []).reduce(
    (n, s) => n + (s.restartCount ?? 0),
    0,
  );
  const more = restarts > 0 ? ` (${restarts} restarts)` : '';
  const pod = p.metadata?.name ?? '';
  switch (st.state) {
    case S.available:
      return { node, pod, mark: c.green('✔'), text: 'available', rank: 3 };
    case S.failing:
      return { node, pod, mark: c.red('✖'), text: c.red(`${podReason(p)}${more}`), rank: 0 };
    case S.terminating:
      return { node, pod, mark: c.dim('×'), text: c.dim('terminating'), rank: 2 };
    case S.old:
      return {
        node,
        pod,
        mark: c.dim('○'),
        text: isPodAvailable(p, minReady, now) ? 'running' : c.yellow(podReason(p)),
        rank: 3,
      };
    default:
      return { node, pod, mark: c.yellow('◌'), text: c.yellow(`${st.why}${more}`), rank: 1 };
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Cuts a line to `width` visible columns (colour codes kept up to the cut, then reset). */
function fit(line: string, width: number): string {
  if (line.replace(ANSI, '').length <= width) return line;
  let out = '';
  let seen = 0;
  for (let i = 0; i < line.length;) {
    // eslint-disable-next-line no-control-regex
    const m = /^\u001b\[[0-9;]*m/.exec(line.slice(i));
    if (m !== null) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (seen >= width - 1) return out.includes('\u001b') ? `${out}…\u001b[0m` : `${out}…`;
    out += line.charAt(i);
    seen++;
    i++;
  }
  return out;
}

/** The lines of one frame. */
export function renderTree(inp: TreeInput, c: Colors): string[] {
  const { ds } = inp;
  const st = ds.status;
  const hashRev = new Map<string, ControllerRevision>();
  for (const r of inp.revisions)
    hashRev.set(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? r.metadata?.name ?? '', r);
  const sorted = [...inp.revisions].sort((a, b) => b.revision - a.revision);
  // The update and stable revisions as the controller reports them (else the newest is the update).
  const { update: newest, stable } = revisionRoles(ds, sorted);
  const pinned = pinnedPods(inp.pods, inp.revisions, newest, stable);
  const held = heldBy(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const groups = new Map<string, Leaf[]>();
  for (const p of inp.pods) {
    const hash = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const list = groups.get(hash) ?? [];
    const leaf = leafOf(p, newest, minReady, inp.now, c);
    list.push(
      pinned.has(p.metadata?.name ?? '')
        ? {
            ...leaf,
            text: `${leaf.text}  ${c.magenta(`pinned to stable${held ? ` (${held})` : ''}`)}`,
          }
        : leaf,
    );
    groups.set(hash, list);
  }
  const desired = st?.desiredNumberScheduled ?? 0;
  const done = /successfully rolled out|rolled out to its partition/.test(inp.statusLine);
  const failed = /^error: /.test(inp.statusLine);
  const state = failed
    ? c.red('✖ Failed')
    : done
      ? c.green('✔ Healthy')
      : held
        ? c.magenta(`⏸ ${held[0]!.toUpperCase()}${held.slice(1)}`)
        : c.yellow('◌ Progressing');
  const controls = controlsLine(ds);
  const lines: string[] = [
    `${c.bold('Name:')}       ${ds.metadata?.name ?? ''}   ${c.dim(`namespace ${ds.metadata?.namespace ?? ''}`)}`,
    `${c.bold('Strategy:')}   ${strategyText(ds)}`,
    ...(controls === '' ? [] : [`${c.bold('Rollout:')}    ${controls}`]),
    `${c.bold('Status:')}     ${state}   ${c.dim(`desired ${desired} · updated ${st?.updatedNumberScheduled ?? 0} · ready ${st?.numberReady ?? 0} · available ${st?.numberAvailable ?? 0} · unavailable ${st?.numberUnavailable ?? 0}`)}`,
    '',
  ];
  // The revisions with pods, newest first, then pods whose hash names no revision.
  const order = sorted
    .map((r) => r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? r.metadata?.name ?? '')
    .filter((h) => groups.has(h) || h === newest || h === stable);
  for (const h of groups.keys()) if (!order.includes(h)) order.push(h);
  const budget = Math.max(3, inp.height - lines.length - 2 - order.length * 2);
  const perRevision = Math.max(2, Math.floor(budget / Math.max(1, order.length)));
  for (const hash of order) {
    const rev = hashRev.get(hash);
    const leaves = (groups.get(hash) ?? []).sort(
      (a, b) => a.rank - b.rank || a.node.localeCompare(b.node, 'en', { numeric: true }),
    );
    const images = (
      rev?.data as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
    )?.spec?.template?.spec?.containers
      ?.map((x) => x.image ?? '')
      .join(', ');
    const title =
      rev === undefined ? `pods with hash ${hash || '(none)'}` : `revision ${rev.revision}`;
    const role =
      hash === newest && hash === stable
        ? c.cyan('  (update revision, stable)')
        : hash === newest
          ? c.cyan('  (update revision)')
          : hash === stable
            ? c.magenta('  (stable revision)')
            : '';
    const head = `${hash === newest ? c.cyan('» ') : '  '}${c.bold(title)}  ${c.dim(`${rev?.metadata?.name ?? ''}${images ? `  ${images}` : ''}`)}  ${leaves.length} ${leaves.length === 1 ? 'node' : 'nodes'}${role}`;
    lines.push(head);
    const shown = leaves.length <= perRevision ? leaves : leaves.slice(0, perRevision - 1);
    const hidden = leaves.slice(shown.length);
    const nodeW = Math.max(0, ...shown.map((l) => l.node.length));
    const podW = Math.max(0, ...shown.map((l) => l.pod.length));
    shown.forEach((l, i) => {
      const last = i === shown.length - 1 && hidden.length === 0;
      lines.push(
        `  ${c.dim(last ? '└──' : '├──')} ${l.mark} ${l.node.padEnd(nodeW)}  ${c.dim(l.pod.padEnd(podW))}  ${l.text}`,
      );
    });
    if (hidden.length > 0) {
      const ok = hidden.filter((l) => l.rank === 3).length;
      lines.push(
        `  ${c.dim('└──')} … ${hidden.length} more${ok === hidden.length ? ` (${ok === 1 ? 'fine' : 'all fine'})` : ` (${ok} fine)`}`,
      );
    }
  }
  lines.push('', inp.statusLine);
  return lines.map((l) => fit(l, inp.width));
}

/** The pods of the DaemonSet (its selector, controlled by it). */
async function podsOf(t: RolloutTarget, ds: DaemonSet): Promise<Pod[]> {
  const selector = labelSelectorAsSelector(ds.spec?.selector);
  const uid = ds.metadata?.uid ?? '';
  const list = await t.cluster.list<Pod>('Pod', { namespace: t.namespace });
  return list.items.filter(
    (p) =>
      selector.matches(p.metadata?.labels) &&
      (p.metadata?.ownerReferences ?? []).some((o) => o.controller === true && o.uid === uid),
  );
}

/**
 * The live tree: give it each DaemonSet version (onObject) and each status line (write); it
 * reads pods and revisions (at most every 500 ms, and every 2 s while nothing else happens) and
 * redraws. finish() leaves the last frame on screen.
 */
export class RolloutTree {
  /** Lines of the frame on screen (the next frame starts that many lines up). */
  private drawn = 0;
  private readonly c: Colors;
  private ds: DaemonSet | undefined;
  private status = '';
  private pods: readonly Pod[] = [];
  private revisions: readonly ControllerRevision[] = [];
  private fetching = false;
  private again = false;
  private lastFetch = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly t: RolloutTarget,
    private readonly out: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {
    this.c = colorsFor(out);
    this.timer = setInterval(() => {
      if (Date.now() - this.lastFetch > 2000) this.fetch();
    }, 500);
    this.timer.unref();
  }

  /** A new version of the DaemonSet. */
  object(ds: DaemonSet): void {
    this.ds = ds;
    this.fetch();
    this.draw();
  }

  /** kubectl's status line. */
  write(text: string): void {
    this.status = text.trimEnd();
    this.draw();
  }

  /** Stops refreshing; the last frame (with the pods read at the end, at most 2 s) stays. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    if (this.ds !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.read(this.ds),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000))),
      ]).catch(() => undefined);
      clearTimeout(timer);
    }
    this.draw();
  }

  private async read(ds: DaemonSet): Promise<void> {
    const [pods, revisions] = await Promise.all([
      podsOf(this.t, ds),
      controlledRevisions(this.t.cluster, ds),
    ]);
    this.pods = pods;
    this.revisions = revisions;
  }

  private fetch(): void {
    const ds = this.ds;
    if (ds === undefined) return;
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    this.lastFetch = Date.now();
    void this.read(ds)
      .then(() => {
        this.draw();
      })
      .catch(() => undefined) // the status watch reports the cluster's errors
      .finally(() => {
        this.fetching = false;
        if (this.again) {
          this.again = false;
          setTimeout(() => {
            this.fetch();
          }, 500).unref();
        }
      });
  }

  private draw(): void {
    if (this.ds === undefined) return;
    const lines = renderTree(
      {
        ds: this.ds,
        revisions: this.revisions,
        pods: this.pods,
        statusLine: this.status,
        now: this.now(),
        width: Math.max(40, (this.out.columns || 80) - 1),
        height: Math.max(12, (this.out.rows || 24) - 1),
      },
      this.c,
    );
    // Up to the frame's first line, clear to the end of the screen, draw. (log-update's
    // line diffing left pieces of the old frame when the tree grew, so the frame is redrawn.)
    const up = this.drawn > 0 ? `\u001b[${this.drawn}F` : '';
    this.out.write(`${up}\u001b[J${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

/** Where `rollout status` writes: the tree on a terminal while watching, else kubectl's lines. */
export function statusOutput(
  t: RolloutTarget,
  watch: boolean,
  out: NodeJS.WriteStream,
): {
  write: (s: string) => void;
  onObject?: (ds: DaemonSet) => void;
  finish: () => Promise<void>;
} {
  if (!watch || !isTerminal(out)) {
    return {
      write: (s) => {
        out.write(s);
      },
      finish: () => Promise.resolve(),
    };
  }
  const tree = new RolloutTree(t, out);
  return {
    write: (s) => {
      tree.write(s);
    },
    onObject: (ds) => {
      tree.object(ds);
    },
    finish: () => tree.finish(),
  };
}
