// The credentials pipeline, the one every caller runs (the command, doctor, the module): pick the
// source, get its credentials, then chain the --assume hops, each sts:AssumeRole signed with the
// previous hop's credentials, all under one deadline. planChain resolves everything that needs
// no request (the source, where STS calls go) and checks that every flag given can apply;
// runChain makes the requests, telling an observer (doctor) about each step as it succeeds.

import type { Credentials } from "./credentials.ts";
import { type Deadline, startDeadline } from "./deadline.ts";
import { EpicacError, UsageError } from "./errors.ts";
import { ASSUME, SESSION_INPUTS } from "./inputs/chain.ts";
import type { Input } from "./inputs/input.ts";
import type { ChainOptions } from "./options.ts";
import { selectSource } from "./sources/select.ts";
import type { Source, SourceContext, SourceCredentials } from "./sources/source.ts";
import { loadSts } from "./sts/load.ts";
import { resolveStsTarget, type StsSettings, type StsTarget } from "./sts/settings.ts";

/** A chain ready to run: its options, its source, and (when it calls STS) where STS is. */
export interface Plan {
  options: ChainOptions;
  source: Source;
  sts?: StsTarget;
}

/** Told about each step of a run as it succeeds. */
export interface ChainObserver {
  source?(result: SourceCredentials): void;
  hop?(index: number, roleArn: string, credentials: Credentials): void;
}

export function planChain(options: ChainOptions): Plan {
  const source = selectSource(options.source, options.env);
  if (options.assume.length === 0) {
    const takes = (input: Input<unknown>) =>
      (source.sessionOptions as readonly (string | undefined)[]).includes(input.option);
    const idle = options.sessionGiven.filter((input) => !takes(input));
    if (idle.length > 0) {
      const name = (inputs: Input<unknown>[]) =>
        inputs.map((input) => options.caller.name(input)).join(", ");
      const apply = idle.length === 1 ? "applies" : "apply";
      const hops = `${options.caller.name(ASSUME)} hops`;
      throw new UsageError(
        source.kind === "container"
          ? `${
            name(idle)
          } ${apply} to ${hops}, and none is given: the container credentials come as the agent gives them`
          : `${name(idle)} ${apply} to ${hops} only: sts:AssumeRoleWithWebIdentity takes ${
            name(SESSION_INPUTS.filter(takes)).replace(/, ([^,]*)$/, " and $1")
          }`,
      );
    }
  }
  const callsSts = source.callsSts || options.assume.length > 0;
  return {
    options,
    source,
    sts: callsSts ? resolveStsTarget(options, options.env) : undefined,
  };
}

/** STS calls with this run's settings, loaded on first use. */
export async function stsFor(plan: Plan, deadline: Deadline) {
  const settings: StsSettings = {
    ...plan.sts!,
    timeoutMs: plan.options.timeoutMs,
    retries: plan.options.retry.retries,
    signal: deadline.signal,
  };
  return { calls: await loadSts(), settings };
}

/** A chain run under a deadline of its own (one refresh of the module's or serve's). */
export async function runChainWithin(plan: Plan): Promise<Credentials> {
  const deadline = startDeadline(plan.options.retry.deadlineMs);
  try {
    return await runChain(plan, deadline);
  } finally {
    deadline.cancel();
  }
}

export async function runChain(
  plan: Plan,
  deadline: Deadline,
  observer: ChainObserver = {},
): Promise<Credentials> {
  const { options } = plan;
  const context: SourceContext = {
    env: options.env,
    session: options.session,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    deadline,
    sts: () => stsFor(plan, deadline),
  };
  try {
    const first = await plan.source.getCredentials(context);
    observer.source?.(first);
    let { credentials, principal } = first;
    for (const [index, roleArn] of options.assume.entries()) {
      const { calls, settings } = await context.sts();
      credentials = await calls.assumeRole(
        settings,
        credentials,
        principal,
        roleArn,
        options.session,
      );
      observer.hop?.(index, roleArn, credentials);
      principal = `the session of ${roleArn}`;
    }
    return credentials;
  } catch (error) {
    if (deadline.signal.aborted && !(error instanceof EpicacError)) {
      throw new EpicacError(
        `no credentials within the overall deadline of ${deadline.ms / 1000}s`,
        "raise --deadline",
      );
    }
    throw error;
  }
}
