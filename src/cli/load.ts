/**
 * Loads Kubernetes objects from files as `kubectl get -o yaml|json` prints them: one object,
 * several YAML documents, or a List. Every object keeps where it came from, so errors about it
 * can name the file and line. Errors are UsageErrors (exit code 2), never stack traces.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments, isMap, isSeq } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { UsageError } from './errors.js';

/** A Kubernetes object as read from a file: a plain JSON value with apiVersion, kind, metadata. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

/** Where an object was found. */
export interface ObjectSource {
  /** The path as the user gave it ("-" shows as "<stdin>"). */
  readonly file: string;
  /** 0-based YAML document index in the file. */
  readonly doc: number;
  /** 0-based index in the List's items, when the object came from a List. */
  readonly item?: number;
  /** 1-based line where the object starts. */
  readonly line: number;
}

/** One object and its source. */
export interface LoadedObject {
  readonly object: KubeObject;
  readonly source: ObjectSource;
}

/** Options for loadObjects. */
export interface LoadOptions {
  /** What "-" reads; defaults to process.stdin. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
}

/** The display name of a path in messages. */
export function displayName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

/**
 * Reads a file (or standard input for "-") and returns every object in it, Lists flattened, in
 * file order. Throws UsageError naming the file (and line:col) when it cannot be read or parsed.
 */
export async function loadObjects(path: string, opts: LoadOptions = {}): Promise<LoadedObject[]> {
  const text = path === '-' ? await readAll(opts.stdin ?? process.stdin) : await readPath(path);
  return parseObjects(text, displayName(path));
}

/**
 * Parses text holding YAML documents or JSON into objects (for callers that already have the
 * text, such as scenario files). Throws UsageError with `file:line:col: message`.
 */
export function parseObjects(text: string, file: string): LoadedObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // An empty stream parses to an EmptyStream (an empty array-like): no objects.
  const out: LoadedObject[] = [];
  let docIndex = 0;
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      throw new UsageError(`${file}:${line}:${col}: ${firstLine(err.message)}`);
    }
    const contents = doc.contents;
    // Empty documents (a stray `---`, a file of comments) hold no object.
    const value: unknown = contents === null ? null : doc.toJS({ maxAliasCount: 100 });
    if (contents !== null && value !== null && value !== undefined) {
      const line = lineOf(contents, lineCounter);
      out.push(...flatten(value, contents, { file, doc: docIndex, line }, lineCounter));
    }
    docIndex++;
  }
  return out;
}

function flatten(
  value: unknown,
  node: YamlNode,
  source: ObjectSource,
  lineCounter: LineCounter,
): LoadedObject[] {
  const where = `${source.file}:${source.line}`;
  const obj = asObject(value, where);
  if (isListKind(obj.kind) && 'items' in obj) {
    const items = obj.items;
    if (items === null || items === undefined) return [];
    if (!Array.isArray(items)) throw new UsageError(`${where}: ${obj.kind}: items must be a list`);
    const itemNodes = isMap(node) ? node.get('items', true) : undefined;
    const itemKind = obj.kind === 'List' ? undefined : obj.kind.slice(0, -'List'.length);
    return items.map((raw: unknown, i) => {
      const itemNode = isSeq(itemNodes) ? (itemNodes.items[i] as YamlNode | undefined) : undefined;
      const line = itemNode ? lineOf(itemNode, lineCounter) : source.line;
      // Typed lists read straight from the API (NodeList, PodList) omit kind on their items.
      const filled =
        itemKind !== undefined && isPlainObject(raw) && raw.kind === undefined
          ? { apiVersion: obj.apiVersion, kind: itemKind, ...raw }
          : raw;
      const item = asObject(filled, `${source.file}:${line}`, `${obj.kind} items[${i}]`);
      return { object: item, source: { ...source, item: i, line } };
    });
  }
  return [{ object: obj, source }];
}

function isListKind(kind: string): boolean {
  return kind === 'List' || (kind.endsWith('List') && kind.length > 'List'.length);
}

function asObject(value: unknown, where: string, what = 'document'): KubeObject {
  if (!isPlainObject(value)) {
    const got = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    throw new UsageError(`${where}: ${what} is ${got}, expected a Kubernetes object`);
  }
  if (typeof value.kind !== 'string' || value.kind === '') {
    throw new UsageError(`${where}: ${what} has no kind; expected a Kubernetes object`);
  }
  if (value.apiVersion !== undefined && typeof value.apiVersion !== 'string') {
    throw new UsageError(`${where}: apiVersion must be a string`);
  }
  if (value.metadata !== undefined && value.metadata !== null && !isPlainObject(value.metadata)) {
    throw new UsageError(`${where}: metadata must be an object`);
  }
  return value as KubeObject;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lineOf(node: YamlNode, lineCounter: LineCounter): number {
  const start = node.range?.[0] ?? 0;
  return lineCounter.linePos(start).line;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

async function readPath(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new UsageError(`${path}: ${why}`, 2);
  }
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The apiVersions accepted per kind. DaemonSets come as apps/v1 or as everynode's own CRD;
 * kinds not listed accept any apiVersion.
 */
export const ACCEPTED_API_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  DaemonSet: ['apps/v1', 'apps.everynode.dev/v1alpha1'],
  ControllerRevision: ['apps/v1'],
  Node: ['v1'],
  Pod: ['v1'],
};

/**
 * Checks that every object has one of the expected kinds (and an accepted apiVersion) and
 * returns the objects typed as T. Throws UsageError like
 * `nodes.yaml:12: expected kind Node, got Pod "x"`.
 */
export function expectKind<T>(
  objs: readonly LoadedObject[],
  kinds: readonly string[],
  file: string,
): T[] {
  return objs.map(({ object, source }) => {
    const where = `${source.file === '' ? file : source.file}:${source.line}`;
    const name = object.metadata?.name;
    const named = name ? ` "${name}"` : '';
    if (!kinds.includes(object.kind)) {
      throw new UsageError(
        `${where}: expected kind ${kinds.join(' or ')}, got ${object.kind}${named}`,
      );
    }
    const accepted = ACCEPTED_API_VERSIONS[object.kind];
    if (accepted && object.apiVersion !== undefined && !accepted.includes(object.apiVersion)) {
      throw new UsageError(
        `${where}: ${object.kind}${named}: apiVersion ${object.apiVersion} is not supported (use ${accepted.join(' or ')})`,
      );
    }
    if (typeof name !== 'string' || name === '') {
      throw new UsageError(`${where}: ${object.kind} has no metadata.name`);
    }
    return object as unknown as T;
  });
}
