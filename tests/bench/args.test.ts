// The benchmark's command line: which sections run (node is measured against serve, so it goes
// with it), and the node section's pods, which by default fill exactly the entries epicac node
// holds by default, and never more, which would measure evictions instead.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs, USAGE, UsageError } from "../../scripts/bench/args.ts";
import { ROUTES } from "../../scripts/bench/node.ts";
import { MAX_ENTRIES } from "../../src/node/inputs.ts";

const sections = (argv: string[]) => {
  const { coldStart, serve, node } = parseBenchArgs(argv);
  return { coldStart, serve, node };
};

test("bench args: every section by default; node goes with serve", () => {
  assert.deepEqual(sections([]), { coldStart: true, serve: true, node: true });
  assert.deepEqual(sections(["--no-cold-start"]), { coldStart: false, serve: true, node: true });
  assert.deepEqual(sections(["--no-node"]), { coldStart: true, serve: true, node: false });
  assert.deepEqual(sections(["--no-serve"]), { coldStart: true, serve: false, node: false });
});

test("bench args: the node's pods fill its default entries, and no more", () => {
  const pods = parseBenchArgs([]).nodePods;
  assert.equal(pods * ROUTES.length, MAX_ENTRIES.default);
  assert.equal(parseBenchArgs(["--node-pods", "4"]).nodePods, 4);
  assert.equal(parseBenchArgs(["--node-pods", `${pods}`]).nodePods, pods);
  for (const given of [`${pods + 1}`, "1", "0", "-3", "4.5", "4e3", ""]) {
    assert.throws(
      () => parseBenchArgs([`--node-pods=${given}`]),
      (error) =>
        error instanceof UsageError &&
        error.message === `--node-pods takes a whole number from 2 to ${pods}, not "${given}"`,
      given,
    );
  }
  assert.throws(() => parseBenchArgs(["--node-pods"]), UsageError);
  assert.throws(() => parseBenchArgs(["--no-node=yes"]), UsageError);
  assert.match(USAGE, new RegExp(`at most ${pods}: node holds ${MAX_ENTRIES.default} entries`));
});
