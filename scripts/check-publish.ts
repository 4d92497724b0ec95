// What JSR would get from `deno publish`, checked by make check with a dry run: the module
// (src/mod.ts and every file it imports, as `deno info` finds them), README.md, LICENSE, and
// deno.json (JSR's manifest), and nothing else. deno publish itself refuses a package that
// leaves out a module the entry point imports; this refuses one that carries anything more.
// Also: the npm: specifiers deno.json maps the bare imports to, which deno publish writes into
// the published files so that JSR's users resolve them, pin the versions in package.json, and
// deno.json's version is package.json's.
// Usage: deno run --allow-read --allow-run --allow-env scripts/check-publish.ts

import process from "node:process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ALWAYS = ["LICENSE", "README.md", "deno.json"];

/** deno with `args` in the checkout: what it printed, or exit 1 with it if it failed. */
function run(args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync(Deno.execPath(), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.status !== 0) {
    console.error(
      `check-publish: deno ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`,
    );
    process.exit(1);
  }
  return result;
}

const problems: string[] = [];

// The module graph: the local files src/mod.ts reaches, dynamic imports included.
const info = JSON.parse(run(["info", "--json", "src/mod.ts"]).stdout) as {
  modules: { specifier: string }[];
};
const graph = info.modules.map((m) => m.specifier)
  .filter((s) => s.startsWith(`file://${ROOT}src/`))
  .map((s) => s.slice(`file://${ROOT}`.length));
const expected = [...ALWAYS, ...graph].sort();

// The dry run lists each file it would upload on a line of its own (on stderr): "   file:///… (size)".
const dryRun = run(["publish", "--dry-run", "--allow-dirty"]);
const published = [...`${dryRun.stdout}${dryRun.stderr}`.matchAll(/^\s+file:\/\/(\S+) \(/gm)]
  .map((m) => m[1].slice(ROOT.length)).sort();
const extra = published.filter((file) => !expected.includes(file));
const missing = expected.filter((file) => !published.includes(file));
if (extra.length) {
  problems.push(`it would publish files the module does not need: ${extra.join(", ")}`);
}
if (missing.length) problems.push(`it would not publish: ${missing.join(", ")}`);

// deno.json's npm: imports pin package.json's dependencies.
const deno = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8"));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8"));
for (const [specifier, target] of Object.entries(deno.imports ?? {}) as [string, string][]) {
  const match = /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)/.exec(target);
  if (!match) {
    problems.push(`deno.json maps ${specifier} to ${target}, not to an npm: package and version`);
    continue;
  }
  const [, name, version] = match;
  if (pkg.dependencies?.[name] !== version) {
    problems.push(
      `deno.json maps ${specifier} to ${name}@${version}, package.json's dependencies have ${
        pkg.dependencies?.[name] ?? "no " + name
      }`,
    );
  }
}
if (deno.version !== pkg.version) {
  problems.push(`deno.json's version ${deno.version} is not package.json's ${pkg.version}`);
}

if (problems.length) {
  for (const problem of problems) console.error(`check-publish: ${problem}`);
  process.exit(1);
}
console.log(
  `deno publish --dry-run: ${published.length} files, the module's and ${ALWAYS.join(", ")}`,
);
