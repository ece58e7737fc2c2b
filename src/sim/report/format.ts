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

/**
 * Wraps plain text to `width` columns: the first line starts after `first` characters already
 * on the line, the others are indented by `indent` spaces. Words longer than a line are cut.
 */
export function wrapText(text: string, width: number, indent: number, first = indent): string[] {
  const lines: string[] = [];
  let room = Math.max(10, width - first);
  let line = '';
  for (let word of text.split(/\s+/)) {
    while (word.length > Math.max(10, width - indent)) {
      // A word that fits no line (a long image name): cut it.
      const cut = Math.max(10, width - indent) - (line === '' ? 0 : line.length + 1);
      if (cut < 5) break;
      lines.push(line === '' ? word.slice(0, cut) : `${line} ${word.slice(0, cut)}`);
      word = word.slice(cut);
      line = '';
      room = Math.max(10, width - indent);
    }
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = Math.max(10, width - indent);
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l));
}

/** The visible width of a string (colour codes not counted). */
export function visibleWidth(s: string): number {
  return width(s);
}
