// scripts/bench/peers.ts: the benchmark's loopback peers are ready only once a real request
// succeeded, fail within a bounded wait with a message that says why, and are gone once stopped.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { httpRequest, startBenchPeers, startPeer } from "../../scripts/bench/peers.ts";
import { ROOT } from "../support/epicac.ts";

// The peers are Bun scripts: under bun test this very bun, under deno test the one on PATH.
const BUN = (globalThis as { Bun?: unknown }).Bun ? process.execPath : "bun";

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process is still there after a moment (a zombie may wait briefly to be reaped). */
async function isRunning(pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  for (let i = 0; i < 40 && exists(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return exists(pid);
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("peers: the agent and the STS stub start, answer real requests, and stop", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-bench-peers-"));
  const peers = await startBenchPeers({ bun: BUN, root: ROOT, dir });
  try {
    const token = readFileSync(peers.tokenFile, "utf8").trim();
    const credentials = await httpRequest(peers.agent.url, { headers: { authorization: token } });
    assert.equal(credentials.status, 200);
    assert.equal(JSON.parse(credentials.body).AccessKeyId, peers.credentials.AccessKeyId);
    // The token is checked, as the real agent does.
    const refused = await httpRequest(peers.agent.url, { headers: { authorization: "wrong" } });
    assert.equal(refused.status, 403);

    const assumed = await httpRequest(peers.sts.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::222222222222:role/bench" +
        "&RoleSessionName=bench",
    });
    assert.equal(assumed.status, 200);
    assert.match(assumed.body, /<AccessKeyId>ASIASTUB/);
  } finally {
    await peers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await isRunning(peers.agent.pid), false, "the agent emulator is gone");
  assert.equal(await isRunning(peers.sts.pid), false, "the STS stub is gone");
  await assert.rejects(httpRequest(peers.agent.url), "nothing answers any more");
});

test("peers: a peer that prints its URL but never answers fails within the bounded wait", async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1/credentials`;
  const started = Date.now();
  await assert.rejects(
    startPeer({
      name: "the silent peer",
      command: [BUN, "-e", `console.log(${JSON.stringify(url)}); setInterval(() => {}, 1000)`],
      probe: (u) => httpRequest(u).then(() => undefined),
      readyTimeoutMs: 1500,
    }),
    /^Error: the silent peer \(.*\) was not ready within 1\.5 s \(last attempt: .+\)/,
  );
  assert.ok(Date.now() - started < 10_000, "the wait is bounded");
});

test("peers: a peer that exits, or cannot start, fails at once with its output", async () => {
  await assert.rejects(
    startPeer({
      name: "the broken peer",
      command: [BUN, "-e", 'console.error("no credentials file"); process.exit(3)'],
      probe: () => Promise.resolve(),
    }),
    /the broken peer .* exited \(code 3, signal null\) before it was ready; its output: no credentials file/,
  );
  await assert.rejects(
    startPeer({
      name: "the absent peer",
      command: [join(tmpdir(), "epicac-no-such-program")],
      probe: () => Promise.resolve(),
    }),
    /the absent peer .* could not start: /,
  );
});
