/**
 * Loads Kubernetes objects from files as `kubectl get -o yaml|json` prints them: one object,
 * several YAML documents, or a List. Every object keeps where it came from, so errors about it
 * can name the file and line. Errors are UsageErrors (exit code 2), never stack traces.
 */
import { open } from 'node:fs/promises';
import { LineCounter, parseAllDocuments, isMap, isSeq } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { UsageError } from './errors.js';
import {
  MAX_DEPTH,
  parseFast,
  TooDeepError,
  TooManyDocumentsError,
  type FastDoc,
} from './fastyaml.js';

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
  /** The input limit in bytes (default: maxInputBytes()). */
  readonly maxBytes?: number;
}

/** The display name of a path in messages. */
export function displayName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

/** The largest input read by default, in MiB; EVERYNODE_MAX_INPUT_MB raises (or lowers) it. */
export const DEFAULT_MAX_INPUT_MB = 256;
/** The most YAML documents one input may hold. */
export const MAX_DOCUMENTS = 100_000;
/** The most aliases one YAML document may expand (anchors only go through the `yaml` library). */
export const MAX_ALIASES = 100;

/** The input size limit in bytes: EVERYNODE_MAX_INPUT_MB when set to a positive number. */
export function maxInputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env['EVERYNODE_MAX_INPUT_MB']);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MAX_INPUT_MB) * 2 ** 20;
}

/**
 * Reads a file (or standard input for "-") and returns every object in it, Lists flattened, in
 * file order. Throws UsageError naming the file (and line:col) when it cannot be read or parsed,
 * or is larger than the input limit (read in chunks, so /dev/zero stops at the limit).
 */
export async function loadObjects(path: string, opts: LoadOptions = {}): Promise<LoadedObject[]> {
  const limit = opts.maxBytes ?? maxInputBytes();
  const text =
    path === '-'
      ? await readAll(opts.stdin ?? process.stdin, limit, displayName(path))
      : await readPath(path, limit);
  return parseObjects(text, displayName(path));
}

/**
 * Reads a text file (a scenario) within the input limit; a file past it, or one holding NUL
 * bytes, is a UsageError naming it, as for loadObjects.
 */
export async function readTextFile(path: string, maxBytes = maxInputBytes()): Promise<string> {
  return readPath(path, maxBytes);
}

/**
 * Parses text holding YAML documents or JSON into objects (for callers that already have the
 * text, such as scenario files). Throws UsageError with `file:line:col: message`. Linear in the
 * text's size: js-yaml takes what it can (fastyaml.ts), the `yaml` library the rest.
 */
export function parseObjects(text: string, file: string): LoadedObject[] {
  let fast: FastDoc[] | undefined;
  try {
    fast = parseFast(text, MAX_DOCUMENTS);
  } catch (err) {
    throw limitError(err, file);
  }
  if (fast === undefined) return parseSlow(text, file);
  const out: LoadedObject[] = [];
  fast.forEach((d, doc) => {
    if (d.value === null || d.value === undefined) return;
    const lineOfItem = (i: number): number => d.itemLines?.[i] ?? d.line;
    out.push(...flatten(d.value, { file, doc, line: d.line }, lineOfItem));
  });
  return out;
}

function limitError(err: unknown, file: string): unknown {
  if (err instanceof TooManyDocumentsError)
    return new UsageError(`${file}: more than ${MAX_DOCUMENTS} YAML documents`);
  if (err instanceof TooDeepError || err instanceof RangeError)
    return new UsageError(`${file}: nested more than ${MAX_DEPTH} levels deep`);
  return err;
}

