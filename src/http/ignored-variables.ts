// Variables that would send epicac's requests elsewhere or weaken them, removed from the
// command's own environment before the first request (the module leaves its host's alone, and
// request.ts keeps its requests away from them). Proxies: the AWS SDKs call credentials
// endpoints directly, and Bun's and Deno's fetch would otherwise send the request, Authorization
// token included, to whatever HTTP_PROXY names (even for loopback). NODE_TLS_REJECT_UNAUTHORIZED=0
// would make Bun accept any certificate for an https endpoint. Both are read lazily, so removing
// them at start-up works; the variables read when the runtime starts are listed in the README.

import process from "node:process";

export const IGNORED_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
  "NODE_TLS_REJECT_UNAUTHORIZED",
];

let removedFromProcess = false;

/** Remove the ignored variables from this process's environment, before its first request. */
export function removeIgnoredVariables(env: Record<string, string | undefined>): void {
  for (const name of IGNORED_VARIABLES) delete env[name];
  if (env === process.env) removedFromProcess = true;
}

/** Whether this process has removed them from its own environment (the command, not the module). */
export function ignoredVariablesRemoved(): boolean {
  return removedFromProcess;
}
