// Summary statistics of one candidate's wall times (or any samples): min, median, p95, max.

export interface Summary {
  count: number;
  min: number;
  median: number;
  /** Nearest-rank: the smallest sample with at least 95% of the samples at or below it. */
  p95: number;
  max: number;
}

/** The sorted copy of the samples; rejects empty input and non-finite values. */
function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError("no samples to summarize");
  if (samples.some((value) => !Number.isFinite(value))) {
    throw new RangeError("samples must be finite numbers");
  }
  return [...samples].sort((a, b) => a - b);
}

/** The median: the middle sample, or the mean of the two middle ones for an even count. */
export function median(samples: readonly number[]): number {
  const values = sorted(samples);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

/**
 * The nearest-rank percentile (0 < p <= 100): always one of the samples, so a p95 is a time
 * that was really measured, never an interpolation between two runs.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const values = sorted(samples);
  const rank = Math.ceil((p / 100) * values.length);
  return values[rank - 1];
}

export function summarize(samples: readonly number[]): Summary {
  const values = sorted(samples);
  return {
    count: values.length,
    min: values[0],
    median: median(values),
    p95: percentile(values, 95),
    max: values[values.length - 1],
  };
}
