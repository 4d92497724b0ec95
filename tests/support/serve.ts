// `epicac serve` as a running process for end-to-end tests, started on a free loopback port
// (read from its "started" event).

import { readFileSync } from "node:fs";
import type { Target } from "./epicac.ts";
import { type Running, startCommand } from "./process.ts";

export type { Stopped } from "./process.ts";

export interface Serving extends Running {
  port: number;
  url(path?: string): string;
  /** The token of --token-file, as the application reads it. */
  token(): string;
}

/** Start `epicac serve ARGS --listen 127.0.0.1:0 --token-file TOKEN_FILE`. */
export async function startServe(
  target: Target,
  args: string[],
  env: Record<string, string | undefined>,
  tokenFile: string,
): Promise<Serving> {
  const running = await startCommand(
    target,
    ["serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile, ...args],
    env,
  );
  const port = Number(/:(\d+)$/.exec(String(running.started.listen))?.[1]);
  return {
    ...running,
    port,
    url: (path = "/v1/credentials") => `http://127.0.0.1:${port}${path}`,
    token: () => readFileSync(tokenFile, "utf8").trim(),
  };
}
