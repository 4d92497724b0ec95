// epicac doctor: find the set-up mistakes people hit with Pod Identity and cross-account access
// (no association, a pod older than its association, an unreadable token, a profile typo, a
// trust policy naming the wrong principal, a cache that cannot be used) and say how to fix
// each. Exit 0 only if all pass. Every check runs under the run's deadline, and a check that
// fails in an unexpected way is reported as failed: doctor never crashes on odd input.

import type { ChainOptions } from "../chain/resolve.ts";
import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import {
  type Check,
  checkCache,
  checkChain,
  checkConfig,
  checkEnvironment,
  checkSource,
  checkToken,
  failWith,
} from "./checks.ts";
import { formatJson, formatText } from "./report.ts";

export async function runDoctor(
  options: ChainOptions,
  json: boolean,
  deadline: Deadline,
): Promise<{ output: string; ok: boolean }> {
  const checks: Check[] = [];
  /** Run one step's checks, unless the deadline has passed; a throw becomes a failed check. */
  const step = async (name: string, run: () => Promise<Check | Check[]>) => {
    if (deadline.signal.aborted) {
      checks.push({
        name,
        status: "skip",
        detail: `not run: the overall deadline of ${deadline.ms / 1000}s passed`,
      });
      return;
    }
    try {
      checks.push(...[await run()].flat());
    } catch (error) {
      checks.push(failWith(name, error));
    }
  };

  await step("environment", () => Promise.resolve(checkEnvironment(options.env)));
  await step("token", () => checkToken(options.env));
  const [environment, token] = checks;
  // Each fault is reported once: asking the source for credentials would only repeat an
  // environment or token failure.
  const blocked = environment?.status === "fail" && !options.source
    ? "no credentials source is configured"
    : token?.status === "fail"
    ? "the token cannot be used (see above)"
    : undefined;
  let credentials: Credentials | undefined;
  await step("credentials", async () => {
    if (blocked) return { name: "credentials", status: "skip", detail: blocked };
    const source = await checkSource(options, deadline);
    credentials = source.credentials;
    return source.check;
  });
  await step("config", () => checkConfig(options.env));
  await step("cache", () => checkCache(options));
  await step("chain", () => checkChain(options, credentials, deadline));
  return {
    output: json ? formatJson(checks) : formatText(checks),
    ok: checks.every((c) => c.status !== "fail"),
  };
}