/** The `yaml` library's parse, for anchors and aliases and for its error messages. */
function parseSlow(text: string, file: string): LoadedObject[] {
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw limitError(err, file);
  }
  // An empty stream parses to an EmptyStream (an empty array-like): no objects.
  const out: LoadedObject[] = [];
  let docIndex = 0;
  for (const doc of docs) {
    if (docIndex >= MAX_DOCUMENTS) throw limitError(new TooManyDocumentsError(''), file);
    const err = doc.errors[0];
    if (err) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      throw new UsageError(`${file}:${line}:${col}: ${firstLine(err.message)}`);
    }
    const contents = doc.contents;
    // Empty documents (a stray `---`, a file of comments) hold no object.
    const value: unknown = contents === null ? null : toJS(doc, file, docIndex);
    if (contents !== null && value !== null && value !== undefined) {
      const line = lineOf(contents, lineCounter);
      const itemNodes = isMap(contents) ? contents.get('items', true) : undefined;
      const lineOfItem = (i: number): number => {
        const n = isSeq(itemNodes) ? (itemNodes.items[i] as YamlNode | undefined) : undefined;
        return n ? lineOf(n, lineCounter) : line;
      };
      out.push(...flatten(value, { file, doc: docIndex, line }, lineOfItem));
    }
    docIndex++;
  }
  return out;
}

function toJS(
  doc: ReturnType<typeof parseAllDocuments>[number],
  file: string,
  index: number,
): unknown {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (err instanceof RangeError) throw limitError(err, file);
    const msg = err instanceof Error ? err.message : String(err);
    // The library's words for an alias bomb ("Excessive alias count indicates a resource
    // exhaustion attack") and for an alias to no anchor, both with the file named.
    throw new UsageError(`${file}: document ${index + 1}: ${firstLine(msg)}`);
  }
  if (depthOf(value) > MAX_DEPTH) throw limitError(new TooDeepError(''), file);
  return value;
}

/** The nesting depth of a plain value, without recursion. */
function depthOf(root: unknown): number {
  let max = 0;
  const todo: [unknown, number][] = [[root, 1]];
  while (todo.length > 0) {
    const [v, d] = todo.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > MAX_DEPTH) return max;
    for (const child of Object.values(v)) todo.push([child, d + 1]);
  }
  return max;
}

function flatten(
  value: unknown,
  source: ObjectSource,
  lineOfItem: (i: number) => number,
): LoadedObject[] {
  const where = `${source.file}:${source.line}`;
  const obj = asObject(value, where);
  if (isListKind(obj.kind) && 'items' in obj) {
    const items = obj.items;
    if (items === null || items === undefined) return [];
    if (!Array.isArray(items)) throw new UsageError(`${where}: ${obj.kind}: items must be a list`);
    const itemKind = obj.kind === 'List' ? undefined : obj.kind.slice(0, -'List'.length);
    return items.map((raw: unknown, i) => {
      const line = lineOfItem(i);
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

const CHUNK = 1 << 16;

function tooLarge(file: string, limit: number): UsageError {
  const mb = Math.round(limit / 2 ** 20);
  return new UsageError(
    `${file}: larger than ${mb} MiB, the input limit (set EVERYNODE_MAX_INPUT_MB to raise it)`,
  );
}

/** Decodes bytes as UTF-8 text; a NUL byte means the file is not a YAML or JSON document. */
function textOf(chunks: readonly Buffer[], file: string): string {
  const buf = Buffer.concat(chunks);
  if (buf.includes(0)) throw new UsageError(`${file}: not a text file (it holds NUL bytes)`);
  return buf.toString('utf8');
}

async function readPath(path: string, limit: number): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      // /dev/zero and other endless sources stop at the first chunk that is not text.
      if (buf.subarray(0, bytesRead).includes(0))
        throw new UsageError(`${path}: not a text file (it holds NUL bytes)`);
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw tooLarge(path, limit);
    }
    return textOf(chunks, path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
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
  } finally {
    await handle?.close();
  }
}

async function readAll(
  stream: AsyncIterable<string | Uint8Array>,
  limit: number,
  file: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    chunks.push(buf);
    total += buf.length;
    if (total > limit) throw tooLarge(file, limit);
  }
  return textOf(chunks, file);
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
