// scripts/bench/floors.ts: the floors are compiled with exactly the flags of epicac's own build
// (scripts/bun-compile-flags) and this machine's target; a build that fails is reported with a
// reason, never as a floor; the Deno floors are built only when asked.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildFloors, bunCompileFlags, FLOOR_SOURCES } from "../../scripts/bench/floors.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("floors: the flag list is scripts/bun-compile-flags without its comments", () => {
  const flags = bunCompileFlags(ROOT);
  assert.ok(flags.includes("--compile") && flags.includes("--bytecode"), flags.join(" "));
  assert.ok(flags.includes("--no-compile-autoload-bunfig"));
  assert.ok(flags.every((flag) => flag.startsWith("--")), flags.join(" "));
  assert.match(readFileSync(`${ROOT}scripts/build`, "utf8"), /scripts\/bun-compile-flags/);
});

test("floors: each path's program, epicac's flags and this machine's target; failures say why", () => {
  const commands: string[][] = [];
  const floors = buildFloors({
    root: ROOT,
    dir: "/scratch",
    arch: "arm64",
    bun: "/bin/bun",
    deno: { reason: "no Deno binary to compare with" },
    denoPermissions: [],
    spawn(command) {
      commands.push(command);
      return command.some((arg) => arg.endsWith("assume-role.ts"))
        ? { exitCode: 1, stderr: "error: Could not resolve\nerror: the last line\n" }
        : { exitCode: 0, stderr: "" };
    },
  });
  assert.equal(commands.length, 3, "no Deno build was tried");
  for (const command of commands) {
    assert.deepEqual(command.slice(3, -3), bunCompileFlags(ROOT));
    assert.equal(command.at(-3), "--target=bun-linux-arm64");
  }
  assert.deepEqual(commands.map((c) => c[2]), FLOOR_SOURCES.map((f) => `${ROOT}${f.source}`));
  const why = "no Deno binary to compare with";
  assert.deepEqual(floors.map((f) => [f.role, f.runtime, f.path, f.file, f.failure]), [
    ["floor", "bun", "default", "/scratch/floor-bun-default", undefined],
    ["floor", "deno", "default", "/scratch/floor-deno-default", why],
    [
      "floor",
      "bun",
      "assume",
      "/scratch/floor-bun-assume",
      "the bun build failed: error: the last line",
    ],
    ["floor", "deno", "assume", "/scratch/floor-deno-assume", why],
    ["module", "bun", "default", "/scratch/module-bun-default", undefined],
    ["module", "deno", "default", "/scratch/module-deno-default", why],
  ]);
});
