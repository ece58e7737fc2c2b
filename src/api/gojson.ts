/**
 * The bytes kube-controller-manager writes as a ControllerRevision's data. getPatch
 * (pkg/controller/daemon/update.go) marshals the DaemonSet, reads it back into a generic map with
 * k8s.io/apimachinery/pkg/util/json (sigs.k8s.io/json's UnmarshalCaseSensitivePreserveInts), and
 * marshals that map with encoding/json; daemon.Match recognises the current revision by comparing
 * those bytes, so a revision everynode writes must carry exactly them to be recognised after a
 * handover to the built-in controller.
 *
 * The rules of that round trip (checked against Go 1.26 and apimachinery v0.33):
 * - object keys sorted by their UTF-8 bytes (code point order, not JavaScript's UTF-16 order), no
 *   whitespace, every key kept (null values and empty objects included);
 * - a number written as an integer that fits int64 stays an int64 and is written in decimal; any
 *   other number is a float64, written in strconv 'f' form with the shortest round-trip digits
 *   when 1e-6 <= |x| < 1e21 and in 'e' form outside (1e-7, 1e+21). Number#toString gives the same
 *   text for both, with one exception: -0 (an int64 0 in Go, from the text "-0"), written 0.
 *   JSON.parse keeps integers exactly only up to 2^53, so a template integer beyond that (no
 *   Kubernetes field has a sensible one) comes out as the nearest float64's digits, not Go's;
 * - strings: `"` and `\` escaped, \b \f \n \r \t in short form, other control characters as
 *   \u00XX (lowercase hex), `<` `>` `&` as \u003c \u003e \u0026 and U+2028/U+2029 as \u2028 /
 *   \u2029 (encoding/json's HTML-safe default), everything else (DEL included) as UTF-8.
 *
 * A JavaScript string may hold a lone surrogate, which has no UTF-8 form and no Go equivalent.
 * Whatever route such a string takes to kube-apiserver (JSON's "\ud800" escape, or UTF-8 with the
 * replacement character), Go decodes it as U+FFFD, so U+FFFD is what kube-controller-manager later
 * writes; it is written here as that character too (the golden set has a case).
 */

/** Characters a Go string encoding changes: quote, backslash, controls, <>&, U+2028/9, surrogates. */
// eslint-disable-next-line no-control-regex -- the control characters are what is looked for
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';
const SHORT: Readonly<Record<number, string>> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
  0x3c: '\\u003c',
  0x3e: '\\u003e',
  0x26: '\\u0026',
  0x2028: '\\u2028',
  0x2029: '\\u2029',
};

/** A string as Go's encoding/json writes it (HTML-safe escaping), quotes included. */
export function goQuote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) rep = SHORT[c] ?? `\\u00${HEX[c >> 4]!}${HEX[c & 15]!}`;
    else if (c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) rep = SHORT[c];
    else if (c === 0x2028 || c === 0x2029) rep = SHORT[c];
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair: written as it is (UTF-8 on the wire)
        continue;
      }
      rep = '\ufffd';
    }
    if (rep === undefined) continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** A number as getPatch's round trip writes it (int64 in decimal, float64 as Go formats it). */
export function goNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${String(n)}`);
  // Number#toString switches to exponent form at the same bounds as Go's float64 format (1e21
  // and 1e-6), with the same digits and exponent spelling, and writes integers in decimal as an
  // int64 is. -0 comes from the text "-0", an int64 0 for Go; String(-0) is "0" as well.
  return String(n);
}

/**
 * Orders strings by code point, which for valid strings is the byte order of their UTF-8 form
 * (Go's sort of map keys). UTF-16 code-unit order differs only where a surrogate meets a unit in
 * U+E000..U+FFFF: surrogates stand for code points above U+FFFF, so they must sort after those.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function marshal(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return goQuote(value);
    case 'number':
      return goNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      // No Go value corresponds; left out as JSON.stringify leaves them out.
      return undefined;
    case 'bigint':
      throw new TypeError('json: a bigint has no generic-map form (Go decodes numbers as float64)');
    default:
      break;
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => marshal(v) ?? 'null').join(',')}]`;
  }
  if (ArrayBuffer.isView(value)) {
    throw new TypeError('json: binary data has no generic-map form');
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort(compareCodePoints)) {
    const s = marshal(obj[key]);
    if (s !== undefined) parts.push(`${goQuote(key)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The bytes (as a string, to be sent as UTF-8) of Go's json.Marshal of `value` read as a generic
 * map: sorted keys, nulls kept, Go's number format and HTML-safe escaping. Throws TypeError for
 * what Go cannot encode (NaN, Infinity) or a generic map cannot hold (bigint, binary data).
 */
export function goMarshal(value: unknown): string {
  return marshal(value) ?? 'null';
}
