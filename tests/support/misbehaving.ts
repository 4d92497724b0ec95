// The misbehaving clients of tests/support/misbehaving-client.mjs, run by Node as processes of
// their own (optionally behind a prefix such as `nsenter -t PID -n`, to run in another network
// namespace), with their JSON event lines parsed as they arrive.

import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "./epicac.ts";

const PROGRAM = `${ROOT}tests/support/misbehaving-client.mjs`;

export interface Misbehaving {
  events(): Record<string, unknown>[];
  /** Wait until an event with this name was printed (fails after `ms`, or if the client ended). */
  waitFor(event: string, ms?: number): Promise<Record<string, unknown>>;
  /** Resolves when the client process ended. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

function run(args: string[], prefix: string[]): Misbehaving {
  const [program, ...rest] = [...prefix, "node", PROGRAM, ...args];
  const child: ChildProcess = spawn(program, rest, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let ended = false;
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  void exited.then(() => (ended = true));
  const events = () =>
    stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    events,
    exited,
    async waitFor(event, ms = 60_000) {
      const end = performance.now() + ms;
      for (;;) {
        const found = events().find((e) => e.event === event);
        if (found) return found;
        if (ended || performance.now() > end) {
          throw new Error(`the client printed no "${event}": ${stdout} ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop() {
      if (!ended) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** One connection pipelining 16 MB of GET `path`, never reading; leaves after `holdMs` if set. */
export function flood(
  host: string,
  port: number,
  path: string,
  options: { authorization?: string; holdMs?: number; prefix?: string[] } = {},
): Misbehaving {
  return run(
    ["flood", host, String(port), path, options.authorization ?? "", String(options.holdMs ?? 0)],
    options.prefix ?? [],
  );
}

/** One connection sending 100 pipelined GET `path` every 10 ms, never reading. */
export function steady(host: string, port: number, path: string): Misbehaving {
  return run(["steady", host, String(port), path], []);
}

/** `count` connections held idle, trickling or slow, reopened whenever closed. */
export function hold(
  host: string,
  port: number,
  count: number,
  prefix: string[] = [],
): Misbehaving {
  return run(["hold", host, String(port), String(count)], prefix);
}
