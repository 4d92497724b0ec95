// scripts/bench/hyperfine.ts: the interleaving (rounds of every candidate, the order rotated, the
// warm-up in the first round only), commands that survive hyperfine's POSIX word splitting, the
// merge of the rounds, and one real hyperfine run whose failing command is seen per candidate.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Candidate } from "../../scripts/bench/candidates.ts";
import {
  median,
  mergeRounds,
  roundArgs,
  shellWord,
  timeCandidates,
} from "../../scripts/bench/hyperfine.ts";

const candidate = (id: string, command: string[]): Candidate => ({
  id,
  label: id,
  kind: "epicac",
  path: "default",
  command,
});
const [a, b, c] = ["a", "b", "c"].map((id) => candidate(id, [`/bin/${id}`]));

/** The value of `--name=value` in one round's arguments. */
const flag = (args: string[], name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
/** The candidate ids of one round, in the order hyperfine runs them. */
const order = (args: string[]) => args.flatMap((arg, i) => (args[i - 1] === "-n" ? [arg] : []));

test("hyperfine: 7 runs are rounds of 3, 3 and 1, each over every candidate, turned by one", () => {
  const rounds = roundArgs([a, b, c], { runs: 7, warmup: 2, exportFile: (r) => `/x/${r}.json` });
  assert.equal(rounds.length, 3);
  assert.deepEqual(rounds.map((r) => flag(r, "runs")), ["3", "3", "1"]);
  assert.deepEqual(rounds.map(order), [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]);
  assert.deepEqual(rounds.map((r) => flag(r, "warmup")), ["2", "0", "0"], "warm-up once");
  assert.deepEqual(rounds.map((r) => flag(r, "export-json")), [
    "/x/0.json",
    "/x/1.json",
    "/x/2.json",
  ]);
  for (const round of rounds) {
    assert.ok(round.includes("-N"), "no shell between hyperfine and the program");
    assert.ok(round.includes("--output=pipe"), "stdout is a pipe, as for a credential_process");
    // Each command follows its name.
    assert.equal(round[round.indexOf("-n") + 2], `/bin/${round[round.indexOf("-n") + 1]}`);
  }
});

test("hyperfine: a command's words survive a POSIX shell's splitting, quotes included", () => {
  const words = ["sh", "-c", `curl -H "A: $(cat $F)" | jq -c '{a: .b}'`, "it's", "a b", "x=1,y"];
  const line = words.map(shellWord).join(" ");
  const split = spawnSync("sh", ["-c", `printf '%s\\n' ${line}`], { encoding: "utf8" });
  assert.deepEqual(split.stdout.split("\n").slice(0, -1), words);
  assert.equal(shellWord("/repo/dist/epicac-bun-linux-amd64"), "/repo/dist/epicac-bun-linux-amd64");
});

test("hyperfine: rounds merge per candidate, seconds become milliseconds, order kept", () => {
  const merged = mergeRounds([
    { results: [{ command: "a", times: [0.01, 0.02], exit_codes: [0, 0] }] },
    { results: [{ command: "b", times: [0.5], exit_codes: [1] }] },
    { results: [{ command: "a", times: [0.03], exit_codes: [null] }] },
  ]);
  assert.deepEqual(merged.get("a"), { timesMs: [10, 20, 30], exitCodes: [0, 0, null] });
  assert.deepEqual(merged.get("b"), { timesMs: [500], exitCodes: [1] });
});

test("hyperfine: the median of an odd and of an even count", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test("hyperfine: a real run times every candidate and reports a failing one's exit codes", () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-hyperfine-"));
  try {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const lines: string[] = [];
    const timed = timeCandidates(
      [candidate("good", ["true"]), candidate("bad", ["sh", "-c", "exit 3"])],
      { runs: 4, warmup: 1, env, dir },
      (line) => lines.push(line),
    );
    assert.deepEqual(lines, ["hyperfine round 1/2", "hyperfine round 2/2"]);
    assert.deepEqual(timed.get("good")!.exitCodes, [0, 0, 0, 0]);
    assert.deepEqual(timed.get("bad")!.exitCodes, [3, 3, 3, 3]);
    for (const { timesMs } of timed.values()) {
      assert.equal(timesMs.length, 4);
      assert.ok(timesMs.every((ms) => ms > 0 && ms < 30_000));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hyperfine: when every candidate failed its check, nothing is timed and nothing throws", () => {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const lines: string[] = [];
  const timed = timeCandidates(
    [],
    { runs: 3, warmup: 1, env, dir: tmpdir() },
    (l) => lines.push(l),
  );
  assert.deepEqual([timed.size, lines], [0, []]);
});
