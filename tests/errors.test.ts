// src/errors.ts: the one stderr line a failure ends with, the exit codes, and which errors are
// worth another attempt.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConnectionError,
  describeError,
  EpicacError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeFor,
  HttpStatusError,
  TimeoutError,
  UsageError,
} from "../src/errors.ts";
import { oneLine } from "../src/redact.ts";

test("describeError writes an EpicacError as 'epicac: message (hint)'", () => {
  assert.equal(
    describeError(new EpicacError("the agent answered HTTP 403", "check the association")),
    "epicac: the agent answered HTTP 403 (check the association)",
  );
});

test("describeError collapses newlines and control characters into single spaces", () => {
  const line = describeError(
    new EpicacError("first\nsecond\r\nthird\u0000fourth\u001b[31mred\u007f", "hint\tnext"),
  );
  assert.equal(line, "epicac: first second third fourth [31mred (hint next)");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f]/);
});

test("describeError collapses runs of spaces and trims the ends", () => {
  assert.equal(
    describeError(new EpicacError("  too    many   spaces  ", "  ")),
    "epicac: too many spaces ( )",
  );
});

test("describeError turns Unicode line and paragraph separators into spaces", () => {
  assert.equal(
    describeError(new EpicacError("a\u2028b\u2029c", "h")),
    "epicac: a b c (h)",
  );
});

test("describeError also collapses C1 control characters such as NEL (U+0085) and CSI (U+009B)", () => {
  const line = describeError(new EpicacError("one\u0085two\u009b31mthree", "h"));
  assert.match(line, /^epicac: one/);
  assert.match(line, /three \(h\)$/);
  assert.doesNotMatch(line, /[\u0080-\u009f]/);
});

test("describeError names an unexpected Error by its class, without a stack trace", () => {
  const error = new TypeError("x is not a function");
  assert.equal(
    describeError(error),
    "epicac: unexpected TypeError: x is not a function " +
      "(run again with --debug and report it if it persists)",
  );
});

test("describeError keeps an unexpected error with a multi-line message on one line", () => {
  const line = describeError(new RangeError("line one\n    at frame (file.ts:1:1)\nline three"));
  assert.equal(line.includes("\n"), false);
  assert.match(
    line,
    /^epicac: unexpected RangeError: line one at frame \(file\.ts:1:1\) line three/,
  );
});

test("describeError describes thrown values that are not errors by their type", () => {
  assert.match(describeError("just a string"), /^epicac: unexpected string: just a string \(/);
  assert.match(describeError(42), /^epicac: unexpected number: 42 \(/);
  assert.match(describeError(undefined), /^epicac: unexpected undefined: undefined \(/);
  assert.match(describeError(null), /^epicac: unexpected object: null \(/);
  assert.match(describeError({ code: 1 }), /^epicac: unexpected object: \[object Object\] \(/);
});

test("describeError never throws, even for a thrown object that cannot become a string", () => {
  const bare = Object.create(null);
  const hostile = {
    toString() {
      throw new Error("no");
    },
  };
  for (const value of [bare, hostile]) {
    let line = "";
    assert.doesNotThrow(() => {
      line = describeError(value);
    });
    assert.match(line, /^epicac: unexpected object/);
  }
});

test("oneLine joins lines and keeps ordinary text as it is", () => {
  assert.equal(oneLine("already one line: fine (really)"), "already one line: fine (really)");
  assert.equal(oneLine("  two\n lines\t"), "two lines");
});

test("exitCodeFor gives 2 for usage errors and 1 for every other failure", () => {
  assert.equal(EXIT_OK, 0);
  assert.equal(exitCodeFor(new UsageError("bad flag")), EXIT_USAGE);
  assert.equal(EXIT_USAGE, 2);
  for (
    const error of [
      new EpicacError("m", "h"),
      new ConnectionError("m", "h"),
      new TimeoutError("m", "h"),
      new HttpStatusError(403, "m", "h"),
      new Error("plain"),
      "a string",
      undefined,
    ]
  ) {
    assert.equal(exitCodeFor(error), EXIT_FAILURE);
  }
  assert.equal(EXIT_FAILURE, 1);
});

test("a UsageError points at --help", () => {
  const error = new UsageError("Unknown option '--x'");
  assert.equal(describeError(error), "epicac: Unknown option '--x' (see epicac --help)");
  assert.equal(error.retryable, false);
});

test("connection failures and timeouts are retryable; a plain EpicacError is not", () => {
  assert.equal(new ConnectionError("m", "h").retryable, true);
  assert.equal(new TimeoutError("m", "h").retryable, true);
  assert.equal(new EpicacError("m", "h").retryable, false);
  assert.equal(new EpicacError("m", "h", { retryable: true }).retryable, true);
});

test("HTTP 429 and 5xx are retryable; other statuses are not", () => {
  for (const status of [429, 500, 502, 503, 504, 599]) {
    assert.equal(new HttpStatusError(status, "m", "h").retryable, true, `HTTP ${status}`);
  }
  for (const status of [400, 401, 403, 404, 405, 408, 418, 499]) {
    assert.equal(new HttpStatusError(status, "m", "h").retryable, false, `HTTP ${status}`);
  }
  assert.equal(new HttpStatusError(503, "m", "h").status, 503);
});

test("errors carry their class name and cause", () => {
  const cause = new Error("ECONNREFUSED");
  const error = new ConnectionError("m", "h", cause);
  assert.equal(error.name, "ConnectionError");
  assert.equal(error.cause, cause);
  assert.ok(error instanceof EpicacError);
  assert.equal(new HttpStatusError(500, "m", "h").name, "HttpStatusError");
  assert.equal(new UsageError("m").name, "UsageError");
});
