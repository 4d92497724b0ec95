// scripts/bench/stats.ts: min, median, nearest-rank p95 and max on inputs worked out by hand.

import { test } from "node:test";
import assert from "node:assert/strict";
import { median, percentile, summarize } from "../../scripts/bench/stats.ts";

test("stats: an odd count's median is the middle sample, whatever the input order", () => {
  assert.equal(median([9, 1, 5]), 5);
  assert.deepEqual(summarize([30, 10, 20, 50, 40]), {
    count: 5,
    min: 10,
    median: 30,
    p95: 50,
    max: 50,
  });
});

test("stats: an even count's median is the mean of the two middle samples", () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([10, 20]), 15);
});

test("stats: p95 is nearest-rank, always a measured sample", () => {
  // 1..20: rank ceil(0.95 × 20) = 19.
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(percentile(twenty, 95), 19);
  // 1..30 (the default run count): rank ceil(28.5) = 29.
  const thirty = Array.from({ length: 30 }, (_, i) => 30 - i);
  assert.equal(percentile(thirty, 95), 29);
  assert.equal(percentile(thirty, 50), 15);
  assert.equal(percentile(thirty, 100), 30);
  // Three runs (the short run in make test): p95 is the slowest.
  assert.equal(percentile([2, 3, 1], 95), 3);
});

test("stats: one sample is its own min, median, p95 and max", () => {
  assert.deepEqual(summarize([7.25]), { count: 1, min: 7.25, median: 7.25, p95: 7.25, max: 7.25 });
});

test("stats: the input is not reordered", () => {
  const samples = [3, 1, 2];
  summarize(samples);
  assert.deepEqual(samples, [3, 1, 2]);
});

test("stats: no samples, or a non-finite one, is an error rather than NaN", () => {
  assert.throws(() => summarize([]), RangeError);
  assert.throws(() => median([1, Number.NaN]), RangeError);
  assert.throws(() => percentile([1, 2], 0), RangeError);
  assert.throws(() => percentile([1, 2], 101), RangeError);
});
