// epicac's entry point: parse the command line, run the command, print its result on stdout,
// and exit with the code errors.ts assigns. Failures end with one redacted line on stderr.

import process from "node:process";
import { parseCommandLine } from "./cli/options.ts";
import { HELP } from "./cli/help.ts";
import { versionLine } from "./cli/version.ts";
import { describeError, EXIT_OK, exitCodeFor } from "./errors.ts";
import { ignoreProxyVariables } from "./http/no-proxy.ts";
import { enableDebug, writeErrorLine } from "./log.ts";
import { formatCredentials } from "./output.ts";
import { getContainerCredentials } from "./sources/container.ts";

async function run(argv: string[]): Promise<string> {
  const command = parseCommandLine(argv);
  if (command.kind === "help") return HELP;
  if (command.kind === "version") return versionLine();

  const { options } = command;
  if (options.debug) enableDebug();
  ignoreProxyVariables(process.env);
  const credentials = await getContainerCredentials({
    env: process.env,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  return formatCredentials(credentials, options.format);
}

try {
  const output = await run(process.argv.slice(2));
  // console.log, not process.stdout: creating Bun's Node-style stream costs more than the rest
  // of a run. Both runtimes write console output through before process.exit returns.
  console.log(output.replace(/\n$/, ""));
  process.exit(EXIT_OK);
} catch (error) {
  writeErrorLine(describeError(error));
  process.exit(exitCodeFor(error));
}
