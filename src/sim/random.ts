/**
 * One seeded pseudo-random source for a whole simulation, so that a run replays exactly from its
 * seed: the memory cluster's name suffixes, kubelet delays and controller jitter all draw from it.
 */

/** A deterministic random source. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * mulberry32: tiny, fast and good enough for simulation (not for cryptography). The same seed
 * always yields the same sequence.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** A distribution of durations in ms, as a scenario's kubelet section describes them. */
export type Distribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stddevMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number };

/** Draws one sample (never negative) from the distribution. */
export function sample(d: Distribution, rng: Random): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + rng.next() * (d.maxMs - d.minMs);
    case 'normal': {
      // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
      const u = 1 - rng.next();
      const v = rng.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, d.meanMs + z * d.stddevMs);
    }
    case 'exponential':
      return -Math.log(1 - rng.next()) * d.meanMs;
  }
}
