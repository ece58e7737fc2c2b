/**
 * Reading a YAML scenario with positions: every value the parser takes out of the document can
 * name its file, line, column and field path when it is wrong.
 */
import { LineCounter, isMap, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { SourceLocation } from './types.js';

/** A scenario file problem; the CLI turns it into exit code 2 with this message. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    message: string,
    readonly loc?: SourceLocation,
  ) {
    super(
      loc
        ? `${loc.file}:${loc.line}:${loc.col}: ${loc.path ? `${loc.path}: ` : ''}${message}`
        : message,
    );
  }
}

/** A path into the document: keys and indexes. */
export type Path = readonly (string | number)[];

/** Formats a path the way errors print it: `timeline[3].action`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (!/^[A-Za-z_][\w-]*$/.test(p)) out += `[${JSON.stringify(p)}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/** A parsed YAML file that can locate any path in it. */
export class Source {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses text; a YAML syntax error becomes a ScenarioError at its line. */
  static parse(file: string, text: string): Source {
    const lines = new LineCounter();
    let doc: Document;
    try {
      doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    } catch (err) {
      throw Source.limitError(file, err);
    }
    const err = doc.errors[0];
    if (err !== undefined) {
      const pos = lines.linePos(err.pos[0]);
      const first = err.message.split('\n')[0] ?? err.message;
      throw new ScenarioError(`invalid YAML: ${first}`, {
        file,
        line: pos.line,
        col: pos.col,
        path: '',
      });
    }
    return new Source(file, doc, lines);
  }

  /**
   * The whole document as plain JavaScript values. An alias bomb or a nesting deep enough to
   * overflow the stack is a ScenarioError naming the file, never a crash.
   */
  root(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 1000 }) as unknown;
    } catch (err) {
      throw Source.limitError(this.file, err);
    }
  }

  private static limitError(file: string, err: unknown): ScenarioError {
    const loc = { file, line: 1, col: 1, path: '' };
    if (err instanceof RangeError) return new ScenarioError('invalid YAML: nested too deeply', loc);
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return new ScenarioError(`invalid YAML: ${first}`, loc);
  }

  /** The location of the value at path (or of its nearest existing parent). */
  at(path: Path): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (
        node !== undefined &&
        node !== null &&
        typeof node === 'object' &&
        'range' in node &&
        node.range
      ) {
        const pos = this.lines.linePos(node.range[0]);
        return { file: this.file, line: pos.line, col: pos.col, path: formatPath(path) };
      }
      if (n === 0) break;
    }
    return { file: this.file, line: 1, col: 1, path: formatPath(path) };
  }

  /** The location of a map key (better than its value for "unknown field" errors). */
  keyAt(path: Path): SourceLocation {
    const parent = this.doc.getIn(path.slice(0, -1), true);
    const key = path[path.length - 1];
    if (isMap(parent)) {
      for (const item of parent.items) {
        const k = item.key as Node | null;
        if (k && 'value' in k && k.value === key && k.range) {
          const pos = this.lines.linePos(k.range[0]);
          return { file: this.file, line: pos.line, col: pos.col, path: formatPath(path) };
        }
      }
    }
    return this.at(path);
  }

  /** Throws a ScenarioError located at path. */
  fail(path: Path, message: string): never {
    throw new ScenarioError(message, this.at(path));
  }

  /** True when the value at path is a YAML sequence (to tell `- a` lists from scalars). */
  isList(path: Path): boolean {
    return isSeq(this.doc.getIn(path, true));
  }
}
