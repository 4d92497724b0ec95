// make bench: epicac's cold start against the `curl | jq` baseline and against its floors (minimal
// programs on the same runtime, compiled in the same run). Runs under bun, because every run is
// timed around Bun.spawnSync. The command line is in scripts/bench/args.ts; the parts are
// in scripts/bench/, one job per file.

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseBenchArgs, USAGE, UsageError } from "./bench/args.ts";
import { budgetCandidateId, checkBudget, exitCodeFor } from "./bench/budget.ts";
import { candidates, thisMachine } from "./bench/candidates.ts";
import { buildFloors } from "./bench/floors.ts";
import { DENO_PERMISSIONS } from "./deno-permissions.ts";
import { machineInfo } from "./bench/machine.ts";
import { runServeBench } from "./bench/serve.ts";
import { measure } from "./bench/measure.ts";
import { type BenchPeers, startBenchPeers } from "./bench/peers.ts";
import { markdownReport, resultsDocument } from "./bench/report.ts";
import { toResult, withRatios } from "./bench/results.ts";
import { bunApi, bunRunner, gnuTimeRunner } from "./bench/spawn.ts";
import { coldStartSvg } from "./bench/svg.ts";
import { expectationFor } from "./bench/validate.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const bun = bunApi();
  if (!bun) {
    console.error("bench: run this with bun (every run is timed around Bun.spawnSync)");
    return 2;
  }
  const outDir = resolve(args.out ?? join(ROOT, "bench"));
  const work = mkdtempSync(join(tmpdir(), "epicac-bench-"));
  let peers: BenchPeers | undefined;
  // Whatever happens (an error, Ctrl-C, SIGTERM), the peers and the scratch directory go.
  const cleanUpNow = () => {
    peers?.kill();
    rmSync(work, { recursive: true, force: true });
  };
  process.on("exit", cleanUpNow);
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      console.error(`bench: stopped by ${signal}`);
      process.exit(code);
    });
  }

  try {
    peers = await startBenchPeers({ bun: process.execPath, root: ROOT, dir: work });
    const here = thisMachine(process.env);
    console.error("bench: building the floors");
    const floors = buildFloors({
      root: ROOT,
      dir: work,
      arch: here.nativeArch,
      bun: process.execPath,
      // Without a Deno binary in dist/, deno compile could not get its runtime: no Deno floor.
      deno: !here.exists(join(ROOT, "dist", `epicac-deno-linux-${here.nativeArch}`))
        ? { reason: "not built: there is no Deno binary in dist/ to compare it with" }
        : here.which("deno") ?? { reason: "not built: deno is not on PATH" },
      denoPermissions: DENO_PERMISSIONS,
      spawn(command) {
        const inherited = Object.entries(process.env)
          .filter((entry): entry is [string, string] => entry[1] !== undefined);
        const done = bun.spawnSync(command, {
          env: Object.fromEntries(inherited),
          cwd: ROOT,
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe",
          timeout: 300_000,
        });
        return {
          exitCode: done.exitCode ?? 1,
          stderr: new TextDecoder().decode(done.stderr ?? new Uint8Array()),
        };
      },
    });
    const list = candidates(here, {
      root: ROOT,
      stsEndpoint: peers.sts.url,
      includeEmulated: args.emulated,
      floors,
    });
    const machine = machineInfo(ROOT, list);
    const ready = list.filter((c) => c.status === "ready").length;
    console.error(
      `bench: ${ready} of ${list.length} candidates can run; ` +
        `${args.warmup} warm-up + ${args.runs} counted rounds, round-robin, then memory rounds`,
    );
    // The pod's environment and nothing else: no proxy variables, no AWS profile, a fresh HOME.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: work,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: peers.agent.url,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: peers.tokenFile,
    };
    const served = peers.credentials;
    const memoryRunner = gnuTimeRunner(bun, env, work);
    if (!memoryRunner) console.error("bench: /usr/bin/time (GNU time) not found: no peak RSS");
    // Peak RSS hardly varies from run to run: a few runs are enough.
    const memoryRuns = memoryRunner ? Math.min(args.runs, 5) : 0;
    const interactive = process.stderr.isTTY;
    const measurements = await measure(list, {
      runs: args.runs,
      warmup: args.warmup,
      expectationFor: (c) => expectationFor(c.path, served),
      runner: bunRunner(bun, env, work),
      ...(memoryRunner ? { memory: { runs: memoryRuns, runner: memoryRunner } } : {}),
      onRound(round, rounds) {
        if (interactive) process.stderr.write(`\rbench: round ${round}/${rounds}`);
        else if (round % 10 === 0 || round === rounds) {
          console.error(`bench: round ${round}/${rounds}`);
        }
      },
    });
    if (interactive) process.stderr.write("\n");
    // serve: the native Bun binary as a sidecar, loaded by wrk, against the same agent.
    const sidecarBinary = join(ROOT, "dist", `epicac-bun-linux-${here.nativeArch}`);
    const serve = args.serve && here.exists(sidecarBinary)
      ? await runServeBench({
        binary: sidecarBinary,
        agentUrl: peers.agent.url,
        agentTokenFile: peers.tokenFile,
        dir: work,
        env: { PATH: env.PATH, HOME: env.HOME },
        wrk: here.which("wrk"),
        secondsPerLoad: args.serve.seconds,
        millionRequests: args.serve.requests,
        accessKeyId: served.AccessKeyId,
        log: (line) => console.error(`bench: ${line}`),
      })
      : undefined;
    await peers.stop();

    const results = withRatios(measurements.map((m) => toResult(m, sizeOf)));
    const budget = args.maxRatio === undefined
      ? undefined
      : checkBudget(results, args.maxRatio, budgetCandidateId(machine.arch));
    const settings = { runs: args.runs, warmup: args.warmup, memoryRuns };
    mkdirSync(outDir, { recursive: true });
    const jsonFile = join(outDir, "results.json");
    const svgFile = join(outDir, "cold-start.svg");
    writeFileSync(
      jsonFile,
      JSON.stringify(
        resultsDocument({
          machine,
          rssMeasured: memoryRunner !== undefined,
          settings,
          results,
          budget,
          ...(serve ? { serve } : {}),
        }, ROOT),
        null,
        2,
      ) + "\n",
    );
    writeFileSync(svgFile, coldStartSvg(results, { arch: machine.arch, ...settings }));
    const shown = (file: string) => {
      const rel = relative(process.cwd(), file);
      return rel.startsWith("..") ? file : rel;
    };
    process.stdout.write(
      markdownReport({
        machine,
        rssMeasured: memoryRunner !== undefined,
        settings,
        results,
        budget,
        ...(serve ? { serve } : {}),
        files: [jsonFile, svgFile].map(shown),
      }),
    );
    for (const r of results.filter((r) => r.status === "failed")) {
      console.error(`bench: FAILED: ${r.label} ${r.path}: ${r.reason}`);
    }
    if (serve?.status === "failed") console.error(`bench: FAILED: serve: ${serve.reason}`);
    if (budget && !budget.pass) console.error(`bench: ${budget.message}`);
    return serve?.status === "failed" ? 1 : exitCodeFor(results, budget);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await peers?.stop();
    cleanUpNow();
  }
}

process.exitCode = await main(process.argv.slice(2));
