/**
 * A scenario's `prometheus` block: the simulated Prometheus the health gate's query reaches under
 * `everynode sim` (src/sim/prometheus.ts).
 *
 *   prometheus:
 *     address: http://prometheus.monitoring:9090   # optional: only this address answers
 *     answers:                                     # from each time on (after the start), this answer
 *       - { from: 0s, value: 0.02 }
 *       - { from: 3m, value: 0.9 }
 *       - { from: 6m, answer: noData }             # noData|severalSeries|garbage|error|unreachable|timeout
 */
import { SIM_ANSWER_KINDS, type SimAnswer, type SimPrometheusSpec } from '../prometheus.js';
import type { Reader } from './reader.js';
import type { Path } from './source.js';

/** Parses the block; every error names its field. */
export function parsePrometheus(r: Reader, v: unknown, path: Path): SimPrometheusSpec {
  const m = r.map(v, path, ['address', 'answers']);
  let address: string | undefined;
  if (m.address !== undefined) {
    address = r.str(m.address, [...path, 'address']);
    let ok = false;
    try {
      const u = new URL(address);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) r.fail([...path, 'address'], 'must be an http:// or https:// URL');
  }
  if (m.answers === undefined) r.fail(path, 'needs answers: [{ from: 0s, value: 0.1 }, ...]');
  let last = -1;
  const answers = r.list(m.answers, [...path, 'answers']).map((a, i) => {
    const p = [...path, 'answers', i];
    const am = r.map(a, p, ['from', 'value', 'answer']);
    const fromMs = am.from === undefined ? 0 : r.duration(am.from, [...p, 'from']);
    if (fromMs < last) r.fail([...p, 'from'], 'answers must be in time order');
    last = fromMs;
    if ((am.value === undefined) === (am.answer === undefined))
      r.fail(p, `exactly one of value and answer (${SIM_ANSWER_KINDS.join(', ')})`);
    const answer: SimAnswer =
      am.value !== undefined
        ? {
            kind: 'value',
            value: r.num(am.value, [...p, 'value'], -Number.MAX_VALUE, Number.MAX_VALUE),
          }
        : { kind: r.oneOf(am.answer, [...p, 'answer'], SIM_ANSWER_KINDS, 'answer') };
    return { fromMs, answer };
  });
  return { ...(address !== undefined ? { address } : {}), answers };
}
