// epicac's entry point: parse the command line, run the command (credentials by default;
// doctor and config are loaded only when asked for) under one overall deadline, write its result
// on stdout, and exit with the code errors.ts assigns. Failures end with one redacted line on
// stderr.

import process from "node:process";
import { parseCommandLine } from "./cli/options.ts";
import { HELP } from "./cli/help.ts";
import { versionLine } from "./cli/version.ts";
import { type ChainOptions, resolveCredentials } from "./chain/resolve.ts";
import { startDeadline } from "./deadline.ts";
import { describeError, EpicacError, EXIT_FAILURE, EXIT_OK, exitCodeFor } from "./errors.ts";
import { removeIgnoredVariables } from "./http/ignored-variables.ts";
import { enableDebug, writeErrorLine } from "./log.ts";
import { formatCredentials } from "./output.ts";
import { writeStdout } from "./stdout.ts";

// Past the deadline, a run ends even if something ignored it: the answer is late anyway.
const BACKSTOP_GRACE_MS = 1000;

/** The command's output, whether it holds credentials, and the exit code it ends with. */
async function run(argv: string[]): Promise<[string, boolean, number]> {
  const command = parseCommandLine(argv, process.env);
  if (command.kind === "help") {
    return [
      command.topic === "doctor" ? (await import("./doctor/help.ts")).DOCTOR_HELP : HELP,
      false,
      EXIT_OK,
    ];
  }
  if (command.kind === "version") return [versionLine(), false, EXIT_OK];
  if (command.kind === "config") {
    return [(await import("./config/generate.ts")).generateConfig(command.argv), false, EXIT_OK];
  }

  const { options } = command;
  if (options.debug) enableDebug();
  removeIgnoredVariables(process.env);
  const deadline = startDeadline(options.retry.deadlineMs);
  setTimeout(() => {
    writeErrorLine(describeError(
      new EpicacError(
        `the run did not end within the overall deadline of ${options.retry.deadlineMs / 1000}s`,
        "raise --deadline, and run again with --debug to see where it waits",
      ),
    ));
    process.exit(EXIT_FAILURE);
  }, options.retry.deadlineMs + BACKSTOP_GRACE_MS);
  const chain: ChainOptions = {
    env: process.env,
    source: options.source,
    assume: options.assume,
    session: options.session,
    sts: {
      region: options.region,
      endpoint: options.stsEndpoint,
      timeoutMs: options.timeoutMs,
      retries: options.retry.retries,
    },
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    cache: options.cache,
  };
  if (command.kind === "doctor") {
    const { runDoctor } = await import("./doctor/doctor.ts");
    const report = await runDoctor(chain, command.json, deadline);
    return [report.output, false, report.ok ? EXIT_OK : EXIT_FAILURE];
  }
  const credentials = await resolveCredentials(chain, deadline);
  return [formatCredentials(credentials, options.format), true, EXIT_OK];
}

try {
  const [output, precious, code] = await run(process.argv.slice(2));
  await writeStdout(output, precious);
  process.exit(code);
} catch (error) {
  writeErrorLine(describeError(error));
  process.exit(exitCodeFor(error));
}
