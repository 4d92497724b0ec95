// scripts/import-cycles.ts: src/ has no import cycle, type-only imports included; and the check
// is shown to find one: planted cycles (static, dynamic, type-only, self) are each reported.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCycles, importGraph } from "../../scripts/import-cycles.ts";
import { ROOT } from "../support/epicac.ts";

const dir = mkdtempSync(join(tmpdir(), "epicac-cycles-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(dir, "tree-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

test("src/ has no import cycle", () => {
  const graph = importGraph(join(ROOT, "src"));
  assert.ok(graph.size > 30, "the whole tree was read");
  assert.deepEqual(findCycles(graph), []);
});

test("a planted cycle is found, whatever kind of import closes it", () => {
  for (
    const closing of [
      'import { a } from "../a.ts";',
      'const b = await import("../a.ts");',
      'import type { A } from "../a.ts";',
      'export { a } from "../a.ts";',
    ]
  ) {
    const root = tree({
      "a.ts": 'import { b } from "./sub/b.ts";\nexport const a = 1;\n',
      "sub/b.ts": `${closing}\nexport const b = 2;\n`,
      "c.ts": 'import { a } from "./a.ts";\n',
    });
    const cycles = findCycles(importGraph(root));
    assert.deepEqual(cycles, [[join(root, "a.ts"), join(root, "sub/b.ts")]], closing);
  }
});

test("a module importing itself is a cycle; an import in a comment is not", () => {
  const root = tree({
    "self.ts": 'import { x } from "./self.ts";\n',
    "doc.ts": '/**\n * import { y } from "./other.ts";\n */\n// import { z } from "./other.ts";\n',
    "other.ts": 'import "./doc.ts";\n',
  });
  assert.deepEqual(findCycles(importGraph(root)), [[join(root, "self.ts")]]);
});
