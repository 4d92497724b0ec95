// What every command gives back to main.ts: its output, whether that output is credentials
// (which must not be lost: see stdout.ts), and the exit code.

import type { Env } from "../env.ts";

export interface CommandResult {
  output: string;
  credentials: boolean;
  exitCode: number;
}

export interface Command {
  run(argv: string[], env: Env): Promise<CommandResult>;
}
