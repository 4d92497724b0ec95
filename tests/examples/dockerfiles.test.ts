// examples/Dockerfile.*: multi-stage builds on a glibc base, non-root, with no shell in the
// final stage; examples/README.md names the base images that cannot work.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  dockerInstructions,
  EXAMPLES,
  IMAGE_BINARY,
  IMAGE_CONFIG,
  read,
} from "../support/examples.ts";
import { ROOT } from "../support/epicac.ts";

const FINAL_BASES: Record<string, RegExp> = {
  "Dockerfile.distroless":
    /^gcr\.io\/distroless\/(base|cc)-debian1\d(:nonroot)(@sha256:[0-9a-f]{64})?$/,
  "Dockerfile.chainguard": /^cgr\.dev\/chainguard\/glibc-dynamic(:latest)?(@sha256:[0-9a-f]{64})?$/,
};

for (const [name, finalBase] of Object.entries(FINAL_BASES)) {
  test(`${name}: multi-stage, glibc base, non-root, no shell in the final stage`, () => {
    const instructions = dockerInstructions(read(join(EXAMPLES, name)));
    const stages: { from: string; body: { keyword: string; args: string }[] }[] = [];
    for (const instruction of instructions) {
      if (instruction.keyword === "FROM") stages.push({ from: instruction.args, body: [] });
      else {
        assert.ok(stages.length > 0, `${instruction.keyword} before the first FROM`);
        stages[stages.length - 1].body.push(instruction);
      }
    }
    assert.ok(stages.length >= 2, "multi-stage");
    const [build, final] = [stages[0], stages[stages.length - 1]];
    const args = (stage: typeof build, keyword: string) =>
      stage.body.filter((i) => i.keyword === keyword).map((i) => i.args);

    // Build stage: the project's own build.
    assert.match(build.from, /\sAS build$/i);
    assert.deepEqual(args(build, "RUN"), ["make build-bun"]);

    // Final stage: the base, no shell needed, non-root.
    const base = final.from.replace(/^--platform=\S+\s+/, "");
    assert.match(base, finalBase);
    assert.deepEqual(args(final, "RUN"), [], "no RUN: there is no shell");
    assert.deepEqual(args(final, "SHELL"), []);
    const users = args(final, "USER");
    assert.ok(users.length > 0, "USER is set");
    assert.match(users[users.length - 1], /^[1-9]\d*(:[1-9]\d*)?$/, "a numeric non-root USER");
    for (const keyword of ["ENTRYPOINT", "CMD"]) {
      for (const value of args(final, keyword)) {
        assert.ok(Array.isArray(JSON.parse(value)), `${keyword} in exec form: ${value}`);
      }
    }
    assert.deepEqual(JSON.parse(args(final, "ENTRYPOINT")[0]), [IMAGE_BINARY]);

    // The binary for the target architecture, under the names scripts/build gives them.
    const copies = args(final, "COPY");
    assert.ok(args(final, "ARG").includes("TARGETARCH"));
    assert.ok(
      copies.includes(`--from=build /src/dist/epicac-bun-linux-\${TARGETARCH} ${IMAGE_BINARY}`),
      `COPY of the binary: ${copies.join(" | ")}`,
    );
    // scripts/build takes its targets' names from scripts/payload.sh.
    const buildScript = read(join(ROOT, "scripts", "payload.sh"));
    for (const targetArch of ["amd64", "arm64"]) {
      assert.match(buildScript, new RegExp(`\\[bun-linux-${targetArch}\\]=`));
    }
    assert.ok(copies.includes(`examples/aws-config ${IMAGE_CONFIG}`), "COPY of the config");
    assert.ok(args(final, "ENV").includes(`AWS_CONFIG_FILE=${IMAGE_CONFIG}`));

    // Every path copied from the build context exists and passes the .dockerignore.
    const ignore = read(join(EXAMPLES, `${name}.dockerignore`)).split("\n")
      .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(ignore[0], "*", "the .dockerignore excludes everything first");
    const allowed = ignore.slice(1).map((l) => {
      assert.ok(l.startsWith("!"), `only exceptions after '*': ${l}`);
      return l.slice(1);
    });
    const fromContext = stages.flatMap((s) => args(s, "COPY")).filter((c) => !c.startsWith("--"));
    for (const copy of fromContext) {
      for (const source of copy.split(/\s+/).slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, source)), `${source} exists in the repository`);
        assert.ok(
          allowed.some((a) => source === a || (a.endsWith("/") && source.startsWith(a))),
          `${source} is let through by ${name}.dockerignore`,
        );
      }
    }
  });
}

test("Dockerfile.distroless: stage serve is the sidecar: the binary with serve as its command", () => {
  const instructions = dockerInstructions(read(join(EXAMPLES, "Dockerfile.distroless")));
  const start = instructions.findIndex((i) => i.keyword === "FROM" && /\sAS serve$/i.test(i.args));
  assert.ok(start > 0, "a stage named serve, after the build");
  const end = instructions.findIndex((i, at) => at > start && i.keyword === "FROM");
  const stage = instructions.slice(start + 1, end < 0 ? undefined : end);
  const args = (keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);
  assert.match(
    instructions[start].args,
    /^gcr\.io\/distroless\/base-debian12:nonroot(@sha256:[0-9a-f]{64})? AS serve$/,
  );
  assert.deepEqual(args("RUN"), []);
  assert.deepEqual(args("USER"), ["65532:65532"]);
  assert.deepEqual(args("COPY"), [
    `--from=build /src/dist/epicac-bun-linux-\${TARGETARCH} ${IMAGE_BINARY}`,
  ]);
  assert.deepEqual(JSON.parse(args("ENTRYPOINT")[0]), [IMAGE_BINARY, "serve"]);
  const cmd = JSON.parse(args("CMD")[0]) as string[];
  assert.deepEqual(cmd.slice(0, 2), ["--listen", "127.0.0.1:9911"]);
  assert.equal(cmd[cmd.indexOf("--token-file") + 1], "/var/run/epicac/token");
});

test("examples/README.md names the base images that cannot work, and why", () => {
  const readme = read(join(EXAMPLES, "README.md"));
  for (const needle of ["static-debian12", "`scratch`", "Alpine", "musl", "glibc", "/proc"]) {
    assert.ok(readme.includes(needle), `README mentions ${needle}`);
  }
});
