// epicac serve's log, as a process on every target: a log file its stdout and stderr are
// appended to (`>>file 2>&1`) keeps what was in it, SIGTERM included.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { processEnv, runnableTargets, type Target } from "../support/epicac.ts";

let pod: AgentPod;
let serial = 0;

before(async () => {
  pod = await startAgentPod("serve-log");
});

after(() => pod?.close());

/** Poll `read()` until `done` holds of it, or fail after `ms`. */
async function until<T>(read: () => T, done: (value: T) => boolean, ms: number): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (performance.now() > end) throw new Error(`gave up waiting; last seen: ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Case = [name: string, run: (t: Target) => Promise<void>];

const appended: Case = [
  "a log file opened with >> for stdout and stderr keeps its earlier content after SIGTERM",
  async (t) => {
    const log = join(pod.dir, `serve-${++serial}.log`);
    const earlier = "an earlier line of the pod's log\n";
    writeFileSync(log, earlier);
    const fd = openSync(log, "a");
    const [program, ...rest] = t.command;
    const child = spawn(program, [
      ...rest,
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--token-file",
      join(pod.dir, `serve-token-${serial}`),
    ], { env: processEnv(pod.env()), stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      // After the first refresh: the signal handlers are in place by then.
      await until(() => readFileSync(log, "utf8"), (text) => text.includes('"refreshed"'), 60_000);
      process.kill(child.pid!, "SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
    const text = readFileSync(log, "utf8");
    assert.ok(text.startsWith(earlier), `the log lost its earlier content: ${text.slice(0, 200)}`);
    const events = text.slice(earlier.length).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l).event
    );
    assert.equal(events[0], "started");
    assert.equal(events.at(-1), "stopping");
  },
];

const cases: Case[] = [appended];

for (const target of runnableTargets()) {
  for (const [name, fn] of target.emulated ? [appended] : cases) {
    test(`${target.name}: serve ${name}`, () => fn(target));
  }
}
