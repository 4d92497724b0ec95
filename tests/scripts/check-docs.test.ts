// scripts/check-docs.ts on planted pages: a path, a flag, a make target or a figure that is not
// what the repository has is reported with its page and line; the same page without them passes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  checkPage,
  type Context,
  fileNames,
  helpTexts,
  makeTargets,
} from "../../scripts/check-docs.ts";
import { ROOT } from "../support/epicac.ts";

const context: Context = {
  root: ROOT,
  names: fileNames(ROOT),
  helps: await helpTexts(),
  makeTargets: makeTargets(readFileSync(`${ROOT}Makefile`, "utf8")),
};

const GOOD = [
  "Run `epicac --assume arn:aws:iam::1:role/x --cache-dir /tmp/c` or `epicac serve --token-file t`.",
  "See [the node example](../examples/kubernetes/node/README.md) and `src/commands/node.ts`.",
  "```",
  "epicac node --routes /etc/epicac/routes.json --listen 169.254.170.23:90",
  "make test",
  "```",
  "<!-- generated:bench -->",
  "| serve | 1.08× |",
  "<!-- /generated:bench -->",
].join("\n");

test("a page that names only what exists passes", () => {
  assert.deepEqual(checkPage("docs/page.md", GOOD, context), []);
});

test("a wrong path, link, flag, make target or a typed figure is each reported", () => {
  const planted = [
    "See `src/commands/nowhere.ts` and [this](docs/missing.md).",
    "Run `epicac serve --token-file t --no-such-flag`.",
    "```",
    "epicac node --routes r --listen-all",
    "make frobnicate",
    "```",
    "It starts 1.28× faster than curl and serves 80,000 requests/s.",
  ].join("\n");
  const problems = checkPage("docs/page.md", planted, context);
  for (
    const expected of [
      /^docs\/page\.md:1: src\/commands\/nowhere\.ts does not exist$/,
      /^docs\/page\.md:1: the link docs\/missing\.md leads nowhere$/,
      /^docs\/page\.md:2: epicac serve has no flag --no-such-flag$/,
      /^docs\/page\.md:4: epicac node has no flag --listen-all$/,
      /^docs\/page\.md:5: make has no target frobnicate$/,
      /^docs\/page\.md:7: a benchmark figure typed into prose/,
    ]
  ) {
    assert.ok(problems.some((p) => expected.test(p)), `${expected} in ${problems.join("\n")}`);
  }
  assert.equal(problems.length, 6, problems.join("\n"));
});
