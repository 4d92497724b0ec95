// scripts/bench/servers.ts with real processes: a server that exits before it is ready, serves
// other credentials than the agent's, or refuses requests during a load, is a failed result with
// the reason (its output quoted without the token), never an exception, and the servers that can
// run still run.

import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runServers } from "../../scripts/bench/servers.ts";

/** wrk is optional in scripts/ensure-system-packages: without it every server is missing. */
const skip = spawnSync("wrk").error ? "wrk is not installed (apt-get install wrk)" : undefined;

test("servers: one that exits or serves other credentials fails alone, its token unquoted", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-servers-"));
  try {
    const other = (port: number) =>
      `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => Response.json({ AccessKeyId: "OTHER" }) })`;
    const results = await runServers([
      {
        name: "exits",
        command: (_port, token) => ["sh", "-c", 'echo "bad $(cat "$1")"; exit 3', "sh", token],
      },
      { name: "other", command: (port) => ["bun", "-e", other(port)] },
      { name: "absent", command: () => ["true"], missing: "not built" },
    ], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
      dir,
      accessKeyId: "ASIABENCH",
      seconds: 1,
      sustainedRequests: 1000,
      log: () => {},
    });
    const [exits, otherCredentials, absent] = results;
    assert.equal(exits.status, "failed");
    assert.match(exits.reason!, /^exits exited; its output: bad …$/);
    assert.deepEqual([otherCredentials.status, otherCredentials.reason], [
      "failed",
      "it served other credentials than the agent's",
    ]);
    assert.deepEqual([absent.status, absent.reason], ["missing", "not built"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("servers: one that starts refusing during a measured load is failed, not thrown", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-servers-"));
  try {
    // The agent's credentials for 3 s from the first request (its readiness check), which covers
    // the 2 s warm-up; then 500s, which the first 2 s load runs into.
    const tiring = (port: number) =>
      `let first; Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch() {
        first ??= Date.now();
        return Date.now() - first < 3000 ? Response.json({ AccessKeyId: "ASIABENCH" })
          : new Response("tired", { status: 500 }) } })`;
    const [tired] = await runServers([
      { name: "tired", command: (port) => ["bun", "-e", tiring(port)] },
    ], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
      dir,
      accessKeyId: "ASIABENCH",
      seconds: 2,
      sustainedRequests: 1000,
      log: () => {},
    });
    assert.equal(tired.status, "failed");
    assert.match(tired.reason!, /^wrk -t1 -c1 -d2s: \d+ non-2xx answers, 0 socket errors in \d+$/);
    assert.deepEqual(tired.loads, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
