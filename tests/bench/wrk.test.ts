// scripts/bench/wrk.ts on reports wrk 4.1 really printed: latencies in us, ms and s, the
// "Non-2xx or 3xx responses" and "Socket errors" lines counted as errors, a report without
// --latency refused; and a wrk that fails never has the Authorization token in its message.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describeLoad,
  parseWrkOutput,
  runWrk,
  scrub,
  wrkArgs,
  type WrkLoad,
  wrkProblem,
  wrkTimeMs,
} from "../../scripts/bench/wrk.ts";

/** wrk -t1 -c1 -d2s --latency against epicac serve with its token. */
const SERVE_OK = `Running 2s test @ http://127.0.0.1:36889/v1/credentials
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   233.38us  844.98us  14.30ms   93.09%
    Req/Sec    40.88k    17.27k   63.82k    75.00%
  Latency Distribution
     50%   17.00us
     75%   26.00us
     90%  499.00us
     99%    3.49ms
  81085 requests in 2.00s, 25.29MB read
Requests/sec:  40471.76
Transfer/sec:     12.62MB
`;

/** The same with a wrong token: every answer a 403. */
const SERVE_403 = `Running 2s test @ http://127.0.0.1:36889/v1/credentials
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   485.71us    0.93ms  12.03ms   88.80%
    Req/Sec    22.31k    11.98k   43.24k    60.98%
  Latency Distribution
     50%  132.00us
     75%  277.00us
     90%    1.58ms
     99%    4.09ms
  91184 requests in 2.10s, 14.87MB read
  Non-2xx or 3xx responses: 91184
Requests/sec:  43424.10
Transfer/sec:      7.08MB
`;

/** A server that takes 1.2 s per answer. */
const SLOW = `Running 4s test @ http://127.0.0.1:43299/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21s     8.84ms   1.22s    41.67%
    Req/Sec     3.00      0.00     3.00    100.00%
  Latency Distribution
     50%    1.22s 
     75%    1.22s 
     90%    1.22s 
     99%    1.22s 
  12 requests in 4.01s, 1.45KB read
Requests/sec:      2.99
Transfer/sec:     370.76B
`;

/** A server that drops every third connection, then exits. */
const DROPPED = `Running 3s test @ http://127.0.0.1:40067/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   670.06us    1.31ms  16.63ms   92.10%
    Req/Sec     3.98k     1.98k    8.92k    72.22%
  Latency Distribution
     50%  276.00us
     75%  521.00us
     90%    1.45ms
     99%    6.77ms
  7133 requests in 3.06s, 863.76KB read
  Socket errors: connect 0, read 3575, write 5853, timeout 0
Requests/sec:   2330.19
Transfer/sec:    282.17KB
`;

/** A server slower than wrk's 2 s timeout: no latency at all, only timeouts. */
const TIMED_OUT = `Running 3s test @ http://127.0.0.1:42849/
  1 threads and 3 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  3 requests in 3.04s, 372.00B read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:      0.99
Transfer/sec:     122.52B
`;

test("wrk: times in us, ms, s and m are milliseconds", () => {
  assert.equal(wrkTimeMs("276.00us"), 0.276);
  assert.equal(wrkTimeMs("1.53ms"), 1.53);
  assert.equal(wrkTimeMs("1.22s"), 1220);
  assert.equal(wrkTimeMs("1.50m"), 90_000);
  assert.throws(() => wrkTimeMs("12"), /not a wrk time/);
  assert.throws(() => wrkTimeMs("3.1kB"), /not a wrk time/);
});

test("wrk: a clean run against serve, latencies in microseconds and one in ms", () => {
  assert.deepEqual(parseWrkOutput(SERVE_OK), {
    requestsPerSecond: 40471.76,
    latencyMs: { p50: 0.017, p75: 0.026, p90: 0.499, p99: 3.49 },
    requests: 81085,
    errors: 0,
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
    durationS: 2,
  });
  assert.equal(wrkProblem(parseWrkOutput(SERVE_OK)), undefined);
});

test("wrk: non-2xx answers are errors, and say so", () => {
  const result = parseWrkOutput(SERVE_403);
  assert.equal(result.non2xx, 91184);
  assert.equal(result.errors, 91184);
  assert.equal(result.requests, 91184);
  assert.deepEqual(result.latencyMs, { p50: 0.132, p75: 0.277, p90: 1.58, p99: 4.09 });
  assert.equal(result.durationS, 2.1);
  assert.equal(wrkProblem(result), "91184 non-2xx responses in 91184 requests");
});

test("wrk: latencies in seconds (with wrk's trailing blanks)", () => {
  const result = parseWrkOutput(SLOW);
  assert.deepEqual(result.latencyMs, { p50: 1220, p75: 1220, p90: 1220, p99: 1220 });
  assert.equal(result.requests, 12);
  assert.equal(result.requestsPerSecond, 2.99);
  assert.equal(result.durationS, 4.01);
  assert.equal(result.errors, 0);
});

