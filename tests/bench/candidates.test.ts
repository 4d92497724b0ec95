// scripts/bench/candidates.ts: every candidate is listed, in a fixed order, whether it can run
// or not; a binary that was not built is missing (with the reason), never dropped; foreign
// binaries are emulated; the baseline is the seed's one-liner run through sh -c.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BASELINE_SCRIPT,
  type Candidate,
  candidates,
  type Machine,
} from "../../scripts/bench/candidates.ts";

const ROOT = "/repo";
const STS = "http://127.0.0.1:4566";

function fakeMachine(nativeArch: "amd64" | "arm64", files: string[], tools: string[]): Machine {
  return {
    nativeArch,
    exists: (file) => files.includes(file),
    which: (name) => (tools.includes(name) ? `/usr/bin/${name}` : undefined),
  };
}

const ALL_BINARIES = ["bun", "deno"].flatMap((runtime) =>
  ["amd64", "arm64"].map((arch) => `${ROOT}/dist/epicac-${runtime}-linux-${arch}`)
);
const EMULATION = ["/usr/aarch64-linux-gnu", "/usr/x86_64-linux-gnu"];

function byId(list: Candidate[], id: string): Candidate {
  const found = list.find((c) => c.id === id);
  assert.ok(found, `${id} is listed`);
  return found;
}

test("candidates: the baseline first, then native, then emulated; each binary on both paths", () => {
  const list = candidates(
    fakeMachine("amd64", [...ALL_BINARIES, ...EMULATION], [
      "curl",
      "jq",
      "qemu-aarch64",
    ]),
    { root: ROOT, stsEndpoint: STS, includeEmulated: true },
  );
  assert.deepEqual(list.map((c) => c.id), [
    "baseline",
    "epicac-bun-linux-amd64 default",
    "epicac-bun-linux-amd64 assume",
    "epicac-deno-linux-amd64 default",
    "epicac-deno-linux-amd64 assume",
    "epicac-bun-linux-arm64 default",
    "epicac-bun-linux-arm64 assume",
    "epicac-deno-linux-arm64 default",
    "epicac-deno-linux-arm64 assume",
  ]);
  assert.ok(list.every((c) => c.status === "ready"));
  assert.equal(list.filter((c) => c.emulated).length, 4);
});

