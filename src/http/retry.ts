// Bounded retries with exponential backoff and full jitter, under an overall deadline, so that a
// slow or hung endpoint can never hang the SDK that ran epicac. Only errors marked retryable
// (connection failures, timeouts, 429, 5xx; see errors.ts) are tried again.

import { type Deadline, sleep, startDeadline } from "../deadline.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Upper bound of the first backoff; it doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The whole run, attempts and backoff together, ends by then (see deadline.ts). */
  deadlineMs: number;
}

/** The backoff between a run's attempts: 100 ms doubling, at most 1 s. */
export const BACKOFF = { baseDelayMs: 100, maxDelayMs: 1000 } as const;

/**
 * Full-jitter backoff before attempt `failures` + 1: a random wait up to `baseMs` doubled per
 * failure so far, at most `maxMs`. Spreads the retries of many clients that failed together.
 */
export function fullJitter(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return random() * Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

/** The last attempt's error, with how many attempts were made. */
export class RetriesExhaustedError extends EpicacError {
  override name = "RetriesExhaustedError";
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

export interface RetryOptions {
  /** The run's overall deadline; by default one of policy.deadlineMs. */
  deadline?: Deadline;
  /** The jitter draw, in [0, 1). */
  random?: () => number;
  /** How a backoff is waited out (tests record it instead of waiting). */
  sleep?: (ms: number, deadline: Deadline) => Promise<void>;
}

/** Attempts until one succeeds, is not worth repeating, or the retries or deadline run out. */
export async function withRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions = {},
): Promise<T> {
  const { random = Math.random, sleep: wait = sleep } = options;
  const own = options.deadline ? undefined : startDeadline(policy.deadlineMs);
  const deadline = (options.deadline ?? own)!;
  try {
    for (let n = 1;; n++) {
      try {
        return await attempt(deadline.signal);
      } catch (error) {
        if (!(error instanceof EpicacError) || !error.retryable) throw error;
        if (n > policy.retries) throw new RetriesExhaustedError(error, n, "gave up");
        const delay = fullJitter(n, policy.baseDelayMs, policy.maxDelayMs, random);
        if (deadline.signal.aborted || delay >= deadline.remainingMs()) {
          throw new RetriesExhaustedError(
            error,
            n,
            `overall deadline of ${deadline.ms / 1000}s reached`,
          );
        }
        debug(`attempt ${n} failed (${error.message}); retrying in ${delay.toFixed(0)}ms`);
        await wait(delay, deadline);
      }
    }
  } finally {
    own?.cancel();
  }
}
