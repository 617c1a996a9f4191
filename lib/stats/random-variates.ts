import type { Prng } from './prng.ts';

/**
 * Random variates for the bootstrap over one splitmix32 stream: 53-bit uniforms, standard normals,
 * gamma and beta variates and exact binomials. `lib/stats/resample-statistic.ts` draws a
 * resample's statistic from them without building the resample.
 */

/** Random variates over one splitmix32 stream. */
export class Draws {
  private spare: number | null = null;

  constructor(private readonly prng: Prng) {}

  /** Uniform on (0, 1) with 53 random bits; never 0 or 1. */
  uniform(): number {
    const hi = this.prng.next() >>> 5;
    const lo = this.prng.next() >>> 6;
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  /** Uniform integer in 0 .. n - 1 (n <= 2^21). */
  below(n: number): number {
    return this.prng.below(n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** Gamma(a, 1) for a >= 1 (Marsaglia and Tsang, 2000). */
  gamma(a: number): number {
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) for a, b >= 1. */
  beta(a: number, b: number): number {
    if (a === 1) return this.betaOneB(b);
    if (b === 1) return this.betaAOne(a);
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }

  /** Beta(1, b): the smallest of b uniforms, 1 - U^(1/b). */
  betaOneB(b: number): number {
    return -Math.expm1(Math.log(this.uniform()) / b);
  }

  /** Beta(a, 1): the largest of a uniforms, U^(1/a). */
  betaAOne(a: number): number {
    return Math.exp(Math.log(this.uniform()) / a);
  }

  /**
   * Binomial(n, p), exact (Knuth, TAOCP 3.4.1): the k-th smallest of n uniforms U(k) ~ Beta(k,
   * n+1-k) splits the count: if U(k) <= p, k successes plus Binomial(n-k, (p-U(k))/(1-U(k))) among
   * the larger ones, else Binomial(k-1, p/U(k)) among the smaller; Bernoulli trials below 32.
   */
  binomial(n: number, p: number): number {
    let acc = 0;
    for (;;) {
      if (p <= 0 || n === 0) return acc;
      if (p >= 1) return acc + n;
      if (n <= 32) {
        for (let i = 0; i < n; i++) if (this.uniform() < p) acc++;
        return acc;
      }
      const k = (n >> 1) + 1;
      const u = this.beta(k, n + 1 - k);
      if (u <= p) {
        acc += k;
        p = (p - u) / (1 - u);
        n -= k;
      } else {
        p /= u;
        n = k - 1;
      }
    }
  }
}
