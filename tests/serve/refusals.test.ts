// src/serve/refusals.ts: refused requests become at most one log line per interval, with counts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { RefusalLog } from "../../src/serve/refusals.ts";
import { FakeClock } from "../support/clock.ts";

test("a flood of refusals is one line per interval, with the count by status", async () => {
  const clock = new FakeClock();
  const lines: Record<string, number>[] = [];
  const log = new RefusalLog(10_000, (counts) => lines.push(counts), clock);
  for (let i = 0; i < 10_000; i++) log.count(i % 10 === 0 ? 401 : 403);
  assert.deepEqual(lines, []);
  await clock.advance(10_000);
  assert.deepEqual(lines, [{ status401: 1000, status403: 9000 }]);
  await clock.advance(60_000);
  assert.equal(lines.length, 1, "nothing to say, nothing said");
  log.count(403);
  log.flush();
  assert.deepEqual(lines[1], { status403: 1 });
  assert.equal(clock.nextTimerIn(), undefined, "no timer is left behind");
});
