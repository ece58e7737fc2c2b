/** Small text helpers for the reports: aligned columns, progress bars, colours. */
import pc from 'picocolors';

/** A colour set that is either real or a no-op (for pipes and files). */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colours on or off. Always an explicit boolean: picocolors' own default (used when the argument
 * is undefined) turns colour on whenever a `CI` variable is set, even into a pipe.
 */
export function colors(enabled: boolean): Colors {
  return pc.createColors((enabled as boolean | undefined) === true);
}

// Visible width: strip ANSI colour codes before measuring.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string): number => s.replace(ANSI, '').length;

/** Aligns rows into columns (kubectl style); `right` lists the columns to right-align. */
export function columns(
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number> = new Set(),
  gap = 2,
): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, width(c))));
  return rows.map((r) =>
    r
      .map((c, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - width(c));
        if (i === r.length - 1 && !right.has(i)) return c;
        return right.has(i) ? pad + c : c + pad;
      })
      .join(' '.repeat(gap))
      .trimEnd(),
  );
}

/** A bar: solid for done (updated and available), shaded for updated but not yet available. */
export function bar(done: number, partial: number, total: number, size: number, c: Colors): string {
  if (total <= 0) return c.dim('·'.repeat(size));
  const d = Math.min(size, Math.round((done / total) * size));
  const p = Math.min(size - d, Math.round(((done + partial) / total) * size) - d);
  return (
    c.green('█'.repeat(d)) +
    c.yellow('▓'.repeat(Math.max(0, p))) +
    c.dim('░'.repeat(Math.max(0, size - d - Math.max(0, p))))
  );
}
