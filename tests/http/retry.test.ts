// src/http/retry.ts: only retryable EpicacErrors are tried again, a bounded number of times,
// with full-jitter exponential backoff, and never past the overall deadline.

import { test } from "node:test";
import assert from "node:assert/strict";
import { RetriesExhaustedError, type RetryPolicy, withRetries } from "../../src/http/retry.ts";
import {
  ConnectionError,
  EpicacError,
  HttpStatusError,
  TimeoutError,
  UsageError,
} from "../../src/errors.ts";

const NO_WAIT = () => 0;
const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  retries: 3,
  baseDelayMs: 10,
  maxDelayMs: 100,
  deadlineMs: 5000,
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected withRetries to fail");
}

test("a first attempt that succeeds is returned without drawing a backoff", async () => {
  let attempts = 0;
  let draws = 0;
  const result = await withRetries(
    () => {
      attempts++;
      return Promise.resolve("credentials");
    },
    policy(),
    {
      random: () => {
        draws++;
        return 0;
      },
    },
  );
  assert.equal(result, "credentials");
  assert.equal(attempts, 1);
  assert.equal(draws, 0);
});

test("retryable errors are retried until an attempt succeeds", async () => {
  let attempts = 0;
  const result = await withRetries(
    () => {
      attempts++;
      if (attempts === 1) return Promise.reject(new ConnectionError("refused", "h"));
      if (attempts === 2) return Promise.reject(new HttpStatusError(503, "HTTP 503", "h"));
      return Promise.resolve(attempts);
    },
    policy(),
    { random: NO_WAIT },
  );
  assert.equal(result, 3);
});

test("at most retries + 1 attempts are made, then RetriesExhaustedError reports the last error", async () => {
  let attempts = 0;
  const thrown: EpicacError[] = [];
  const error = await rejection(withRetries(
    () => {
      attempts++;
      const e = new TimeoutError(`no answer on attempt ${attempts}`, "raise --timeout");
      thrown.push(e);
      return Promise.reject(e);
    },
    policy({ retries: 2 }),
    { random: NO_WAIT },
  ));
  assert.equal(attempts, 3);
  assert.ok(error instanceof RetriesExhaustedError);
  assert.ok(error instanceof EpicacError);
  assert.equal(error.message, "no answer on attempt 3; gave up after 3 attempts");
  assert.equal(error.hint, "raise --timeout");
  assert.equal(error.lastError, thrown[2]);
  assert.equal(error.cause, thrown[2]);
  assert.equal(error.retryable, false, "an exhausted retry must not be retried again");
});

test("retries: 0 makes exactly one attempt and says '1 attempt'", async () => {
  let attempts = 0;
  const error = await rejection(withRetries(
    () => {
      attempts++;
      return Promise.reject(new ConnectionError("connection refused", "check the agent"));
    },
    policy({ retries: 0 }),
    { random: NO_WAIT },
  ));
  assert.equal(attempts, 1);
  assert.ok(error instanceof RetriesExhaustedError);
  assert.equal(error.message, "connection refused; gave up after 1 attempt");
});

test("a non-retryable EpicacError is thrown as it is, after one attempt", async () => {
  for (
    const original of [
      new HttpStatusError(403, "HTTP 403", "check the association"),
      new HttpStatusError(404, "HTTP 404", "check the path"),
      new EpicacError("not JSON", "check the URI"),
      new UsageError("bad"),
    ]
  ) {
    let attempts = 0;
    const error = await rejection(withRetries(
      () => {
        attempts++;
        return Promise.reject(original);
      },
      policy(),
      { random: NO_WAIT },
    ));
    assert.equal(error, original);
    assert.equal(attempts, 1, original.message);
  }
});

test("an error that is not an EpicacError is never retried and is thrown as it is", async () => {
  const bug = new TypeError("undefined is not a function");
  let attempts = 0;
  const error = await rejection(withRetries(
    () => {
      attempts++;
      return Promise.reject(bug);
    },
    policy(),
    { random: NO_WAIT },
  ));
  assert.equal(error, bug);
  assert.equal(attempts, 1);
});

test("HTTP 429 and 5xx are retried", async () => {
  for (const status of [429, 500, 502, 503]) {
    let attempts = 0;
    const error = await rejection(withRetries(
      () => {
        attempts++;
        return Promise.reject(new HttpStatusError(status, `HTTP ${status}`, "h"));
      },
      policy({ retries: 1 }),
      { random: NO_WAIT },
    ));
    assert.equal(attempts, 2, `HTTP ${status}`);
    assert.ok(error instanceof RetriesExhaustedError);
  }
});

test("one backoff is drawn per retry, none after the last attempt", async () => {
  let draws = 0;
  await rejection(withRetries(
    () => Promise.reject(new ConnectionError("refused", "h")),
    policy({ retries: 4 }),
    {
      random: () => {
        draws++;
        return 0;
      },
    },
  ));
  assert.equal(draws, 4);
});

/** A sleep that records each backoff asked for and returns at once: delays without timing. */
function recordingSleep() {
  const delays: number[] = [];
  const sleep = (ms: number) => {
    delays.push(ms);
    return Promise.resolve();
  };
  return { delays, sleep };
}

