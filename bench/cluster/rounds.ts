/**
 * The rounds of a rolling update as one controller's request log shows them: from the first pod
 * delete on, runs of consecutive pod deletes and pod creates, each with its size, start (seconds
 * after the first delete), duration and the gap since the previous run, then the number of rounds
 * and their mean size. A diagnosis of R2 (docs/dev/bench-cluster.md, round 4): how a side batches
 * its replacements.
 *
 *   npx tsx bench/cluster/rounds.ts <dir>-work/logs/<run>/controller-requests.jsonl [--all]
 *
 * Without --all only the summary and the first and last ten runs are printed.
 */
import { readFileSync } from 'node:fs';

interface Request {
  readonly at: string;
  readonly verb: string;
  readonly resource: string;
}

interface Run {
  readonly verb: 'create' | 'delete';
  n: number;
  readonly start: number;
  end: number;
}

function main(): number {
  const file = process.argv[2];
  if (file === undefined || file.startsWith('-')) {
    process.stderr.write('usage: rounds.ts <controller-requests.jsonl> [--all]\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`rounds.ts: ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const pods: Request[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Request;
      if (r.resource === 'pods' && (r.verb === 'create' || r.verb === 'delete')) pods.push(r);
    } catch {
      // A line cut by a crash at the end of the log: skipped.
    }
  }
  const first = pods.findIndex((r) => r.verb === 'delete');
  if (first < 0) {
    process.stderr.write(`rounds.ts: ${file}: no pod delete (no rolling update in this log)\n`);
    return 1;
  }
  const runs: Run[] = [];
  for (const r of pods.slice(first)) {
    const t = Date.parse(r.at);
    const last = runs.at(-1);
    if (last !== undefined && last.verb === r.verb) {
      last.n++;
      last.end = t;
    } else runs.push({ verb: r.verb as Run['verb'], n: 1, start: t, end: t });
  }
  const t0 = runs[0]!.start;
  const rows = runs.map((r, i) => {
    const gap = i === 0 ? 0 : r.start - runs[i - 1]!.end;
    const at = ((r.start - t0) / 1000).toFixed(2);
    return `${r.verb.padEnd(6)} ${String(r.n).padStart(4)} pods  at ${at.padStart(6)} s  took ${String(r.end - r.start).padStart(4)} ms  gap ${String(gap).padStart(4)} ms`;
  });
  const all = process.argv.includes('--all');
  const shown = all || rows.length <= 20 ? rows : [...rows.slice(0, 10), '…', ...rows.slice(-10)];
  for (const row of shown) process.stdout.write(`${row}\n`);
  const deletes = runs.filter((r) => r.verb === 'delete');
  const deleted = deletes.reduce((a, r) => a + r.n, 0);
  const seconds = (runs.at(-1)!.end - t0) / 1000;
  // Two lines, each within 80 columns.
  process.stdout.write(
    `${deletes.length} rounds, ${deleted} pods deleted, ${(deleted / deletes.length).toFixed(1)} per round\n` +
      `${seconds.toFixed(2)} s from the first delete to the last write, ${((1000 * seconds) / deletes.length).toFixed(0)} ms per round\n`,
  );
  return 0;
}

process.exitCode = main();
