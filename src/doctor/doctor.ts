// epicac doctor: find the set-up mistakes people hit with Pod Identity and cross-account access
// (no association, a pod older than its association, an unreadable token, a profile typo, a
// missing region, an epicac sidecar that is not there or not ready, a trust policy naming the wrong principal, a cache that cannot be used) and
// say how to fix each. The chain is run by the same pipeline as a run, which reports each step
// (the source, each hop) as it succeeds. Every check runs under the run's deadline, a fault is
// reported once, and a check that fails in an unexpected way is reported as failed: doctor
// never crashes on odd input. Exit 0 only if all pass.

import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import { UsageError } from "../errors.ts";
import type { ChainOptions } from "../options.ts";
import { type Plan, planChain, runChain, stsFor } from "../pipeline.ts";
import { selectSource, sourceOf } from "../sources/select.ts";
import type { Source } from "../sources/source.ts";
import { type Check, failWith, pass, skip } from "./check.ts";
import {
  checkCache,
  checkConfig,
  checkEnvironment,
  checkToken,
  describeCredentials,
} from "./checks.ts";
import { formatJson, formatText } from "./report.ts";
import { checkNodeEndpoint } from "./node-endpoint.ts";
import { checkServeEndpoint } from "./serve-endpoint.ts";

export async function runDoctor(
  options: ChainOptions,
  cache: { dir: string } | undefined,
  json: boolean,
  deadline: Deadline,
): Promise<{ output: string; ok: boolean }> {
  /** One step's checks, unless the deadline has passed; a throw becomes a failed check. */
  const step = async (name: string, run: () => Check | Check[] | Promise<Check | Check[]>) => {
    if (deadline.signal.aborted) {
      return [skip(name, `not run: the overall deadline of ${deadline.ms / 1000}s passed`)];
    }
    try {
      return [await run()].flat();
    } catch (error) {
      if (error instanceof UsageError) throw error; // the command line is wrong: exit 2
      return [failWith(name, error)];
    }
  };

  const source = chosenSource(options);
  const [environment] = await step("environment", () => checkEnvironment(options.env, source));
  // In an application container served by an epicac sidecar: the sidecar, before its answer.
  const sidecar = await step(
    "serve",
    () =>
      checkServeEndpoint(options.env, { timeoutMs: options.timeoutMs, signal: deadline.signal }),
  );
  const [token] = environment.status === "fail" || !source
    ? [skip("token", "no credentials source is configured")]
    : await step("token", () => checkToken(options.env, source));
  // Served by epicac node: what it answers this pod's token, and the fix for a refusal.
  const node = token.status === "fail" ? [] : await step(
    "node",
    () => checkNodeEndpoint(options.env, { timeoutMs: options.timeoutMs, signal: deadline.signal }),
  );
  // Each fault is reported once: asking the source for credentials would only repeat it.
  const blocked = environment.status === "fail"
    ? "no credentials source is configured"
    : token.status === "fail"
    ? "the token cannot be used (see above)"
    : node.some((c) => c.status === "fail")
    ? "epicac node refused this pod (see above)"
    : undefined;
  const chain = blocked || !source
    ? [skip("credentials", blocked ?? "no credentials source is configured")]
    : await step(source.checkName, () => checkChain(options, source, deadline));
  const config = await step("config", () => checkConfig(options.env));
  const cached = await step("cache", () => checkCache(cache));
  const [sourceCheck, ...hops] = chain;
  const checks = [
    environment,
    ...sidecar,
    token,
    ...node,
    sourceCheck,
    ...config,
    ...cached,
    ...hops,
  ];
  return {
    output: json ? formatJson(checks) : formatText(checks),
    ok: checks.every((c) => c.status !== "fail"),
  };
}

/** The source a run would use; undefined when none is set up (and none is asked for). */
function chosenSource(options: ChainOptions): Source | undefined {
  if (options.source) return sourceOf(options.source);
  try {
    return selectSource(undefined, options.env);
  } catch {
    return undefined;
  }
}

/**
 * The source's check, then with --assume one check per hop and sts:GetCallerIdentity of the
 * last: the pipeline reports each step as it succeeds, so the first step it did not report is
 * the one that failed.
 */
async function checkChain(
  options: ChainOptions,
  source: Source,
  deadline: Deadline,
): Promise<Check[]> {
  const checks: Check[] = [];
  let plan: Plan;
  try {
    plan = planChain(options);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The hops cannot run (no region, say); a source that needs no STS can still be asked.
    if (source.callsSts || options.assume.length === 0) return [failWith(source.checkName, error)];
    const alone = await checkChain(
      { ...options, assume: [], sessionGiven: [] },
      source,
      deadline,
    );
    return [alone[0], failWith("chain", error)];
  }
  let last: Credentials | undefined;
  try {
    last = await runChain(plan, deadline, {
      source: ({ credentials }) =>
        checks.push(
          pass(
            source.checkName,
            `${source.describe(options.env)} answered with credentials ${
              describeCredentials(credentials)
            }`,
          ),
        ),
      hop: (index, roleArn, credentials) =>
        checks.push(
          pass(
            `hop ${index + 1}`,
            `assumed ${roleArn}: credentials ${describeCredentials(credentials)}`,
          ),
        ),
    });
  } catch (error) {
    const failed = checks.length === 0 ? source.checkName : `hop ${checks.length}`;
    checks.push(failWith(failed, error));
    return checks;
  }
  if (options.assume.length === 0) {
    checks.push(skip("chain", "no --assume hops given"));
    return checks;
  }
  try {
    const { calls, settings } = await stsFor(plan, deadline);
    const identity = await calls.getCallerIdentity(settings, last);
    checks.push(pass("identity", `sts:GetCallerIdentity: ${identity.arn}`));
  } catch (error) {
    checks.push(failWith("identity", error));
  }
  return checks;
}
