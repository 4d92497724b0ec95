// Bounded retries with exponential backoff and full jitter, under an overall deadline, so that a
// slow or hung endpoint can never hang the SDK that ran epicac. Only errors marked retryable
// (connection failures, timeouts, 429, 5xx; see errors.ts) are tried again.

import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Upper bound of the first backoff; it doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The whole operation, attempts and backoff together, ends by then. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  deadlineMs: 5000,
};

/** The last attempt's error, with how many attempts were made. */
export class RetriesExhaustedError extends EpicacError {
  readonly lastError: EpicacError;
  constructor(lastError: EpicacError, attempts: number, why: string) {
    super(
      `${lastError.message}; ${why} after ${attempts} attempt${attempts === 1 ? "" : "s"}`,
      lastError.hint,
      {
        cause: lastError,
      },
    );
    this.lastError = lastError;
  }
}

export async function withRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Promise<T> {
  const deadline = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() => deadline.abort(), policy.deadlineMs);
  try {
    for (let n = 1;; n++) {
      try {
        return await attempt(deadline.signal);
      } catch (error) {
        if (!(error instanceof EpicacError) || !error.retryable) throw error;
        if (n > policy.retries) throw new RetriesExhaustedError(error, n, "gave up");
        const delay = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
        const left = policy.deadlineMs - (Date.now() - started);
        if (deadline.signal.aborted || delay >= left) {
          throw new RetriesExhaustedError(
            error,
            n,
            `overall deadline of ${policy.deadlineMs / 1000}s reached`,
          );
        }
        debug(`attempt ${n} failed (${error.message}); retrying in ${delay.toFixed(0)}ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
