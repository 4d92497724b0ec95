// epicac doctor: check this pod's set-up and say how to fix what is wrong. Its flags (the
// credentials command's, plus --json), its --help, its run; the checks are in src/doctor/.

import type { Env } from "../env.ts";
import { EXIT_FAILURE, EXIT_OK } from "../errors.ts";
import { onOff } from "../inputs/input.ts";
import { CHAIN_FLAGS, chainCommand, chainSections } from "../cli/chain.ts";
import { parseCommandLine } from "../cli/flags.ts";
import { startRun } from "../cli/run.ts";
import { CHECKS } from "../doctor/check-list.ts";
import { runDoctor } from "../doctor/doctor.ts";
import type { CommandResult } from "./command.ts";

const JSON_OUTPUT = onOff({
  flag: "json",
  help: 'The report as one JSON document: {"ok": …, "checks": [{name, status, detail, fix}]}.',
});

export const INPUTS = { ...CHAIN_FLAGS, json: JSON_OUTPUT };

export async function help(): Promise<string> {
  const { helpText, indented } = await import("../cli/help.ts");
  return helpText({
    summary: "epicac doctor: check this pod's set-up and say how to fix what is wrong",
    usage: ["epicac doctor [--json] [--assume ROLE_ARN]... [the credentials command's flags]"],
    intro: `Checks, one line each, marked [pass], [FAIL] (with the fix) or [skip]:
${CHECKS.map(({ name, what }) => indented(`  ${name}`, what, 15)).join("\n")}`,
    sections: [["Report", [JSON_OUTPUT]], ...chainSections(true)],
    notes:
      `doctor obeys --deadline like a run: a check still waiting when it passes fails, later ones are
skipped.

Exit codes: 0 when no check failed, 1 otherwise, 2 for a usage error.
`,
  });
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const values = parseCommandLine(argv, INPUTS);
  if (values.help) return { output: await help(), credentials: false, exitCode: EXIT_OK };
  const command = chainCommand(values, env);
  const deadline = startRun(command.chain.retry.deadlineMs, command.debug);
  const report = await runDoctor(command.chain, command.cache, values.json, deadline);
  return {
    output: report.output,
    credentials: false,
    exitCode: report.ok ? EXIT_OK : EXIT_FAILURE,
  };
}
