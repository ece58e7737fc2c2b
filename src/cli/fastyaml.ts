/**
 * The fast path of the object loader: js-yaml (YAML 1.2 core schema, duplicate keys refused)
 * parses kubectl-sized files about ten times faster than the `yaml` library and in a fraction of
 * its memory, linearly in the file's size. It knows each document's line and the line of every
 * element of a List's `items`, which is all that error messages need. It declines (returns
 * undefined) whatever it does not handle exactly like the `yaml` library: anchors and aliases
 * (the alias limits live there), syntax errors (worded there). The caller then uses that library.
 */
import jsyaml from 'js-yaml';

/** One parsed document: its value, the 1-based line where it starts, its `items` lines. */
export interface FastDoc {
  readonly value: unknown;
  readonly line: number;
  /** 1-based line of each element of the document's `items` list, when it has one. */
  readonly itemLines?: readonly number[];
}

/** Thrown out of the parse (and caught here) to decline or to stop early. */
class Decline extends Error {}

/** Thrown when the input has more documents than allowed. */
export class TooManyDocumentsError extends Error {
  override name = 'TooManyDocumentsError';
}

/** Thrown when the input nests deeper than allowed. */
export class TooDeepError extends Error {
  override name = 'TooDeepError';
}

/** How deep a document may nest (Kubernetes objects stay far below this). */
export const MAX_DEPTH = 100;

interface Frame {
  readonly line: number;
  /** Lines of the children of a depth-2 frame (the elements of a List's items). */
  readonly kids: number[];
  result?: unknown;
}

/**
 * Parses every document of text, or returns undefined when the `yaml` library must do it.
 * Throws TooManyDocumentsError past maxDocs documents and TooDeepError past MAX_DEPTH levels.
 */
export function parseFast(text: string, maxDocs: number): FastDoc[] | undefined {
  const docs: FastDoc[] = [];
  // Frames for depth 1 (a document) and 2 (its keys and values); depth 3 only adds a line.
  const stack: Frame[] = [];
  let topKids: Frame[] = [];
  let started = 0;
  const listener = (event: string, st: jsyaml.State): void => {
    const depth = (st as unknown as { depth: number }).depth;
    if (depth > 3) return;
    if (event === 'open') {
      if (depth === 1 && ++started > maxDocs) throw new TooManyDocumentsError(String(maxDocs));
      stack.push({ line: st.line + 1, kids: [] });
      return;
    }
    if ((st as unknown as { anchor: unknown }).anchor != null) throw new Decline('anchor');
    const frame = stack.pop()!;
    if (depth === 3) stack[stack.length - 1]?.kids.push(frame.line);
    else if (depth === 2) {
      frame.result = st.result as unknown;
      topKids.push(frame);
    } else {
      const value: unknown = st.result;
      const items = (value as { items?: unknown } | null)?.items;
      const list = Array.isArray(items) ? topKids.find((f) => f.result === items) : undefined;
      const itemLines =
        list !== undefined && list.kids.length === (items as unknown[]).length
          ? list.kids
          : undefined;
      docs.push({ value, line: frame.line, ...(itemLines ? { itemLines } : {}) });
      topKids = [];
    }
  };
  try {
    jsyaml.loadAll(text, null, {
      schema: jsyaml.CORE_SCHEMA,
      json: false,
      listener,
      ...({ maxDepth: MAX_DEPTH } as object),
    });
  } catch (err) {
    if (err instanceof TooManyDocumentsError) throw err;
    if (err instanceof Error && /maxDepth/.test(err.message)) throw new TooDeepError(err.message);
    return undefined;
  }
  return docs;
}
