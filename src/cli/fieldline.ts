/**
 * The line a field of an object read from a file is written on, for error messages that name
 * the file, line and field (`ds.yaml:14: ... spec.updateStrategy.rollingUpdate.partition: ...`).
 * Used on the error path only: it parses the file again with positions, so reading stays on the
 * fast loader. A field inside a JSON string (the strategy annotation's `rollingUpdate.partition`)
 * is found at the line of the string.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';

/** The segments of a field path such as `spec.containers[0].image` or `metadata.annotations[a/b]`. */
export function fieldSegments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}

/**
 * The 1-based line of `field` in the object that starts at `objectLine` of the text (a YAML
 * document or a List item), or of its nearest written parent; objectLine when nothing matches.
 */
export function fieldLineIn(text: string, objectLine: number, field: string): number {
  const lines = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  } catch {
    return objectLine;
  }
  if (!Array.isArray(docs)) return objectLine;
  const lineOf = (n: YamlNode): number => lines.linePos(n.range?.[0] ?? 0).line;
  let root: YamlNode | undefined;
  for (const d of docs) {
    const c = d.contents;
    if (c === null) continue;
    if (lineOf(c) === objectLine) {
      root = c;
      break;
    }
    const items = isMap(c) ? c.get('items', true) : undefined;
    if (isSeq(items)) {
      root = (items.items as YamlNode[]).find((n) => lineOf(n) === objectLine);
      if (root !== undefined) break;
    }
  }
  if (root === undefined) return objectLine;
  // A map entry is named at its key's line (the value of `spec:` starts a line later).
  let node: unknown = root;
  let line = lineOf(root);
  for (const seg of fieldSegments(field)) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === seg);
      if (pair === undefined) break;
      line = lineOf(pair.key as YamlNode);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      line = lineOf(node as YamlNode);
    } else break;
  }
  return line;
}

/**
 * fieldLineIn for a file on disk; objectLine when the file cannot be read again (standard
 * input, already consumed) or does not parse.
 */
export async function fieldLine(path: string, objectLine: number, field: string): Promise<number> {
  if (path === '-' || path === '<stdin>') return objectLine;
  try {
    return fieldLineIn(await readFile(path, 'utf8'), objectLine, field);
  } catch {
    return objectLine;
  }
}
