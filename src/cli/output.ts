/**
 * Terminal output for the CLI: a kubectl-style column printer, section headings, and colours that
 * appear only on a terminal (picocolors, and never when NO_COLOR is set).
 */
import pc from 'picocolors';
import { stringify } from 'yaml';

/** The colour functions in use; each is the identity when colour is off. */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour a stream: on only for a TTY (or when FORCE_COLOR asks), off when NO_COLOR is
 * set or FORCE_COLOR=0. Decided here rather than by picocolors' default, which also turns colour
 * on whenever a `CI` variable is set, and so wrote escape codes into piped output and log files.
 */
export function colorEnabled(stream: { readonly isTTY?: boolean }): boolean {
  const env = process.env;
  return (
    env.NO_COLOR === undefined &&
    env.FORCE_COLOR !== '0' &&
    (isTerminal(stream) || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== ''))
  );
}

/** Whether a stream is a terminal. Node types `isTTY` as boolean, but a pipe leaves it undefined. */
export function isTerminal(stream: { readonly isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** Colours for a stream (see colorEnabled); each function is the identity when colour is off. */
export function colorsFor(stream: { readonly isTTY?: boolean }): Colors {
  return pc.createColors(colorEnabled(stream));
}

/** A cell: plain text, or text with a style applied after the column widths are measured. */
export type Cell = string | { readonly text: string; readonly style: (s: string) => string };

/** Options for formatTable. */
export interface TableOptions {
  /** Spaces before every line. */
  readonly indent?: number;
  /** Style for the header row (e.g. bold). */
  readonly headerStyle?: (s: string) => string;
  /** Columns (by index) aligned to the right, such as counters. */
  readonly rightAlign?: readonly number[];
}

/**
 * Formats rows under headers in columns separated by three spaces, as kubectl does. The last
 * column is never padded, so long reasons do not leave trailing blanks. Returns lines without a
 * final newline.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  opts: TableOptions = {},
): string {
  const indent = ' '.repeat(opts.indent ?? 0);
  const right = new Set(opts.rightAlign ?? []);
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => textOf(r[i] ?? '').length)),
  );
  const line = (cells: readonly Cell[], headerRow: boolean): string => {
    const parts = headers.map((_, i) => {
      const cell = cells[i] ?? '';
      const text = textOf(cell);
      const last = i === headers.length - 1;
      const pad = ' '.repeat(widths[i]! - text.length);
      const styled = typeof cell === 'string' ? text : cell.style(text);
      const shown = headerRow && opts.headerStyle ? opts.headerStyle(text) : styled;
      if (right.has(i)) return pad + shown;
      return last ? shown : shown + pad;
    });
    return (indent + parts.join('   ')).trimEnd();
  };
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n');
}

function textOf(cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text;
}

/** "key: value" lines with the keys padded to one width, as `kubectl describe` prints them. */
export function formatFields(
  fields: readonly (readonly [string, string])[],
  opts: { readonly indent?: number; readonly keyStyle?: (s: string) => string } = {},
): string {
  const indent = ' '.repeat(opts.indent ?? 0);
  const width = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields
    .map(([k, v]) => {
      const key = `${k}:`.padEnd(width);
      return `${indent}${opts.keyStyle ? opts.keyStyle(key) : key}  ${v}`.trimEnd();
    })
    .join('\n');
}

/** JSON as printed by the CLI: two-space indent and a final newline. */
export function toJSONText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** YAML as printed by the CLI (block style, no line folding, so long reasons stay on one line). */
export function toYAMLText(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A duration in seconds as "45s", "3m", "2m30s", "1h5m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  return rest > 0 ? `${m}m${rest}s` : `${m}m`;
}
