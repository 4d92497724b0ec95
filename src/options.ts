// What a chain run is given, built in one place for every caller: the command line (flags, in
// seconds) and the module (options, in milliseconds). Every default and every limit is defined
// here once; the callers differ only in how they name an input in messages.

import { checkRoleArn } from "./arn.ts";
import type { Env } from "./env.ts";
import { UsageError } from "./errors.ts";
import type { RetryPolicy } from "./http/retry.ts";
import { type SourceKind, SOURCES } from "./sources/source.ts";
import { checkEndpoint } from "./sts/endpoint.ts";
import { parseSessionOptions, type RawSessionFlags, type SessionOptions } from "./sts/session.ts";
import { checkRegion } from "./sts/settings.ts";

/** Every default, in milliseconds where it is a time. */
export const DEFAULTS = {
  timeoutMs: 1000,
  retries: 3,
  deadlineMs: 5000,
  // Covers every AWS SDK's own refresh window (botocore and .NET refresh 15 minutes before
  // expiry): credentials served with less left would make those SDKs ask again on every call.
  refreshBeforeMs: 15 * 60_000,
} as const;

export type Limited = keyof typeof DEFAULTS;

/** The range each number may take. */
export const LIMITS: Record<Limited, { min: number; max: number }> = {
  timeoutMs: { min: 50, max: 60_000 },
  retries: { min: 0, max: 10 },
  deadlineMs: { min: 100, max: 120_000 },
  refreshBeforeMs: { min: 0, max: 43_200_000 },
};

/** Full-jitter backoff between retries: 100 ms doubling, at most 1 s. */
const BACKOFF = { baseDelayMs: 100, maxDelayMs: 1000 };

/** Everything the pipeline needs to run a chain. */
export interface ChainOptions {
  env: Env;
  /** --source; undefined picks the first configured source. */
  source?: SourceKind;
  /** --assume role ARNs, in order. */
  assume: string[];
  session: SessionOptions;
  /** The session flags given (not defaulted): the pipeline checks that they can apply. */
  sessionFlagsGiven: (keyof RawSessionFlags)[];
  /** --region and --sts-endpoint as given; resolved with the environment by the pipeline. */
  region?: string;
  stsEndpoint?: string;
  /** Per-attempt timeout, for the source's endpoint and for STS. */
  timeoutMs: number;
  /** Retries and backoff; retry.deadlineMs is the whole run's deadline. */
  retry: RetryPolicy;
}

/** What a caller gives; anything left out takes its default. Times in milliseconds. */
export interface ChainInput {
  env: Env;
  source?: string;
  assume?: string[];
  session?: RawSessionFlags;
  region?: string;
  stsEndpoint?: string;
  timeoutMs?: number;
  retries?: number;
  deadlineMs?: number;
}

/** How a caller names its inputs in messages: "--timeout" (in seconds) or "timeoutMs". */
export interface InputNames {
  seconds: boolean;
  name(input: Limited | "source" | "assume" | "region" | "stsEndpoint"): string;
}

export function buildChainOptions(input: ChainInput, names: InputNames): ChainOptions {
  if (input.source !== undefined && !(SOURCES as readonly string[]).includes(input.source)) {
    throw new UsageError(
      `${names.name("source")} must be one of ${SOURCES.join(", ")}, not '${input.source}'`,
    );
  }
  const assume = (input.assume ?? []).map((arn) => checkRoleArn(arn, names.name("assume")).arn);
  const sessionFlags = input.session ?? {};
  if (input.stsEndpoint !== undefined) checkEndpoint(input.stsEndpoint, names.name("stsEndpoint"));
  if (input.region !== undefined) checkRegion(input.region, names.name("region"));
  return {
    env: input.env,
    source: input.source as SourceKind | undefined,
    assume,
    session: parseSessionOptions(sessionFlags, assume.length > 0),
    sessionFlagsGiven: (Object.keys(sessionFlags) as (keyof RawSessionFlags)[]).filter((flag) =>
      sessionFlags[flag] !== undefined && !(flag === "tags" && sessionFlags.tags?.length === 0)
    ),
    region: input.region,
    stsEndpoint: input.stsEndpoint,
    timeoutMs: limited("timeoutMs", input.timeoutMs, names),
    retry: {
      ...BACKOFF,
      retries: limited("retries", input.retries, names),
      deadlineMs: limited("deadlineMs", input.deadlineMs, names),
    },
  };
}

export function withinLimits(input: Limited, value: number): boolean {
  const { min, max } = LIMITS[input];
  return Number.isFinite(value) && value >= min && value <= max;
}

/** `value` (or the default) within its limits, or a usage error naming the input. */
export function limited(input: Limited, value: number | undefined, names: InputNames): number {
  const chosen = value ?? DEFAULTS[input];
  if (withinLimits(input, chosen)) return chosen;
  throw new UsageError(outOfRange(input, names, String(names.seconds ? chosen / 1000 : chosen)));
}

/** The message for a value outside an input's limits (or not a number), quoting `text`. */
export function outOfRange(input: Limited, names: InputNames, text: string): string {
  const { min, max } = LIMITS[input];
  if (input === "retries") {
    return `${names.name(input)} takes a whole number from ${min} to ${max}, not '${text}'`;
  }
  return names.seconds
    ? `${names.name(input)} takes a number of seconds from ${min / 1000} to ${
      max / 1000
    }, not '${text}'`
    : `${names.name(input)} takes a number of milliseconds from ${min} to ${max}, not '${text}'`;
}

/**
 * Refuse a refresh window that no session of this chain outlasts: its credentials would be due
 * for refresh as soon as they arrive (`consequence` says what that means to the caller).
 */
export function checkRefreshWindow(
  options: ChainOptions,
  refreshBeforeMs: number,
  names: { duration: string; refreshBefore: string; seconds: boolean },
  consequence: string,
): void {
  const duration = options.session.durationSeconds;
  if (duration === undefined || duration * 1000 > refreshBeforeMs) return;
  const window = names.seconds ? refreshBeforeMs / 1000 : refreshBeforeMs;
  throw new UsageError(
    `${names.duration} ${duration} is not longer than ${names.refreshBefore} ${window}: ${consequence}`,
  );
}
