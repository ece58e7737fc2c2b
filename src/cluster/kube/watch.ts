/**
 * A watch over kube-apiserver's streaming JSON: one event per line, delivered in order, with
 * BOOKMARK reduced to its resourceVersion and an ERROR event turned into the port's typed error.
 * Lines are cut from the raw bytes (a newline byte never occurs inside a UTF-8 sequence) and each
 * is decoded once; the parsed object is handed on as it is, once its shape is checked (an event
 * whose object is not a Kubernetes object ends the watch with an error naming the resource).
 * The server must accept the watch within the transport's request timeout; silence after that
 * is for the reader to judge (the informer restarts a watch silent for too long).
 */
import type { KubeObject, Watch, WatchEvent } from '../port.js';
import { ClusterError, GoneError, UnavailableError } from '../port.js';
import { errorFromStatus, parseStatus, type StatusBody } from './errors.js';
import { describeJson, type Request, type Transport } from './http.js';

/**
 * Why a value from the server is not a Kubernetes object (an object whose metadata, if any, is
 * an object with string name, namespace and resourceVersion), or undefined when it is one.
 */
export function objectShapeError(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return `expected an object, got ${describeJson(v)}`;
  const meta = (v as { metadata?: unknown }).metadata;
  if (meta === undefined) return undefined;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    return `metadata: expected an object, got ${describeJson(meta)}`;
  for (const f of ['name', 'namespace', 'resourceVersion', 'uid'] as const) {
    const x = (meta as Record<string, unknown>)[f];
    if (x !== undefined && typeof x !== 'string')
      return `metadata.${f}: expected a string, got ${describeJson(x)}`;
  }
  return undefined;
}

interface RawEvent {
  readonly type?: string;
  readonly object?: unknown;
}

/**
 * Starts a watch. Resolves once the server has accepted it (HTTP 200), so a failure to start
 * (Gone, Forbidden, unreachable) rejects here; later failures reject `done`. A clean close by the
 * server (its watch timeout) resolves `done`, and the caller watches again from its last version.
 */
export async function startWatch<T extends KubeObject>(
  transport: Transport,
  req: Request,
  onEvent: (event: WatchEvent<T>) => void,
): Promise<Watch> {
  const abort = new AbortController();
  let stopped = false;
  const what = `watch ${req.path}`;
  let res;
  try {
    res = await transport.open(req, transport.requestTimeoutMs, abort.signal);
  } catch (e) {
    throw e instanceof ClusterError
      ? e
      : new UnavailableError(`${what}: ${String(e)}`, 503, { cause: e });
  }
  const code = res.statusCode ?? 0;
  if (code !== 200) {
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk as string;
    throw errorFromStatus(code, parseStatus(text), what);
  }

  const done = new Promise<void>((resolve, reject) => {
    let failed: ClusterError | undefined;
    const onLine = (line: string): void => {
      if (line.trim() === '') return;
      let ev: RawEvent;
      try {
        ev = JSON.parse(line) as RawEvent;
      } catch (e) {
        failed = new UnavailableError(`${what}: unparseable event`, 503, { cause: e });
        res.destroy();
        return;
      }
      if (ev.type === 'ERROR') {
        const st = ev.object as StatusBody | undefined;
        failed = errorFromStatus(st?.code ?? 500, st, what);
        if (!(failed instanceof GoneError) && st?.code === 410)
          failed = new GoneError(st.message ?? what);
        res.destroy();
        return;
      }
      if (ev.type === 'BOOKMARK') {
        const rv = (ev.object as KubeObject | undefined)?.metadata?.resourceVersion ?? '';
        onEvent({ type: 'BOOKMARK', resourceVersion: rv });
        return;
      }
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
        const bad = objectShapeError(ev.object);
        if (bad !== undefined) {
          failed = new UnavailableError(`${what}: malformed ${ev.type} event: ${bad}`, 503);
          res.destroy();
          return;
        }
        onEvent({ type: ev.type, object: ev.object as T });
      }
    };
    // The bytes of a line not yet ended, across chunks.
    let partial: Buffer[] = [];
    res.on('data', (chunk: Buffer) => {
      let start = 0;
      for (;;) {
        if (stopped || failed) return;
        const nl = chunk.indexOf(10, start);
        if (nl < 0) break;
        if (partial.length === 0) onLine(chunk.toString('utf8', start, nl));
        else {
          partial.push(chunk.subarray(start, nl));
          const line = Buffer.concat(partial).toString('utf8');
          partial = [];
          onLine(line);
        }
        start = nl + 1;
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
    });
    const finish = (err?: unknown): void => {
      if (stopped) resolve();
      else if (failed) reject(failed);
      else if (err) {
        const msg = err instanceof Error ? err.message : 'stream failed';
        reject(new UnavailableError(`${what}: ${msg}`, 503, { cause: err }));
      } else resolve();
    };
    // Without an 'error' listener a reset connection (ECONNRESET when the apiserver goes away)
    // would be an unhandled 'error' event and the whole process would die.
    res.on('error', (e) => {
      finish(e);
    });
    res.on('end', () => {
      // A last line without its newline (the server always sends one; be lenient anyway).
      if (partial.length > 0 && !stopped && !failed) {
        const line = Buffer.concat(partial).toString('utf8');
        partial = [];
        onLine(line);
      }
      finish();
    });
    // destroy() (from stop, or after an ERROR event) emits 'close' but not 'end'.
    res.on('close', () => {
      finish();
    });
  });
  // Nobody may be awaiting done yet; keep an unobserved rejection from crashing the process.
  done.catch(() => undefined);
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      abort.abort();
      res.destroy();
    },
    done,
  };
}
