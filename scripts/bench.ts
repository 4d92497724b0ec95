// make bench: epicac's cold start against the `curl | jq` baseline and against its floors,
// `epicac serve` against its floor, and `epicac node` against serve, all measured in the same run
// (the command line is in scripts/bench/args.ts). hyperfine runs and times the cold starts and
// wrk loads the servers; scripts/bench/ holds what is epicac's own, one job per file.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseBenchArgs, USAGE, UsageError } from "./bench/args.ts";
import { BASELINE, epicacCandidates } from "./bench/candidates.ts";
import { type Check, checkRuns, expectedOutput, GNU_TIME } from "./bench/check.ts";
import { runColdPath } from "./bench/cold-path.ts";
import { floorCandidates } from "./bench/floors.ts";
import { RUNS_PER_ROUND, timeCandidates } from "./bench/hyperfine.ts";
import { machineInfo } from "./bench/machine.ts";
import { REAL_TOKEN_LENGTH, setUpNode, warmNodeSpec } from "./bench/node.ts";
import { startPeers, startSts, stopAll } from "./bench/peers.ts";
import { coldStart, markdown, resultsDocument } from "./bench/report.ts";
import { runServers, serveSpecs } from "./bench/servers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Check runs per candidate under GNU time: peak RSS hardly varies from run to run. */
const CHECK_RUNS = 3;
const log = (line: string) => console.error(`bench: ${line}`);

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) return console.log(USAGE), 0;
  const absent = ["hyperfine", GNU_TIME, "curl", "jq"].filter((t) => spawnSync(t).error);
  if (absent.length > 0) {
    log(`${absent.join(", ")} not found (make tools installs them)`);
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), "epicac-bench-"));
  process.on("exit", () => rmSync(work, { recursive: true, force: true }));
  process.on("SIGINT", () => process.exit(130)).on("SIGTERM", () => process.exit(143));
  const machine = machineInfo(ROOT);
  const peers = await startPeers(ROOT, work);
  if (args.coldStart) log("building the floors");
  const candidates = args.coldStart
    ? [
      BASELINE,
      ...floorCandidates(ROOT, work, peers.stsUrl),
      ...epicacCandidates(ROOT, peers.stsUrl),
    ]
    : [];
  // The pod's environment and nothing else: no proxy variables, no AWS profile, a fresh HOME.
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: work,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: peers.agentUrl,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: peers.tokenFile,
  };
  const checks = new Map<string, Check>();
  for (const c of candidates.filter((c) => !c.missing)) {
    log(`checking ${c.label}, ${c.path}`);
    const expected = expectedOutput(c.path, peers.credentials);
    checks.set(c.id, checkRuns(c.command, expected, CHECK_RUNS, { env, dir: work }));
  }
  const good = candidates.filter((c) => checks.has(c.id) && !("problem" in checks.get(c.id)!));
  const timings = timeCandidates(good, { ...args, env, dir: work }, log);

  if (args.node) log("setting up the node's pods and agent");
  const node = args.node ? await setUpNode(ROOT, work, peers.stsUrl, args.nodePods) : undefined;
  const servers = args.serve
    ? await runServers([
      ...serveSpecs(ROOT, work, peers.credentials.AccessKeyId, args.minServeRatio),
      ...(node ? [await warmNodeSpec(node)] : []),
    ], {
      env,
      dir: work,
      seconds: args.serveSeconds,
      sustainedRequests: args.serveRequests,
      log,
    })
    : undefined;
  const coldPath = node && !node.missing ? await runColdPath(node, { env, log }) : undefined;
  // Again, with session tokens as long as real ones: what a node holds grows with them.
  const longTokens = coldPath?.status === "measured"
    ? await runColdPath(
      await setUpNode(
        ROOT,
        work,
        await startSts(ROOT, REAL_TOKEN_LENGTH),
        args.nodePods,
        REAL_TOKEN_LENGTH,
      ),
      { env, log },
    )
    : undefined;
  const doc = resultsDocument({
    root: ROOT,
    machine,
    settings: {
      runs: args.runs,
      warmup: args.warmup,
      runsPerRound: RUNS_PER_ROUND,
      checkRuns: CHECK_RUNS,
      ...(servers ? { serveSeconds: args.serveSeconds, serveRequests: args.serveRequests } : {}),
    },
    coldStart: coldStart(candidates, checks, timings),
    servers,
    node: node && { coldPath, longTokens },
    maxRatio: args.maxRatio,
  });
  const out = resolve(args.out ?? join(ROOT, "bench"));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), JSON.stringify(doc, null, 2) + "\n");
  writeFileSync(join(out, "results.md"), markdown(doc));
  process.stdout.write(markdown(doc));
  log(`wrote ${join(out, "results.json")} and results.md`);
  const failed = [
    ...doc.coldStart.filter((r) => r.status === "failed").map((r) => `${r.label}, ${r.path}`),
    ...(servers ?? []).filter((s) => s.status === "failed").map((s) => s.name),
    ...[coldPath, longTokens].filter((c) => c?.status === "failed").map((c) =>
      `the cold path: ${c!.reason}`
    ),
    ...doc.gates.filter((g) => !g.pass).map((g) => `gate ${g.name}`),
  ];
  for (const what of failed) log(`FAILED: ${what}`);
  return failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  log((error as Error).message);
  process.exitCode = 1;
} finally {
  await stopAll();
}
