// The Go SDK v2 client of the serve tests (tests/e2e/clients/go-consumer), built offline from
// Debian's golang-go and golang-github-aws-aws-sdk-go-v2-dev into .tools/, or the reason it
// cannot be built here (reported as a skipped test).

import { existsSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { ROOT } from "./epicac.ts";

const SDK = "/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2";
const SOURCE = `${ROOT}tests/e2e/clients/go-consumer`;
const OUT = `${ROOT}.tools/go-consumer`;

/** The SDK version the consumer is built against, as Debian packages it. */
export function goSdkVersion(): string {
  const probe = spawnSync("dpkg-query", [
    "-W",
    "-f",
    "${Version}",
    "golang-github-aws-aws-sdk-go-v2-dev",
  ]);
  return probe.status === 0 ? String(probe.stdout) : "unknown";
}

export function buildGoConsumer(): { path: string } | { skip: string } {
  if (spawnSync("go", ["version"]).status !== 0) {
    return { skip: "the Go toolchain is not installed (Debian package golang-go)" };
  }
  if (!existsSync(SDK)) {
    return {
      skip: "the Go SDK v2 sources are not installed (golang-github-aws-aws-sdk-go-v2-dev)",
    };
  }
  mkdirSync(OUT, { recursive: true });
  const path = `${OUT}/consumer`;
  const build = spawnSync("go", ["build", "-o", path, "."], {
    cwd: SOURCE,
    env: {
      PATH: process.env.PATH,
      HOME: OUT,
      GOPROXY: "off",
      GOSUMDB: "off",
      GOFLAGS: "-mod=mod",
      GOTOOLCHAIN: "local",
      GOCACHE: `${OUT}/cache`,
      GOPATH: `${OUT}/gopath`,
    },
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`go build of the Go consumer failed: ${build.stderr}`);
  return { path };
}
