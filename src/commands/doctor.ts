// epicac doctor: check this pod's set-up and say how to fix what is wrong. Its flags (the
// credentials command's, plus --json), its --help, its run; the checks are in src/doctor/.

import type { Env } from "../env.ts";
import { EXIT_FAILURE, EXIT_OK } from "../errors.ts";
import { CHAIN_FLAGS, chainCommand, parseFlags } from "../cli/flags.ts";
import { startRun } from "../cli/run.ts";
import { runDoctor } from "../doctor/doctor.ts";
import type { CommandResult } from "./command.ts";

const FLAGS = { ...CHAIN_FLAGS, json: { type: "boolean", default: false } } as const;

export const HELP = `epicac doctor: check this pod's set-up and say how to fix what is wrong

Usage:
  epicac doctor [--json] [--assume ROLE_ARN]... [the credentials command's flags]

Checks, one line each, marked [pass], [FAIL] (with the fix) or [skip]:
  environment  the variables EKS Pod Identity, ECS or IRSA set
  token        the token file: exists, readable, not empty; a JWT's subject, audience and
               expiry (decoded without verification; the token itself is never shown)
  agent        the credentials endpoint answers with credentials (account and expiry shown,
               never the keys); "web identity" for IRSA: sts:AssumeRoleWithWebIdentity;
               "credentials" (skipped) when the environment or token check failed
  config       when AWS_CONFIG_FILE, AWS_PROFILE or AWS_DEFAULT_PROFILE is set: the files parse
               as the SDKs parse them, the profile exists, its credential_process /
               source_profile / credential_source chain reaches credentials, and the SDK has a
               region when it assumes a role (botocore and the JavaScript SDK both checked)
  cache        with --cache-dir: the directory is this user's own, closed to others, writable
  hop N        with --assume: each sts:AssumeRole hop
  identity     with --assume: sts:GetCallerIdentity of the last hop
  chain        without --assume: skipped; a chain that cannot run (no region) fails here

  --json       The same as one JSON document: {"ok": …, "checks": [{name, status, detail, fix}]}.

doctor obeys --deadline like a run: a check still waiting when it passes fails, later ones are
skipped.

Exit codes: 0 when no check failed, 1 otherwise, 2 for a usage error.
`;

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const values = parseFlags(argv, FLAGS);
  if (values.help) return { output: HELP, credentials: false, exitCode: EXIT_OK };
  const command = chainCommand(values, env);
  const deadline = startRun(command.chain.retry.deadlineMs, command.debug);
  const report = await runDoctor(command.chain, command.cache, values.json, deadline);
  return {
    output: report.output,
    credentials: false,
    exitCode: report.ok ? EXIT_OK : EXIT_FAILURE,
  };
}
