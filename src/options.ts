// What a chain run is given, built in one place for every caller (the command line, serve's
// routes, the module) from values already read and checked through their declarations
// (inputs/chain.ts): defaults are the declarations', and only the rules that tie inputs together
// are checked here. Messages name inputs as the caller wrote them.

import type { Env } from "./env.ts";
import {
  type CHAIN_INPUTS,
  CHAINED_MAX_DURATION,
  DURATION,
  REFRESH_BEFORE,
  SESSION_INPUTS,
} from "./inputs/chain.ts";
import { type Caller, type Input, refuse, type Values } from "./inputs/input.ts";
import { BACKOFF, type RetryPolicy } from "./http/retry.ts";
import type { SourceKind } from "./sources/kinds.ts";
import { defaultSessionName, type SessionOptions } from "./sts/session.ts";

export type ChainValues = Values<typeof CHAIN_INPUTS>;

/** Everything the pipeline needs to run a chain. */
export interface ChainOptions {
  env: Env;
  /** Who gave the values: later messages (planChain's) name inputs as it wrote them. */
  caller: Caller;
  /** undefined picks the first configured source. */
  source?: SourceKind;
  /** Role ARNs, in order. */
  assume: string[];
  session: SessionOptions;
  /** The session inputs given (not defaulted): the pipeline checks that they can apply. */
  sessionGiven: Input<unknown>[];
  /** The region and STS endpoint as given; resolved with the environment by the pipeline. */
  region?: string;
  stsEndpoint?: string;
  /** Per-attempt timeout, for the source's endpoint and for STS. */
  timeoutMs: number;
  /** Retries and backoff; retry.deadlineMs is the whole run's deadline. */
  retry: RetryPolicy;
}

export function chainOptions(values: ChainValues, env: Env, caller: Caller): ChainOptions {
  const assume = values.assume ?? [];
  const duration = values.durationSeconds;
  if (duration !== undefined && assume.length > 0 && duration > CHAINED_MAX_DURATION) {
    throw refuse(
      DURATION,
      caller,
      `${duration} is over ${CHAINED_MAX_DURATION}: AWS caps a chained role session (AssumeRole with role credentials) at one hour`,
    );
  }
  const given = values.sessionName;
  let fromHostname: string | undefined;
  return {
    env,
    caller,
    source: values.source,
    assume,
    session: {
      // The hostname is looked up when a session name is first read: node:os costs start-up
      // that a run making no STS call does not need.
      get sessionName() {
        return given ?? (fromHostname ??= defaultSessionName());
      },
      externalId: values.externalId,
      durationSeconds: duration,
      sourceIdentity: values.sourceIdentity,
      tags: values.tags ?? [],
    },
    sessionGiven: SESSION_INPUTS.filter((input) => {
      const value = values[input.option as keyof ChainValues];
      return value !== undefined && !(Array.isArray(value) && value.length === 0);
    }),
    region: values.region,
    stsEndpoint: values.stsEndpoint,
    timeoutMs: values.timeoutMs,
    retry: { ...BACKOFF, retries: values.retries, deadlineMs: values.deadlineMs },
  };
}

/** Shortest time between two refreshes, whatever the credentials' life. */
export const MIN_REFRESH_INTERVAL_MS = 30_000;

/**
 * Refuse a refresh window that leaves a session of this chain no room above it (less than
 * MIN_REFRESH_INTERVAL_MS): its credentials would be due for refresh as soon as they arrive
 * (`consequence` says what that means to the caller).
 */
export function checkRefreshWindow(
  options: ChainOptions,
  refreshBeforeMs: number,
  consequence: string,
): void {
  const duration = options.session.durationSeconds;
  if (duration === undefined || duration * 1000 >= refreshBeforeMs + MIN_REFRESH_INTERVAL_MS) {
    return;
  }
  const { caller } = options;
  const window = REFRESH_BEFORE.shown!(refreshBeforeMs, caller);
  throw refuse(
    DURATION,
    caller,
    `${duration} leaves less than ${MIN_REFRESH_INTERVAL_MS / 1000}s above ${
      caller.name(REFRESH_BEFORE)
    } ${window}: ${consequence}`,
  );
}
