/**
 * Durations, one parser for every input that takes one: CLI flags (`run --lease-duration`,
 * `--run-for`, `rollout status --timeout`, ...) and scenario files ("90s", "1m30s"). The syntax is
 * Go's time.ParseDuration, which kubectl and every Kubernetes component use: a sequence of
 * decimal numbers, each with a unit (ns, us or µs, ms, s, m, h), such as "300ms", "1.5h",
 * "2h45m" or "1m30s". Two departures, both additions: a bare number is seconds ("3" = 3s, and
 * a YAML number in a scenario file), and a negative duration is refused (nothing here can wait
 * a negative time). As in Go, a value past 2^63-1 ns (about 292 years) is refused.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's limit: the largest time.Duration, 2^63-1 ns, in ms. */
export const MAX_DURATION_MS = 9_223_372_036_854.775;

const BARE = /^\+?(\d+(?:\.\d*)?|\.\d+)$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/gy;

/** Why a text is not a duration, in Go's words; undefined when it is one. */
export function durationError(text: string): string | undefined {
  return parse(text).error;
}

function parse(raw: string): { ms?: number; error?: string } {
  const text = raw.trim();
  const quoted = JSON.stringify(raw);
  if (text === '') return { error: `invalid duration ${quoted}` };
  if (BARE.test(text)) return bounded(Number(text.replace(/^\+/, '')) * 1000, quoted);
  if (text.startsWith('-')) return { error: `negative duration ${quoted}` };
  const body = text.startsWith('+') ? text.slice(1) : text;
  PART.lastIndex = 0;
  let ms = 0;
  let end = 0;
  for (let m = PART.exec(body); m !== null; m = PART.exec(body)) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined)
      return { error: `unknown unit ${JSON.stringify(m[2])} in duration ${quoted}` };
    ms += Number(m[1]) * unit;
    end = PART.lastIndex;
  }
  if (end !== body.length || end === 0) {
    return /^\d+(?:\.\d*)?$/.test(body.slice(end))
      ? { error: `missing unit in duration ${quoted}` }
      : { error: `invalid duration ${quoted}` };
  }
  return bounded(ms, quoted);
}

function bounded(ms: number, quoted: string): { ms?: number; error?: string } {
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) return { error: `invalid duration ${quoted}` };
  return { ms };
}

/**
 * Parses a duration into ms (see the module comment for the syntax). A number means seconds.
 * Returns undefined for anything else, so the caller can report the field; durationError says
 * why.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 && value * 1000 <= MAX_DURATION_MS
      ? value * 1000
      : undefined;
  if (typeof value !== 'string') return undefined;
  return parse(value).ms;
}

/** Formats ms compactly: "0s", "850ms", "42s", "3m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (ms < 1000 && ms > 0 && ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Formats a virtual time offset for timelines, fixed width: "  3m05s". */
export function formatOffset(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return `${String(m).padStart(3, ' ')}m${String(s % 60).padStart(2, '0')}s`;
}
