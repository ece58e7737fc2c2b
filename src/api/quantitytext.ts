/**
 * The text kube-apiserver writes for a resource.Quantity it decoded from `input`
 * (apimachinery's ParseQuantity, then Quantity.MarshalJSON), exactly: `0.5` becomes `500m`,
 * `2000m` becomes `2`, `1024Mi` becomes `1Gi`, `1.5Gi` becomes `1536Mi`, `1000` becomes `1k`,
 * while a string ParseQuantity keeps as it was (`100Mi`, `1e3`, `129M`) stays. Used to write a
 * custom resource's template as apps/v1 serves it (servedform.ts).
 */

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 10n ** 9n;
const INT64_MAX = 2n ** 63n - 1n;

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Division rounded away from zero (inf.RoundUp), for the nano rounding ParseQuantity does. */
function divAway(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : n < 0n ? q - 1n : q + 1n;
}

/** The canonical text of a value given in nano units (Quantity.CanonicalizeBytes). */
function canonical(nanos: bigint, format: Format): string {
  if (nanos === 0n) return '0';
  let f = format;
  if (f === 'BinarySI') {
    // Small or fractional binary values are written in decimal.
    const small = nanos > -1024n * NANO && nanos < 1024n * NANO;
    if (small || nanos % NANO !== 0n) f = 'DecimalSI';
  }
  if (f === 'BinarySI') {
    let n = nanos / NANO;
    let power = 0;
    const abs = (x: bigint): bigint => (x < 0n ? -x : x);
    while (abs(n) >= 1024n && n % 1024n === 0n) {
      n /= 1024n;
      power++;
    }
    return `${n}${BINARY_BY_POWER[power] ?? ''}`;
  }
  let m = nanos;
  let exp = -9;
  while ((m >= 10n || m <= -10n) && m % 10n === 0n) {
    m /= 10n;
    exp++;
  }
  // The exponent goes down to a multiple of 3, the mantissa takes the difference.
  const r = ((exp % 3) + 3) % 3;
  m *= 10n ** BigInt(r);
  exp -= r;
  if (f === 'DecimalExponent') return exp === 0 ? `${m}` : `${m}e${exp}`;
  return `${m}${DECIMAL_BY_EXPONENT.get(exp) ?? ''}`;
}

/**
 * The quantity as kube-apiserver writes it back, or undefined when it does not parse (the API
 * server would refuse it). A JSON number is read as its decimal text.
 */
export function quantityText(input: string | number): string | undefined {
  const str = typeof input === 'number' ? String(input) : input.trim();
  if (str === '0') return '0';
  const p = /^([+-]?)0*(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[-+]?\d*)$/.exec(str);
  if (!p) return undefined;
  const negative = p[1] === '-';
  const num = p[2] === '' ? '0' : p[2]!;
  const denom = p[3] ?? '';
  const suffix = p[4]!;
  let format: Format;
  let base: 10 | 2;
  let exponent: number;
  if (suffix in DECIMAL_SUFFIX) {
    [format, base, exponent] = ['DecimalSI', 10, DECIMAL_SUFFIX[suffix]!];
  } else if (suffix in BINARY_SUFFIX) {
    [format, base, exponent] = ['BinarySI', 2, BINARY_SUFFIX[suffix]!];
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    [format, base, exponent] = ['DecimalExponent', 10, Number(suffix.slice(1))];
  } else return undefined;

  const shifted = num + denom;
  const digits = BigInt(shifted);
  // ParseQuantity keeps the string it was given when it is already in a canonical shape (its
  // fast int64 path); MarshalJSON then writes that string as it is.
  const precision =
    base === 10
      ? 18 - shifted.length
      : exponent >= 0 && denom === ''
        ? 15 - num.length - Math.trunc((exponent * 3) / 10) - 1
        : -1;
  const scale = (base === 10 ? exponent : 0) - denom.length;
  if (precision >= 0 && scale >= -9) {
    const value = digits * (base === 2 ? 2n ** BigInt(exponent) : 1n);
    if (value <= INT64_MAX) {
      const kept =
        base === 2
          ? exponent % 10 === 0 && (digits & 7n) !== 0n
          : scale % 3 === 0 && !shifted.endsWith('000') && !shifted.startsWith('0');
      if (kept) return str;
    }
  }
  // The exact value, rounded up (away from zero) to a whole number of nano units.
  let nanos: bigint;
  if (base === 10) {
    const e = exponent - denom.length + 9;
    nanos = e >= 0 ? digits * 10n ** BigInt(e) : divAway(digits, 10n ** BigInt(-e));
  } else {
    nanos = divAway(digits * 2n ** BigInt(exponent) * NANO, 10n ** BigInt(denom.length));
  }
  // The largest binary quantity is the largest int64 (ParseQuantity's maxAllowed).
  if (format === 'BinarySI' && nanos > INT64_MAX * NANO) nanos = INT64_MAX * NANO;
  if (negative) nanos = -nanos;
  // A binary value between 0 and 1 is written in decimal.
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return canonical(nanos, format);
}
