/**
 * A simulated Prometheus for `everynode sim` and the embedded cluster: a scenario's `prometheus`
 * block says what the gate's query returns over virtual time (a value, or no data, several series,
 * garbage, a PromQL error, no answer, a timeout). The answer is served as Prometheus's HTTP query
 * API would serve it and read by the real client (controller/prometheus.ts's queryPrometheus, with
 * a fetch that never leaves the process), so the sim's messages are the ones a cluster would show.
 * Nothing here opens a socket.
 */
import type { MetricQueryFn } from '../controller/metricrunner.js';
import { queryPrometheus } from '../controller/prometheus.js';

/** What the simulated server answers. */
export type SimAnswer =
  { readonly kind: 'value'; readonly value: number } | { readonly kind: SimAnswerKind };

/** The answers that are not a value. */
export type SimAnswerKind =
  'noData' | 'severalSeries' | 'garbage' | 'error' | 'unreachable' | 'timeout';

/** Every SimAnswerKind, for the scenario parser. */
export const SIM_ANSWER_KINDS: readonly SimAnswerKind[] = [
  'noData',
  'severalSeries',
  'garbage',
  'error',
  'unreachable',
  'timeout',
];

/** A scenario's `prometheus` block. */
export interface SimPrometheusSpec {
  /** Only queries to this address are answered (others: no answer); any address when absent. */
  readonly address?: string;
  /** From each time on (ms after the scenario's start, ascending), this answer; noData before. */
  readonly answers: readonly { readonly fromMs: number; readonly answer: SimAnswer }[];
}

/** One query the simulated server saw (for reports and tests). */
export interface SimQuery {
  readonly atMs: number;
  readonly address: string;
  readonly query: string;
  readonly answer: SimAnswer;
}

/** The answer in force `elapsedMs` after the start. */
export function answerAt(spec: SimPrometheusSpec, elapsedMs: number): SimAnswer {
  let out: SimAnswer = { kind: 'noData' };
  for (const a of spec.answers) if (a.fromMs <= elapsedMs) out = a.answer;
  return out;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** The HTTP response Prometheus would give for an answer at time `t` (epoch s). */
function respond(answer: SimAnswer, t: number): Response {
  const sample = (node: string, v: string) => ({ metric: { node }, value: [t, v] });
  switch (answer.kind) {
    case 'value':
      return json(200, {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [t, String(answer.value)] }] },
      });
    case 'noData':
      return json(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    case 'severalSeries':
      return json(200, {
        status: 'success',
        data: { resultType: 'vector', result: [sample('node-a', '1'), sample('node-b', '2')] },
      });
    case 'garbage':
      return new Response('<html><body>502 Bad Gateway</body></html>', {
        status: 200,
        headers: { 'Content-Type': 'text/html' },
      });
    case 'error':
      return json(400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:1: parse error: unexpected end of input',
      });
    default:
      throw new Error(`no HTTP response for ${answer.kind}`);
  }
}

/**
 * The query function the controller uses under the sim: answers from `spec` at `elapsed()`
 * (virtual ms since the start), records each query in `seen`. Without a spec every query has no
 * answer (a scenario never reaches a real network).
 */
export function simulatedPrometheus(
  spec: SimPrometheusSpec | undefined,
  elapsed: () => number,
  seen?: SimQuery[],
): MetricQueryFn {
  return async (address, query, opts) => {
    const atMs = elapsed();
    const answer: SimAnswer =
      spec === undefined || (spec.address !== undefined && spec.address !== address)
        ? { kind: 'unreachable' }
        : answerAt(spec, atMs);
    seen?.push({ atMs, address, query, answer });
    const fetchSim = async (): Promise<Response> => {
      await Promise.resolve();
      if (answer.kind === 'unreachable') {
        const why =
          spec === undefined
            ? 'the scenario has no prometheus block'
            : spec.address !== undefined && spec.address !== address
              ? `the scenario's simulated Prometheus is ${spec.address}`
              : 'connect ECONNREFUSED (simulated)';
        throw new TypeError('fetch failed', { cause: { message: why } });
      }
      return respond(answer, opts.time / 1000);
    };
    if (answer.kind === 'timeout') {
      // The real client's deadline is wall-clock time; under the virtual clock say what it says.
      const url = new URL(address);
      return {
        kind: 'inconclusive',
        reason: 'Timeout',
        message: `prometheus ${url.origin}${url.pathname.replace(/\/+$/, '')}/api/v1/query: no answer within ${opts.timeoutMs} ms`,
      };
    }
    return queryPrometheus(address, query, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      time: opts.time,
      fetch: fetchSim,
    });
  };
}