test("candidates: the baseline is the seed's curl | jq one-liner, with -s, as one sh -c process", () => {
  const [baseline] = candidates(fakeMachine("amd64", [], ["curl", "jq"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: true,
  });
  assert.deepEqual(baseline.command, ["sh", "-c", BASELINE_SCRIPT]);
  assert.equal(
    BASELINE_SCRIPT,
    `curl -s -H "Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" ` +
      `$AWS_CONTAINER_CREDENTIALS_FULL_URI | jq -c '{AccessKeyId: .AccessKeyId, ` +
      `SecretAccessKey: .SecretAccessKey, SessionToken: .Token, Expiration: .Expiration, ` +
      `Version: 1}'`,
  );
  assert.deepEqual(baseline.files, ["/usr/bin/curl", "/usr/bin/jq"]);
});

test("candidates: a Deno binary that was not built is listed as missing, with why", () => {
  const bunOnly = ALL_BINARIES.filter((file) => file.includes("-bun-"));
  const list = candidates(fakeMachine("amd64", [...bunOnly, ...EMULATION], ["curl", "jq"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: true,
  });
  assert.equal(list.length, 9, "nothing is dropped");
  for (const id of ["epicac-deno-linux-amd64 default", "epicac-deno-linux-arm64 assume"]) {
    const deno = byId(list, id);
    assert.equal(deno.status, "missing");
    assert.match(deno.reason!, /was not built .*denort/);
  }
  assert.equal(byId(list, "epicac-bun-linux-amd64 default").status, "ready");
});

test("candidates: a missing curl or jq makes the baseline missing, not absent", () => {
  const [baseline] = candidates(fakeMachine("amd64", ALL_BINARIES, ["curl"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: true,
  });
  assert.equal(baseline.status, "missing");
  assert.match(baseline.reason!, /jq not on PATH/);
});

test("candidates: arm64 on amd64 runs under qemu-aarch64 and is labelled emulated", () => {
  const list = candidates(
    fakeMachine("amd64", [...ALL_BINARIES, ...EMULATION], [
      "curl",
      "jq",
      "qemu-aarch64",
    ]),
    { root: ROOT, stsEndpoint: STS, includeEmulated: true },
  );
  const arm = byId(list, "epicac-bun-linux-arm64 default");
  assert.equal(arm.emulated, true);
  assert.equal(arm.label, "epicac-bun-linux-arm64 (emulated)");
  assert.deepEqual(arm.command, [
    "qemu-aarch64",
    "-L",
    "/usr/aarch64-linux-gnu",
    `${ROOT}/dist/epicac-bun-linux-arm64`,
  ]);
  const native = byId(list, "epicac-bun-linux-amd64 default");
  assert.equal(native.emulated, false);
  assert.deepEqual(native.command, [`${ROOT}/dist/epicac-bun-linux-amd64`]);
});

test("candidates: on a native arm64 machine arm64 is native and amd64 is the emulated one", () => {
  const list = candidates(fakeMachine("arm64", ALL_BINARIES, ["curl", "jq"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: true,
  });
  assert.equal(list[1].id, "epicac-bun-linux-arm64 default");
  assert.equal(list[1].emulated, false);
  const amd = byId(list, "epicac-bun-linux-amd64 default");
  assert.equal(amd.emulated, true);
  // No qemu-x86_64 here: listed as skipped, with what to install.
  assert.equal(amd.status, "skipped");
  assert.match(amd.reason!, /qemu-x86_64/);
});

test("candidates: --no-emulated lists the emulated binaries as skipped", () => {
  const list = candidates(
    fakeMachine("amd64", [...ALL_BINARIES, ...EMULATION], [
      "curl",
      "jq",
      "qemu-aarch64",
    ]),
    { root: ROOT, stsEndpoint: STS, includeEmulated: false },
  );
  const emulated = list.filter((c) => c.emulated);
  assert.equal(emulated.length, 4);
  assert.ok(emulated.every((c) => c.status === "skipped" && /--no-emulated/.test(c.reason!)));
});

test("candidates: the --assume path adds one hop through the STS stub", () => {
  const list = candidates(fakeMachine("amd64", ALL_BINARIES, ["curl", "jq"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: true,
  });
  const assume = byId(list, "epicac-bun-linux-amd64 assume");
  assert.deepEqual(assume.command.slice(1), [
    "--assume",
    "arn:aws:iam::222222222222:role/bench",
    "--sts-endpoint",
    STS,
    "--region",
    "us-east-1",
  ]);
});

test("candidates: the floors follow the baseline, native, with the same path arguments", () => {
  const list = candidates(fakeMachine("amd64", ALL_BINARIES, ["curl", "jq"]), {
    root: ROOT,
    stsEndpoint: STS,
    includeEmulated: false,
    floors: [
      { role: "floor", runtime: "bun", path: "default", file: "/scratch/floor-bun-default" },
      { role: "floor", runtime: "bun", path: "assume", file: "/scratch/floor-bun-assume" },
      {
        role: "floor",
        runtime: "deno",
        path: "default",
        file: "/scratch/floor-deno-default",
        failure: "why",
      },
      { role: "module", runtime: "bun", path: "default", file: "/scratch/module-bun-default" },
    ],
  });
  assert.deepEqual(list.slice(0, 6).map((c) => c.id), [
    "baseline",
    "floor-bun default",
    "floor-bun assume",
    "floor-deno default",
    "module-bun default",
    "epicac-bun-linux-amd64 default",
  ]);
  assert.equal(byId(list, "module-bun default").kind, "module");
  const assume = byId(list, "floor-bun assume");
  assert.equal(assume.kind, "floor");
  assert.equal(assume.emulated, false);
  assert.deepEqual(
    assume.command.slice(1),
    byId(list, "epicac-bun-linux-amd64 assume").command.slice(1),
  );
  assert.equal(byId(list, "floor-deno default").status, "missing");
  assert.equal(byId(list, "floor-deno default").reason, "why");
});
