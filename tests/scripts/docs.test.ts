// scripts/docs.ts: the documentation's generated blocks come from the code; a block edited by
// hand, or one with no generator, is caught.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BLOCKS, regenerate } from "../../scripts/docs.ts";
import { pages } from "../../scripts/check-docs.ts";
import { ROOT } from "../support/epicac.ts";

test("the pages' generated blocks are what the code gives, and each block is on a page", () => {
  const all = pages(ROOT).map((path) => {
    const page = readFileSync(`${ROOT}${path}`, "utf8");
    assert.equal(regenerate(page, path), page, `${path}: run make docs`);
    return page;
  }).join("\n");
  assert.ok(pages(ROOT).includes("docs/operating.md"));
  for (const name of Object.keys(BLOCKS)) {
    assert.ok(all.includes(`<!-- generated:${name} -->`), `a page shows ${name}`);
  }
});

test("a block edited by hand is rewritten; a block without a generator is an error", () => {
  const edited =
    "x\n<!-- generated:flags:doctor -->\n| `--json` | hand |\n<!-- /generated:flags:doctor -->\n";
  const fresh = regenerate(edited, "page");
  assert.notEqual(fresh, edited);
  assert.match(fresh, /`--json`/);
  assert.doesNotMatch(fresh, /hand/);
  assert.throws(
    () => regenerate("<!-- generated:nope -->\n<!-- /generated:nope -->", "page"),
    /page: no generator for the block nope/,
  );
});

test("every flag a command declares appears in the generated tables, with its default", () => {
  const all = Object.values(BLOCKS).map((block) => block()).join("\n");
  for (const flag of ["--timeout S", "--listen HOST:PORT", "--profile NAME=ROLE_ARN", "--json"]) {
    assert.ok(all.includes(`\`${flag}\``), flag);
  }
  assert.match(all, /\| `--timeout S` \| `1` \|/, "times in seconds on the command line");
  assert.match(all, /\| `timeoutMs` \| `number` \| `1000` \|/, "in milliseconds for the module");
});
