/**
 * resource.Quantity parsing as apimachinery's ParseQuantity reads it ("100m", "64Mi", "1.5",
 * "1e3"), with its error texts, for the decoder check and for comparing requests with limits.
 */

/** The regular expression kube-apiserver names when a quantity does not parse. */
export const QUANTITY_FORMAT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const formatRe = new RegExp(QUANTITY_FORMAT);
const numericRe = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const exponentRe = /^[eE][-+]?\d+$/;

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A parsed quantity (its value as a float, enough to compare two) or why it does not parse. */
export type ParsedQuantity = { readonly value: number } | { readonly error: string };

/** Parses a quantity written as a string or a JSON number, as the Go decoder does. */
export function parseQuantity(input: string | number): ParsedQuantity {
  if (typeof input !== 'string' && typeof input !== 'number')
    return { error: 'must be a quantity such as "100m" or "64Mi"' };
  const s = typeof input === 'number' ? String(input) : input.trim();
  if (s === '' || !formatRe.test(s)) {
    return { error: `quantities must match the regular expression '${QUANTITY_FORMAT}'` };
  }
  const m = /^([+-]?[0-9.]+)(.*)$/.exec(s)!;
  const num = m[1]!;
  const suffix = m[2]!;
  if (!numericRe.test(num)) return { error: 'unable to parse numeric part of quantity' };
  let scale: number;
  if (Object.hasOwn(SUFFIX, suffix)) scale = SUFFIX[suffix]!;
  else if (exponentRe.test(suffix)) scale = 10 ** Number(suffix.slice(1));
  else return { error: "unable to parse quantity's suffix" };
  return { value: Number(num) * scale };
}
