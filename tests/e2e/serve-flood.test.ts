// epicac serve against clients that send and never read, as a process on every native target
// (tests/support/misbehaving-client.mjs, run by Node): a client pipelining 16 MB of requests to
// each kind of path, with and without the token, grows serve's resident memory by at most
// MAX_GROWTH_MIB while another connection is answered within a second; after such clients
// leave, serve uses no CPU, and SIGTERM still ends it within 5 s; a client that keeps sending
// and never reads is closed at the write timeout. The same against --probe-listen from another
// host (a network namespace of its own), where a handful of connections is all one gets.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { runnableTargets, type Target } from "../support/epicac.ts";
import { type Serving, startServe } from "../support/serve.ts";
import { flood, hold, steady } from "../support/misbehaving.ts";
import { cpuMs, rssPeak } from "../support/proc.ts";
import { HOST_ADDRESS, type OtherHost, otherHost, otherHostSkip } from "../support/network.ts";
import { PROBE_LIMITS, SERVE_LIMITS } from "../../src/serve/limits.ts";

/**
 * A server that kept every answer grew by 1.4 GiB over such a flood; a bounded one grows by what
 * the runtime's collector has not yet taken back, up to 26 MiB seen under a loaded machine.
 */
const MAX_GROWTH_MIB = 48;
/** What a legitimate request may take while a flood goes on. */
const ANSWERED_WITHIN_MS = 1000;
const STOP_WITHIN_MS = 5000;
/** Each flood leaves after this long, unless serve closed it first. */
const FLOOD_HOLD_MS = 3000;
/** The kinds of path a flood asks for: metrics, a probe, an unknown path, credentials. */
const PATHS = ["/metrics", "/healthz", "/no-such-path", "/v1/credentials"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` pipelined GETs on one connection, every answer read (a well-behaved warm-up). */
function pipelined(host: string, port: number, path: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const status = "HTTP/1.1 ";
    let answers = 0;
    // The end of the last chunk, too short to hold a status line's start: one split between
    // two chunks is counted once.
    let carry = "";
    socket.on("error", reject);
    socket.setTimeout(30_000, () => reject(new Error(`${answers} of ${count} answered in 30 s`)));
    socket.setEncoding("latin1").on("data", (d: string) => {
      const text = carry + d;
      answers += text.split(status).length - 1;
      carry = text.slice(-(status.length - 1));
      if (answers >= count) {
        socket.destroy();
        resolve();
      }
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
  });
}

/** A legitimate request on a connection of its own: its status and how long it took. */
async function timed(url: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

interface FloodTarget {
  serving: Serving;
  /** Where the flood connects (from `prefix`'s namespace), and what it asks for. */
  host: string;
  port: number;
  paths: string[];
  token?: string;
  prefix?: string[];
  /** A legitimate request meanwhile. */
  legitimate: () => Promise<{ status: number; ms: number }>;
}

/**
 * Warm up (requests read normally, then one flood), then flood with each path, with and
 * without the token, one client after another; RSS is sampled throughout.
 */
async function floodEach(f: FloodTarget): Promise<void> {
  for (const path of f.paths) await pipelined("127.0.0.1", f.port, path, 5000);
  const warmUp = flood(f.host, f.port, "/healthz", { holdMs: FLOOD_HOLD_MS, prefix: f.prefix });
  await warmUp.exited;
  await sleep(500);
  const { baseline, peak } = await rssPeak(f.serving.pid, async () => {
    for (const path of f.paths) {
      for (const authorization of f.token ? [undefined, f.token] : [undefined]) {
        const client = flood(f.host, f.port, path, {
          authorization,
          holdMs: FLOOD_HOLD_MS,
          prefix: f.prefix,
        });
        await client.waitFor("connected");
        await sleep(FLOOD_HOLD_MS / 2);
        const legitimate = await f.legitimate();
        assert.equal(legitimate.status, 200);
        assert.ok(
          legitimate.ms < ANSWERED_WITHIN_MS,
          `a request during a flood of ${path} took ${legitimate.ms} ms`,
        );
        await client.exited;
        assert.ok(client.events().some((e) => e.event === "closed" || e.event === "left"));
      }
    }
  });
  const growthMiB = (peak - baseline) / 1024;
  assert.ok(
    growthMiB <= MAX_GROWTH_MIB,
    `RSS grew by ${growthMiB.toFixed(1)} MiB (from ${baseline} KiB to ${peak} KiB)`,
  );
}

/** After the clients left: no CPU used over a few seconds; then SIGTERM ends it in time. */
async function idleThenStop(serving: Serving): Promise<void> {
  await sleep(500);
  const before = cpuMs(serving.pid);
  await sleep(3000);
  const used = cpuMs(serving.pid) - before;
  // The timers of an idle server (deadlines, refreshes) use next to nothing: 10 % is generous.
  assert.ok(used <= 300, `${used} ms of CPU in 3 s after the clients left`);
  const { code, ms } = await serving.stop("SIGTERM");
  assert.equal(code, 0, serving.stderr());
  assert.ok(ms < STOP_WITHIN_MS, `exited ${ms} ms after SIGTERM`);
}

/** serve, as a pod's sidecar, for one case (no file hooks: a skipped case would skip them). */
async function withServe(
  t: Target,
  args: string[],
  run: (serving: Serving) => Promise<void>,
): Promise<void> {
  const pod: AgentPod = await startAgentPod("serve-flood");
  try {
    const serving = await startServe(t, args, pod.env(), join(pod.dir, "serve-token"));
    try {
      await serving.waitForEvent("refreshed");
      await run(serving);
    } finally {
      await serving.stop("SIGKILL");
    }
  } finally {
    await pod.close();
  }
}

const probePort = (serving: Serving) =>
  Number(/:(\d+)$/.exec(String(serving.events()[0].probeListen))![1]);

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  [
    `clients pipelining 16 MB and never reading grow RSS by ${MAX_GROWTH_MIB} MiB at most; others are answered meanwhile; then no CPU, and SIGTERM ends it`,
    async (t) => {
      await withServe(t, [], async (serving) => {
        await floodEach({
          serving,
          host: "127.0.0.1",
          port: serving.port,
          paths: PATHS,
          token: serving.token(),
          legitimate: () => timed(serving.url(), { authorization: serving.token() }),
        });
        await idleThenStop(serving);
      });
    },
  ],

  [
    `a client that keeps sending and never reads is closed at the write timeout (${SERVE_LIMITS.writeTimeoutMs} ms)`,
    async (t) => {
      await withServe(t, [], async (serving) => {
        // Not one burst (the bound on what is held would close it first): requests keep coming.
        const stalled = steady("127.0.0.1", serving.port, "/metrics");
        try {
          const { ms } = await stalled.waitFor("closed", SERVE_LIMITS.writeTimeoutMs * 4);
          assert.ok(Number(ms) >= SERVE_LIMITS.writeTimeoutMs - 250, `closed after ${ms} ms`);
          assert.equal((await timed(serving.url("/healthz"))).status, 200);
        } finally {
          await stalled.stop();
        }
      });
    },
  ],
];

const probeCases: Case[] = [
  [
    "--probe-listen from another host: floods grow RSS by at most the same; the probes are answered meanwhile, and past its connection cap",
    async (t) => {
      let other: OtherHost | undefined;
      try {
        other = await otherHost();
        await withServe(t, ["--probe-listen", "0.0.0.0:0"], async (serving) => {
          const port = probePort(serving);
          const probe = () => timed(`http://127.0.0.1:${port}/healthz`);
          await floodEach({
            serving,
            host: HOST_ADDRESS,
            port,
            paths: ["/metrics", "/healthz", "/no-such-path"],
            prefix: other!.prefix,
            legitimate: probe,
          });
          // Far more connections than the probe listener takes, held idle, trickling and slow.
          const holding = hold(HOST_ADDRESS, port, PROBE_LIMITS.maxConnections * 8, other!.prefix);
          try {
            await holding.waitFor("holding");
            for (let i = 0; i < 10; i++) {
              const answer = await probe();
              assert.equal(answer.status, 200);
              assert.ok(answer.ms < ANSWERED_WITHIN_MS, `a probe took ${answer.ms} ms`);
            }
            const last = holding.events().at(-1)!;
            assert.ok(Number(last.opened) > PROBE_LIMITS.maxConnections * 8, "it was cut off");
          } finally {
            await holding.stop();
          }
          await idleThenStop(serving);
        });
      } finally {
        await other?.close();
      }
    },
  ],
];

const probeSkip = otherHostSkip();
for (const target of runnableTargets().filter((t) => !t.emulated)) {
  for (const [name, fn] of cases) test(`${target.name}: serve ${name}`, () => fn(target));
  for (const [name, fn] of probeCases) {
    test(`${target.name}: serve ${name}`, { skip: probeSkip }, () => fn(target));
  }
}
