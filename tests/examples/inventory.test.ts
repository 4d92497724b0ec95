// examples/: every file there is one of the kinds the example tests check.

import { test } from "node:test";
import assert from "node:assert/strict";
import { exampleFiles, rel } from "../support/examples.ts";

test("every file in examples/ is one of the kinds this test checks", () => {
  const unchecked = exampleFiles().map(rel).filter((f) =>
    !/^kubernetes\/[\w-]+\.yaml$/.test(f) && !/^iam\/[\w-]+\.json$/.test(f) &&
    !/^kubernetes\/node\/([\w-]+\.yaml|README\.md)$/.test(f) &&
    !/^prometheus\/epicac-rules(\.test)?\.yaml$/.test(f) &&
    !/^terraform\/[\w-]+\.tf$/.test(f) &&
    !/^Dockerfile\.(distroless|chainguard)(\.dockerignore)?$/.test(f) &&
    f !== "aws-config" && f !== "README.md"
  );
  assert.deepEqual(unchecked, []);
});
