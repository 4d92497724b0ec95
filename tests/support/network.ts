// Whether this process runs in a network namespace that has only loopback (scripts/test makes
// one where it can): then a client that goes wrong cannot reach any address but 127.0.0.0/8.
// Cases whose failure could reach out (a real AWS endpoint) run only there.

import { readFileSync } from "node:fs";

export function loopbackOnly(): boolean {
  try {
    const interfaces = readFileSync("/proc/net/dev", "utf8").split("\n").slice(2)
      .map((line) => line.split(":")[0].trim()).filter(Boolean);
    return interfaces.length > 0 && interfaces.every((name) => name === "lo");
  } catch {
    return false;
  }
}

/** The skip reason for a case that needs loopbackOnly(), or undefined when it may run. */
export function needsLoopbackOnly(): string | undefined {
  return loopbackOnly()
    ? undefined
    : "needs a network namespace with only loopback (scripts/test makes one where the machine allows it)";
}

/** A loopback port nothing listens on: bound, then closed again (fetch refuses well-known ones). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The Pod Identity agent's link-local addresses, as epicac node's tests put them on `lo`. */
export const AGENT_IPV4 = "169.254.170.23";
export const AGENT_IPV6 = "fd00:ec2::23";

/**
 * Put the agent's addresses on this namespace's loopback, as the agent's init container puts them
 * on a node (only ever in a loopback-only namespace the test run made, never on a real host);
 * the reason it cannot be done here, or undefined once done.
 */
export async function agentAddressesSkip(): Promise<string | undefined> {
  const skip = needsLoopbackOnly();
  if (skip) return skip;
  const { spawnSync } = await import("node:child_process");
  for (
    const args of [["addr", "replace", `${AGENT_IPV4}/32`, "dev", "lo"], [
      "-6",
      "addr",
      "replace",
      `${AGENT_IPV6}/128`,
      "dev",
      "lo",
      "nodad",
    ]]
  ) {
    const done = spawnSync("ip", args, { encoding: "utf8" });
    if (done.status !== 0) {
      return `cannot add the agent's address to lo: ip ${args.join(" ")}: ${done.stderr.trim()}`;
    }
  }
  return undefined;
}
