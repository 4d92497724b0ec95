// epicac doctor: find the set-up mistakes people hit with Pod Identity and cross-account access
// (no association, a pod older than its association, an unreadable token, a profile typo, a
// trust policy naming the wrong principal) and say how to fix each. Exit 0 only if all pass.

import type { ChainOptions } from "../chain/resolve.ts";
import {
  type Check,
  checkChain,
  checkConfig,
  checkEnvironment,
  checkSource,
  checkToken,
} from "./checks.ts";
import { formatJson, formatText } from "./report.ts";

export async function runDoctor(
  options: ChainOptions,
  json: boolean,
): Promise<{ output: string; ok: boolean }> {
  const environment = checkEnvironment(options.env);
  const token = await checkToken(options.env);
  // Each fault is reported once: asking the source for credentials would only repeat an
  // environment or token failure.
  const blocked = environment.status === "fail" && !options.source
    ? "no credentials source is configured"
    : token.status === "fail"
    ? "the token cannot be used (see above)"
    : undefined;
  const source = blocked
    ? {
      check: { name: "credentials", status: "skip", detail: blocked } as Check,
      credentials: undefined,
    }
    : await checkSource(options);
  const checks = [
    environment,
    token,
    source.check,
    await checkConfig(options.env),
    ...await checkChain(options, source.credentials),
  ];
  return {
    output: json ? formatJson(checks) : formatText(checks),
    ok: checks.every((c) => c.status !== "fail"),
  };
}
