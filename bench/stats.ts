/** Order statistics for small samples (a handful of runs on a noisy machine). */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN, mean: Number.NaN };
  return {
    n: xs.length,
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}

/**
 * Median of the per-round ratios a[i]/b[i] over rounds where both ran. Because contenders are
 * interleaved, a round's two samples saw similar machine load; this is the noise-robust ratio.
 */
export function pairedRatio(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number {
  const rs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && y > 0) rs.push(x / y);
  }
  return median(rs);
}