test("full jitter: a draw of 0 retries at once, however large the base delay", async () => {
  let attempts = 0;
  const { delays, sleep } = recordingSleep();
  await rejection(withRetries(
    () => {
      attempts++;
      return Promise.reject(new ConnectionError("refused", "h"));
    },
    policy({ retries: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, deadlineMs: 60_000 }),
    { random: NO_WAIT, sleep },
  ));
  assert.equal(attempts, 6);
  assert.deepEqual(delays, [0, 0, 0, 0, 0]);
});

test("backoff is random × base × 2^(n-1), capped at maxDelayMs", async () => {
  // random 1 gives the full bound: 40, then 60 and 60 (the cap) rather than 80 and 160.
  const { delays, sleep } = recordingSleep();
  await rejection(withRetries(
    () => Promise.reject(new ConnectionError("refused", "h")),
    policy({ retries: 3, baseDelayMs: 40, maxDelayMs: 60 }),
    { random: () => 1, sleep },
  ));
  assert.deepEqual(delays, [40, 60, 60]);
});

test("a backoff is scaled by the random draw", async () => {
  const { delays, sleep } = recordingSleep();
  await rejection(withRetries(
    () => Promise.reject(new ConnectionError("refused", "h")),
    policy({ retries: 2, baseDelayMs: 400, maxDelayMs: 1000 }),
    { random: () => 0.25, sleep },
  ));
  assert.deepEqual(delays, [100, 200], "0.25 × 400, then 0.25 × 800");
});

test("the default sleep really waits out the backoff", async () => {
  const times: number[] = [];
  await rejection(withRetries(
    () => {
      times.push(performance.now());
      return Promise.reject(new ConnectionError("refused", "h"));
    },
    policy({ retries: 1, baseDelayMs: 200, maxDelayMs: 200 }),
    { random: () => 1 },
  ));
  // A timer never fires early (allow the clocks' rounding); lateness is load, not a bug.
  assert.ok(times[1] - times[0] >= 195, `retried after ${(times[1] - times[0]).toFixed(0)} ms`);
});

test("no backoff is started that would end after the deadline", async () => {
  // Drawn delay 500 ms against a 300 ms deadline: give up at once instead of sleeping.
  let attempts = 0;
  const { delays, sleep } = recordingSleep();
  const error = await rejection(withRetries(
    () => {
      attempts++;
      return Promise.reject(new ConnectionError("connection refused", "check the agent"));
    },
    policy({ retries: 5, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 300 }),
    { random: () => 0.5, sleep },
  ));
  assert.equal(attempts, 1);
  assert.deepEqual(delays, [], "slept although the deadline would pass");
  assert.ok(error instanceof RetriesExhaustedError);
  assert.equal(
    error.message,
    "connection refused; overall deadline of 0.3s reached after 1 attempt",
  );
  assert.equal(error.hint, "check the agent");
});

test("a backoff that fits before the deadline is taken", async () => {
  // Drawn delay 100 ms against a 300 ms deadline: retry.
  let attempts = 0;
  const result = await withRetries(
    () => {
      attempts++;
      if (attempts === 1) return Promise.reject(new ConnectionError("refused", "h"));
      return Promise.resolve("second");
    },
    policy({ retries: 5, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 300 }),
    { random: () => 0.1 },
  );
  assert.equal(result, "second");
  assert.equal(attempts, 2);
});

test("the deadline aborts the attempt's signal and stops retrying", async () => {
  let attempts = 0;
  let seen: AbortSignal | undefined;
  const started = performance.now();
  const error = await rejection(withRetries(
    (signal) => {
      attempts++;
      seen = signal;
      // A hung endpoint: the attempt only ends when the signal aborts it.
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(new TimeoutError("no answer", "h")));
      });
    },
    policy({ retries: 10, deadlineMs: 150 }),
    { random: NO_WAIT },
  ));
  const ms = performance.now() - started;
  assert.equal(attempts, 1);
  assert.equal(seen?.aborted, true);
  // Not before the deadline; after it only by what machine load adds.
  assert.ok(ms >= 140 && ms < 150 + 5000, `took ${ms.toFixed(0)} ms`);
  assert.ok(error instanceof RetriesExhaustedError);
  assert.equal(error.message, "no answer; overall deadline of 0.15s reached after 1 attempt");
});

test("attempts share one signal that stays unaborted while within the deadline", async () => {
  const signals: AbortSignal[] = [];
  await withRetries(
    (signal) => {
      signals.push(signal);
      assert.equal(signal.aborted, false);
      if (signals.length < 3) return Promise.reject(new ConnectionError("refused", "h"));
      return Promise.resolve();
    },
    policy(),
    { random: NO_WAIT },
  );
  assert.equal(signals.length, 3);
  assert.equal(signals[0], signals[2]);
});

test("RetriesExhaustedError words one and several attempts", () => {
  const last = new ConnectionError("refused", "check it");
  assert.equal(
    new RetriesExhaustedError(last, 1, "gave up").message,
    "refused; gave up after 1 attempt",
  );
  assert.equal(
    new RetriesExhaustedError(last, 4, "gave up").message,
    "refused; gave up after 4 attempts",
  );
  assert.equal(new RetriesExhaustedError(last, 4, "gave up").hint, "check it");
});
