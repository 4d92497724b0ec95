// epicac's entry point: pick the command (the credentials command by default; doctor, config,
// serve and node are loaded only when asked for, so the default path loads nothing it does not
// run), run it, write its output on stdout, and exit with the code errors.ts assigns. Failures end
// with one redacted line on stderr.

import process from "node:process";
import { run as credentials } from "./commands/credentials.ts";
import type { Command } from "./commands/command.ts";
import { describeError, exitCodeFor } from "./errors.ts";
import { writeErrorLine } from "./log.ts";
import { writeStdout } from "./stdout.ts";

const SUBCOMMANDS: Record<string, () => Promise<Command>> = {
  doctor: () => import("./commands/doctor.ts"),
  config: () => import("./commands/config.ts"),
  serve: () => import("./commands/serve.ts"),
  node: () => import("./commands/node.ts"),
};

try {
  const [first, ...rest] = process.argv.slice(2);
  const subcommand = first === undefined ? undefined : SUBCOMMANDS[first];
  const result = subcommand
    ? await (await subcommand()).run(rest, process.env)
    : await credentials(process.argv.slice(2), process.env);
  await writeStdout(result.output, result.credentials);
  process.exit(result.exitCode);
} catch (error) {
  writeErrorLine(describeError(error));
  process.exit(exitCodeFor(error));
}
