// Every page of the documentation says only what exists: each path it names (a link, or a
// repository path in code) is there; each `epicac` command line it shows uses flags that command's
// --help lists; each `make` target it names is in the Makefile; and no benchmark figure (a ratio,
// a rate, a latency) is typed into prose: figures come from bench/results.json through a
// generated block (scripts/docs.ts), or are not quoted.
//   deno run --allow-read scripts/check-docs.ts   (make check)

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import process from "node:process";

/** The commands whose flags a page may show, and their --help. */
export type HelpTexts = Record<string, string>;

export async function helpTexts(): Promise<HelpTexts> {
  const load = async (path: string) => (await import(path)).help() as Promise<string>;
  return {
    "": await load("../src/commands/credentials.ts"),
    doctor: await load("../src/commands/doctor.ts"),
    config: await load("../src/commands/config.ts"),
    serve: await load("../src/commands/serve.ts"),
    node: await load("../src/commands/node.ts"),
  };
}

/** The top-level directories and files a repository path in code starts with. */
const REPO_ROOTS =
  /^(src|tests|scripts|examples|docs|bench|\.github)\/|^[\w.-]+\.(md|json|ts|yaml)$/;
/** Made by a build or a run, not kept in the repository. */
const GENERATED = /^(dist|\.tools|\.test-results|node_modules)\//;
/**
 * Files the pages name that are not the repository's: a user's working directory's (that epicac
 * must not load), the routes ConfigMap's key.
 */
const USER_FILES = new Set(["tsconfig.json", "bunfig.toml", "routes.json"]);
const FIGURE = /\b\d+(\.\d+)?\s?×|\b[\d,]+(\.\d+)?\s(requests|req)\/s\b|\bp(50|99)\s(of\s)?\d/;

export interface Context {
  root: string;
  /** The names of every file in the repository, for a bare file name a page mentions. */
  names: Set<string>;
  helps: HelpTexts;
  makeTargets: Set<string>;
}

/** What is wrong with one page (`path` relative to the root), one line each. */
export function checkPage(path: string, text: string, context: Context): string[] {
  const problems: string[] = [];
  const say = (line: number, what: string) => problems.push(`${path}:${line}: ${what}`);
  const lines = text.split("\n");
  let fence = false;
  let generated = false;
  lines.forEach((line, i) => {
    const at = i + 1;
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      return;
    }
    if (/^<!-- generated:/.test(line)) generated = true;
    if (/^<!-- \/generated:/.test(line)) generated = false;
    const spans = fence ? [line] : [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    for (const span of spans) {
      for (const command of commandsIn(span)) checkCommand(command, context, (w) => say(at, w));
      checkMake(span, context, (w) => say(at, w));
      if (!fence) checkRepoPath(span, path, context, (w) => say(at, w));
    }
    if (fence) return;
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      const file = normalize(join(dirname(path), target.split("#")[0]));
      if (!existsSync(join(context.root, file))) say(at, `the link ${target} leads nowhere`);
    }
    const prose = line.replace(/`[^`]*`/g, "");
    if (!generated && FIGURE.test(prose)) {
      say(at, "a benchmark figure typed into prose: quote it through a generated block");
    }
  });
  return problems;
}

/** Each `epicac …` command line in a span of code: its words, up to a pipe or a redirect. */
function commandsIn(span: string): string[][] {
  const found: string[][] = [];
  for (const match of span.matchAll(/(?:^|[\s;&|(=])(?:\S*\/)?epicac((?:\s+[^\s|;&<>]+)*)/g)) {
    found.push(match[1].trim().split(/\s+/).filter(Boolean));
  }
  return found;
}

function checkCommand(words: string[], context: Context, say: (what: string) => void): void {
  const sub = words[0] && context.helps[words[0]] !== undefined ? words[0] : "";
  const help = context.helps[sub];
  for (const word of words) {
    const flag = /^(--[a-z][a-z0-9-]*)/.exec(word)?.[1];
    if (!flag || flag === "--help" || flag === "--version") continue;
    if (!new RegExp(`(^|[\\s\\[,])${flag}(?![a-z-])`, "m").test(help)) {
      say(`epicac ${sub ? `${sub} ` : ""}has no flag ${flag}`);
    }
  }
}

function checkMake(span: string, context: Context, say: (what: string) => void): void {
  for (const [, target] of span.matchAll(/(?:^|\s)make\s+([a-z][\w-]*)/g)) {
    if (!context.makeTargets.has(target)) say(`make has no target ${target}`);
  }
}

/** A path from the root or the page's directory; a bare name, a file somewhere in the repository. */
function checkRepoPath(span: string, page: string, context: Context, say: (w: string) => void) {
  const path = span.replace(/:\d+$/, "").replace(/\/$/, "");
  if (/\s|\*|<|\{|\$/.test(path) || GENERATED.test(path) || !REPO_ROOTS.test(path)) return;
  if (!path.includes("/")) {
    if (!context.names.has(path) && !USER_FILES.has(path)) say(`${span}: no such file here`);
    return;
  }
  const here = join(context.root, dirname(page), path);
  if (!existsSync(join(context.root, path)) && !existsSync(here)) say(`${span} does not exist`);
}

/** The names of the repository's files (what the build and the runs make left out). */
export function fileNames(root: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === ".git" || GENERATED.test(`${path}/`)) continue;
      if (entry.isDirectory()) walk(path);
      else names.add(entry.name);
    }
  };
  walk(".");
  return names;
}

/** The documentation's pages: the README, docs/, the examples' READMEs, the project files. */
export function pages(root: string): string[] {
  const found = ["README.md", "SECURITY.md", "CHANGELOG.md"].filter((p) =>
    existsSync(join(root, p))
  );
  const walk = (dir: string) => {
    if (!existsSync(join(root, dir))) return;
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".md") && (dir === "docs" || name === "README.md")) found.push(path);
    }
  };
  walk("docs");
  walk("examples");
  return found;
}

export function makeTargets(makefile: string): Set<string> {
  return new Set([...makefile.matchAll(/^([a-z][\w-]*):/gm)].map((m) => m[1]));
}

if (import.meta.main) {
  const root = ".";
  const context: Context = {
    root,
    names: fileNames(root),
    helps: await helpTexts(),
    makeTargets: makeTargets(readFileSync("Makefile", "utf8")),
  };
  const problems = pages(root).flatMap((page) =>
    checkPage(page, readFileSync(page, "utf8"), context)
  );
  for (const problem of problems) console.error(`docs: ${problem}`);
  if (problems.length > 0) process.exit(1);
}
