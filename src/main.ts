// epicac's entry point: parse the command line, run the command (credentials by default;
// doctor and config are loaded only when asked for), print its result on stdout, and exit with
// the code errors.ts assigns. Failures end with one redacted line on stderr.

import process from "node:process";
import { parseCommandLine } from "./cli/options.ts";
import { HELP } from "./cli/help.ts";
import { versionLine } from "./cli/version.ts";
import { type ChainOptions, resolveCredentials } from "./chain/resolve.ts";
import { describeError, EXIT_FAILURE, EXIT_OK, exitCodeFor } from "./errors.ts";
import { ignoreProxyVariables } from "./http/no-proxy.ts";
import { enableDebug, writeErrorLine } from "./log.ts";
import { formatCredentials } from "./output.ts";

/** The command's output, and the exit code it ends with. */
async function run(argv: string[]): Promise<[string, number]> {
  const command = parseCommandLine(argv, process.env);
  if (command.kind === "help") {
    return [
      command.topic === "doctor" ? (await import("./doctor/help.ts")).DOCTOR_HELP : HELP,
      EXIT_OK,
    ];
  }
  if (command.kind === "version") return [versionLine(), EXIT_OK];
  if (command.kind === "config") {
    return [(await import("./config/generate.ts")).generateConfig(command.argv), EXIT_OK];
  }

  const { options } = command;
  if (options.debug) enableDebug();
  ignoreProxyVariables(process.env);
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
    const report = await runDoctor(chain, command.json);
    return [report.output, report.ok ? EXIT_OK : EXIT_FAILURE];
  }
  return [formatCredentials(await resolveCredentials(chain), options.format), EXIT_OK];
}

try {
  const [output, code] = await run(process.argv.slice(2));
  // console.log, not process.stdout: creating Bun's Node-style stream costs more than the rest
  // of a run. Both runtimes write console output through before process.exit returns.
  console.log(output.replace(/\n$/, ""));
  process.exit(code);
} catch (error) {
  writeErrorLine(describeError(error));
  process.exit(exitCodeFor(error));
}