test("wrk: socket errors of every kind are errors", () => {
  const dropped = parseWrkOutput(DROPPED);
  assert.deepEqual(dropped.socketErrors, { connect: 0, read: 3575, write: 5853, timeout: 0 });
  assert.equal(dropped.errors, 3575 + 5853);
  assert.deepEqual(dropped.latencyMs, { p50: 0.276, p75: 0.521, p90: 1.45, p99: 6.77 });
  assert.equal(
    wrkProblem(dropped),
    "9428 socket errors (read 3575, write 5853) in 7133 requests",
  );
  const timedOut = parseWrkOutput(TIMED_OUT);
  assert.equal(timedOut.errors, 3);
  assert.equal(timedOut.latencyMs.p99, 0);
  assert.equal(wrkProblem(timedOut), "3 socket errors (timeout 3) in 3 requests");
});

test("wrk: both kinds of error add up", () => {
  const both = SERVE_403.replace(
    "Requests/sec:",
    "  Socket errors: connect 2, read 0, write 0, timeout 1\nRequests/sec:",
  );
  const result = parseWrkOutput(both);
  assert.equal(result.errors, 91184 + 3);
  assert.equal(
    wrkProblem(result),
    "91184 non-2xx responses, 3 socket errors (connect 2, timeout 1) in 91184 requests",
  );
});

test("wrk: a report without what the benchmark needs is refused", () => {
  const noDistribution = SERVE_OK.replace(/ {2}Latency Distribution\n(.*%.*\n)+/, "");
  assert.throws(() => parseWrkOutput(noDistribution), /--latency/);
  assert.throws(() => parseWrkOutput(SERVE_OK.replace(/.*requests in.*\n/, "")), /requests in/);
  assert.throws(
    () => parseWrkOutput(SERVE_OK.replace(/Requests\/sec.*\n/, "")),
    /Requests\/sec/,
  );
  assert.throws(() => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused\n"));
  assert.throws(() => parseWrkOutput(""));
});

const TOKEN = "bench-token-0123456789abcdefghijklmnopqrstuvwxyz";
const LOAD: WrkLoad = {
  threads: 2,
  connections: 64,
  seconds: 10,
  url: "http://127.0.0.1:9911/v1/credentials",
  authorization: TOKEN,
};

test("wrk: the arguments, and a name for messages without the token", () => {
  assert.deepEqual(wrkArgs(LOAD), [
    "-t",
    "2",
    "-c",
    "64",
    "-d",
    "10s",
    "--latency",
    "-H",
    `Authorization: ${TOKEN}`,
    "http://127.0.0.1:9911/v1/credentials",
  ]);
  assert.equal(describeLoad(LOAD), "wrk -t2 -c64 -d10s");
  assert.throws(() => wrkArgs({ ...LOAD, seconds: 2.5 }), /whole number/);
  assert.throws(() => wrkArgs({ ...LOAD, connections: 0 }), /whole number/);
  assert.throws(() => wrkArgs({ ...LOAD, connections: 1 }), /as many connections as threads/);
  assert.equal(scrub(`said ${TOKEN} twice: ${TOKEN}`, TOKEN), "said <token> twice: <token>");
});

/** A stand-in for wrk: records its arguments, prints `output`, exits with `code`. */
function fakeWrk(dir: string, output: string, code: number): string {
  const file = join(dir, "wrk");
  writeFileSync(join(dir, "output.txt"), output);
  writeFileSync(
    file,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args.txt"\ncat "${dir}/output.txt"\n` +
      `echo "args: $*" >&2\nexit ${code}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

test("wrk: runWrk runs wrk with the load's arguments and parses its report", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-wrk-test-"));
  try {
    // The fake echoes its arguments to stderr: the report must still parse.
    const result = await runWrk(fakeWrk(dir, SERVE_OK, 0), LOAD);
    assert.equal(result.requests, 81085);
    assert.equal(readFileSync(join(dir, "args.txt"), "utf8"), wrkArgs(LOAD).join("\n") + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("wrk: a wrk that fails is an error that quotes it without the token", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-wrk-test-"));
  try {
    const failing = fakeWrk(dir, "unable to connect to 127.0.0.1:9911 Connection refused\n", 1);
    await assert.rejects(runWrk(failing, LOAD), (error: Error) => {
      assert.match(error.message, /^wrk -t2 -c64 -d10s exited \(code 1/);
      assert.match(error.message, /Connection refused/);
      assert.match(error.message, /Authorization: <token>/);
      assert.ok(!error.message.includes(TOKEN));
      return true;
    });
    const garbled = fakeWrk(dir, "not a report\n", 0);
    await assert.rejects(runWrk(garbled, LOAD), (error: Error) => {
      assert.match(error.message, /no latency distribution/);
      assert.ok(!error.message.includes(TOKEN));
      return true;
    });
    await assert.rejects(runWrk(join(dir, "absent"), LOAD), /could not start/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
