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
import { fromContainer } from "./sources/container.ts";

async function run(argv: string[]): Promise<string> {
  const command = parseCommandLine(argv);
  if (command.kind === "help") return HELP;
  if (command.kind === "version") return versionLine();

  const { options } = command;
  if (options.debug) enableDebug();
  ignoreProxyVariables(process.env);
  const credentials = await fromContainer({
    env: process.env,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  return formatCredentials(credentials, options.format);
}

/** Write all of `text`, then exit: a pipe must not lose the end of the credentials. */
function exitAfterWriting(text: string, code: number): void {
  process.stdout.write(text, () => process.exit(code));
}

try {
  exitAfterWriting(await run(process.argv.slice(2)), EXIT_OK);
} catch (error) {
  writeErrorLine(describeError(error));
  process.exit(exitCodeFor(error));
}
