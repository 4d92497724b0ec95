// `epicac serve` as a running process for end-to-end tests: started on a free loopback port
// (read from its "started" event), its stderr parsed as the JSON event lines it must be, and
// stopped with a signal, reporting how it exited and how long that took.

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { processEnv, type Target } from "./epicac.ts";

export interface Serving {
  port: number;
  /** The serve process (under /proc: its memory and CPU time). */
  pid: number;
  url(path?: string): string;
  /** The token of --token-file, as the application reads it. */
  token(): string;
  /** Everything on stderr so far. */
  stderr(): string;
  /** The event lines so far, parsed (a line that is not JSON fails the test when it is read). */
  events(): Record<string, unknown>[];
  /** Wait until an event with this name (and `where` true of it) was logged. */
  waitForEvent(
    event: string,
    where?: (e: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  /** Send the signal; resolves when the process ended. */
  stop(signal?: NodeJS.Signals): Promise<Stopped>;
  /** Resolves when the process ends by itself. */
  exited: Promise<Stopped>;
}

export interface Stopped {
  code: number | null;
  signal: string | null;
  /** From the signal to the end of the process. */
  ms: number;
  stdout: string;
}

/** Start `epicac serve ARGS --listen 127.0.0.1:0 --token-file TOKEN_FILE`. */
export async function startServe(
  target: Target,
  args: string[],
  env: Record<string, string | undefined>,
  tokenFile: string,
): Promise<Serving> {
  const [program, ...rest] = target.command;
  const child: ChildProcess = spawn(
    program,
    [...rest, "serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile, ...args],
    { env: processEnv(env), stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  let stdout = "";
  let signalledAt = 0;
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<Stopped>((resolve) => {
    child.on("close", (code, signal) =>
      resolve({
        code,
        signal,
        ms: signalledAt ? performance.now() - signalledAt : 0,
        stdout,
      }));
  });
  const events = () =>
    stderr.split("\n").filter(Boolean).map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`serve wrote a line that is not a JSON event: ${line}`);
      }
    });
  let ended = false;
  void exited.then(() => (ended = true));
  const waitForEvent: Serving["waitForEvent"] = async (event, where = () => true, ms) => {
    const end = performance.now() + (ms ?? (target.emulated ? 120_000 : 30_000));
    for (;;) {
      const found = events().find((e) => e.event === event && where(e));
      if (found) return found;
      if (ended || performance.now() > end) {
        throw new Error(
          `serve ${
            ended ? "ended" : "logged nothing like it"
          } before a "${event}" event: ${stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const killer = setTimeout(() => child.kill("SIGKILL"), 600_000);
  void exited.then(() => clearTimeout(killer));
  let started: Record<string, unknown>;
  try {
    started = await waitForEvent("started");
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const port = Number(/:(\d+)$/.exec(String(started.listen))?.[1]);
  return {
    port,
    pid: child.pid!,
    url: (path = "/v1/credentials") => `http://127.0.0.1:${port}${path}`,
    token: () => readFileSync(tokenFile, "utf8").trim(),
    stderr: () => stderr,
    events,
    waitForEvent,
    exited,
    stop: (signal = "SIGTERM") => {
      if (!ended) {
        signalledAt = performance.now();
        // Not child.kill(): Deno's node:child_process then reports the signal, not the exit code.
        process.kill(child.pid!, signal);
      }
      return exited;
    },
  };
}
