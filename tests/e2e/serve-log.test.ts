// epicac serve's log, as a process on every target: a log file its stdout and stderr are
// appended to (`>>file 2>&1`) keeps what was in it, SIGTERM included; with stderr a pipe nobody
// reads, every listener still answers, the lines that did not fit are counted in /metrics, and
// once the pipe is read again one line says how many were lost.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
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

/** Everything that can be read from a non-blocking fd now. */
function readAvailable(fd: number): string {
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  for (;;) {
    try {
      const n = readSync(fd, buffer);
      if (n === 0) return text;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    } catch (error) {
      if ((error as { code?: string }).code === "EAGAIN") return text;
      throw error;
    }
  }
}

/** `count` pipelined GET /healthz on one connection, every answer read. */
function pipelined(port: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let answers = 0;
    socket.on("error", reject);
    socket.setTimeout(30_000, () => reject(new Error(`${answers} of ${count} answered in 30 s`)));
    socket.setEncoding("latin1").on("data", (d: string) => {
      answers += d.split("HTTP/1.1 200 ").length - 1;
      if (answers >= count) {
        socket.destroy();
        resolve();
      }
    });
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count));
  });
}

const stalled: Case = [
  "with stderr a pipe nobody reads, both listeners answer; dropped lines are counted, then reported",
  async (t) => {
    const fifo = join(pod.dir, `stderr-${++serial}`);
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    // The reading end stays open and unread: the pipe fills at 64 KiB and stays full.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, "w");
    const [program, ...rest] = t.command;
    const child = spawn(program, [
      ...rest,
      "serve",
      "--debug",
      "--listen",
      "127.0.0.1:0",
      "--probe-listen",
      "127.0.0.1:0",
      "--token-file",
      join(pod.dir, `serve-token-${serial}`),
    ], { env: processEnv(pod.env()), stdio: ["ignore", "ignore", writer] });
    closeSync(writer);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let log = "";
    const read = () => (log += readAvailable(reader));
    try {
      await until(read, (text) => text.includes('"refreshed"'), 60_000);
      const started = JSON.parse(log.split("\n")[0]);
      const port = (address: string) => Number(/:(\d+)$/.exec(address)![1]);
      const [listen, probe] = [port(started.listen), port(started.probeListen)];
      // --debug logs a line per request: 64 KiB of pipe and 1 MiB of queue are soon full.
      await pipelined(listen, 20_000);
      for (const p of [listen, probe]) {
        const answer = await fetch(`http://127.0.0.1:${p}/healthz`, {
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(answer.status, 200);
        await answer.text();
      }
      const dropped = async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${probe}/metrics`)).text();
        return Number(/^epicac_log_lines_dropped_total (\d+)$/m.exec(metrics)?.[1]);
      };
      assert.ok(await dropped() > 0, "lines were dropped while the pipe was full");
      // The reader recovers: what was queued comes out, then how many lines were lost.
      await until(read, (text) => text.includes('"log lines dropped"'), 30_000);
      const reported = log.split("\n").filter(Boolean).map((line) => JSON.parse(line))
        .filter((e) => e.event === "log lines dropped");
      assert.equal(reported.length, 1, "one line for the whole stall");
      assert.equal(reported[0].count, await dropped());
      process.kill(child.pid!, "SIGTERM");
      const reading = setInterval(read, 50);
      assert.equal(await exited, 0);
      clearInterval(reading);
    } finally {
      child.kill("SIGKILL");
      closeSync(reader);
    }
  },
];

const cases: Case[] = [appended, stalled];

for (const target of runnableTargets()) {
  for (const [name, fn] of target.emulated ? [appended] : cases) {
    test(`${target.name}: serve ${name}`, () => fn(target));
  }
}
