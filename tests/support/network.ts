// Whether this process runs in a network namespace that has only loopback (scripts/test makes
// one where it can): then a client that goes wrong cannot reach any address but 127.0.0.0/8.
// Cases whose failure could reach out (a real AWS endpoint) run only there. Inside it, as root,
// a case can make a second namespace joined to this one by a veth pair: another host, as far
// as a listener on 0.0.0.0 can tell.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import process from "node:process";

/** The ends of the veth pairs otherHost() makes, only ever in such a namespace. */
const TEST_VETH = /^ep\d+n\d+[ho]$/;

export function loopbackOnly(): boolean {
  try {
    const interfaces = readFileSync("/proc/net/dev", "utf8").split("\n").slice(2)
      .map((line) => line.split(":")[0].trim()).filter(Boolean);
    // A case of another file may have joined a second namespace to this one meanwhile.
    return interfaces.length > 0 &&
      interfaces.every((name) => name === "lo" || TEST_VETH.test(name));
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

/** Addresses of the veth pair: TEST-NET-1 (RFC 5737), routed nowhere. */
export const HOST_ADDRESS = "192.0.2.1";
export const OTHER_HOST_ADDRESS = "192.0.2.2";

export interface OtherHost {
  /** Run a program there: prefix its command with this. */
  prefix: string[];
  close(): Promise<void>;
}

/** Why otherHost() cannot run here, or undefined. */
export function otherHostSkip(): string | undefined {
  if (spawnSync("id", ["-u"], { encoding: "utf8" }).stdout.trim() !== "0") {
    return "needs root inside the test's network namespace (scripts/test as root)";
  }
  return needsLoopbackOnly();
}

let pairs = 0;

/**
 * A network namespace of its own (a sleeping process holds it), joined to this loopback-only
 * one by a veth pair: this end HOST_ADDRESS, the other OTHER_HOST_ADDRESS. Only ever made in a
 * namespace that had only loopback, so the machine's own network is never touched.
 */
export async function otherHost(): Promise<OtherHost> {
  const skip = otherHostSkip();
  if (skip) throw new Error(skip);
  const holder = spawn("unshare", ["-n", "--", "sleep", "3600"], { stdio: "ignore" });
  const ns = (pid: number | string) => readlinkSync(`/proc/${pid}/ns/net`);
  const pid = holder.pid!;
  for (let i = 0; ns(pid) === ns("self"); i++) {
    if (i > 500) throw new Error("unshare -n did not make a network namespace");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Interface names have at most 15 characters; this one is unique per process and pair.
  const name = `ep${process.pid % 100_000}n${++pairs}`;
  const prefix = ["nsenter", "-t", String(pid), "-n"];
  const run = (command: string[]) => {
    const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command.join(" ")}: ${result.stderr}`);
  };
  run([
    "ip",
    "link",
    "add",
    `${name}h`,
    "type",
    "veth",
    "peer",
    "name",
    `${name}o`,
    "netns",
    String(pid),
  ]);
  run(["ip", "addr", "add", `${HOST_ADDRESS}/24`, "dev", `${name}h`]);
  run(["ip", "link", "set", `${name}h`, "up"]);
  run([...prefix, "ip", "addr", "add", `${OTHER_HOST_ADDRESS}/24`, "dev", `${name}o`]);
  run([...prefix, "ip", "link", "set", `${name}o`, "up"]);
  run([...prefix, "ip", "link", "set", "lo", "up"]);
  return {
    prefix,
    close: async () => {
      spawnSync("ip", ["link", "del", `${name}h`]);
      const exited = new Promise((resolve) => holder.on("close", resolve));
      holder.kill("SIGKILL");
      await exited;
    },
  };
}

/** The Pod Identity agent's link-local addresses, as epicac node's tests put them on `lo`. */
export const AGENT_IPV4 = "169.254.170.23";
export const AGENT_IPV6 = "fd00:ec2::23";

/**
 * Put the agent's addresses on this namespace's loopback, as the agent's init container puts them
 * on a node (only ever in a loopback-only namespace the test run made, never on a real host);
 * the reason it cannot be done here, or undefined once done.
 */
export function agentAddressesSkip(): string | undefined {
  const skip = needsLoopbackOnly();
  if (skip) return skip;
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
