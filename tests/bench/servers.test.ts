// scripts/bench/servers.ts with real processes: each server is asked on its own path with its own
// Authorization and checked for its own credentials; a server that exits before it is ready,
// serves other credentials than its own, or refuses requests during a load, is a failed result
// with the reason (its output quoted without the token), never an exception, and the servers that
// can run still run.

import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runServers, type ServerSpec } from "../../scripts/bench/servers.ts";

/** wrk is optional in scripts/ensure-system-packages: without it every server is missing. */
const skip = spawnSync("wrk").error ? "wrk is not installed (apt-get install wrk)" : undefined;

const TOKEN = "bench-token-0123456789abcdef";
/** Asks as serve is asked: the agent's AccessKeyId of the run on /v1/credentials. */
const asks = {
  path: "/v1/credentials",
  authorization: TOKEN,
  answers: { accessKeyId: "ASIABENCH", whose: "the agent's" },
};
const options = (dir: string, seconds: number) => ({
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  dir,
  seconds,
  sustainedRequests: 1000,
  log: () => {},
});
/** A Bun.serve answering `body` on `path` to `token` alone, 403 to anyone else. */
const answering = (port: number, path: string, token: string, body: string) =>
  `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: (r) =>
    new URL(r.url).pathname === "${path}" && r.headers.get("authorization") === "${token}"
      ? new Response(${JSON.stringify(body)}) : new Response("no", { status: 403 }) })`;

test("servers: one that exits or serves other credentials fails alone, its token unquoted", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-servers-"));
  try {
    const other = (port: number) =>
      `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => Response.json({ AccessKeyId: "OTHER" }) })`;
    const results = await runServers([
      { name: "exits", command: () => ["sh", "-c", 'echo "bad $1"; exit 3', "sh", TOKEN], ...asks },
      { name: "other", command: (port) => ["bun", "-e", other(port)], ...asks },
      { name: "absent", command: () => ["true"], ...asks, missing: "not built" },
    ], options(dir, 1));
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
      { name: "tired", command: (port) => ["bun", "-e", tiring(port)], ...asks },
    ], options(dir, 2));
    assert.equal(tired.status, "failed");
    assert.match(tired.reason!, /^wrk -t1 -c1 -d2s: \d+ non-2xx answers, 0 socket errors in \d+$/);
    assert.deepEqual(tired.loads, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("servers: each asked on its own path with its own token, checked for its own credentials", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-servers-"));
  try {
    const server = (name: string, body: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({
      name,
      command: (port) => ["bun", "-e", answering(port, `/v1/${name}`, `token-${name}`, body)],
      path: `/v1/${name}`,
      authorization: `token-${name}`,
      answers: { accessKeyId: /^ASIASTUB\d+$/, whose: "a role's" },
      ...extra,
    });
    let counted = 0;
    const [first, second, other] = await runServers([
      server("first", '{"AccessKeyId":"ASIASTUB1"}', { reference: "second" }),
      server("second", '{"AccessKeyId":"ASIASTUB2"}', {
        counters: () => Promise.resolve({ asked: ++counted }),
      }),
      server("other", '{"AccessKeyId":"ASIAPOD1"}'),
    ], options(dir, 1));
    for (const measured of [first, second]) {
      assert.equal(measured.status, "measured", `${measured.name}: ${measured.reason}`);
      assert.deepEqual(measured.loads.map((l) => l.connections), [1, 8, 64]);
    }
    assert.ok(first.loads.every((l) => l.vsReference!.requestsPerSecond > 0));
    // Read once, after the loads.
    assert.deepEqual([first.counters, second.counters], [undefined, { asked: 1 }]);
    assert.deepEqual([other.status, other.reason], [
      "failed",
      "it served other credentials than a role's",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
