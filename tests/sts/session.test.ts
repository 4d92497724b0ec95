// src/sts/session.ts: the default session name is the pod's host name, made valid for STS
// whatever the host is called.

import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { defaultSessionName } from "../../src/sts/session.ts";
import { SESSION_NAME } from "../../src/inputs/chain.ts";
import { MODULE } from "../../src/inputs/input.ts";

test("defaultSessionName keeps a valid host name as it is", () => {
  assert.equal(defaultSessionName("app-7d9f8b6c5-x2k4q"), "app-7d9f8b6c5-x2k4q");
  assert.equal(defaultSessionName("a_b+c=d,e.f@g"), "a_b+c=d,e.f@g");
});

test("defaultSessionName replaces each character STS refuses with '-'", () => {
  assert.equal(defaultSessionName("my pod/1:é"), "my-pod-1--");
  assert.match(defaultSessionName("a\nb\tc*d"), /^[\w+=,.@-]+$/);
});

test("defaultSessionName truncates to 64 characters", () => {
  const name = defaultSessionName("h".repeat(63) + "é" + "x".repeat(10));
  assert.equal(name, "h".repeat(63) + "-");
  assert.equal(defaultSessionName("y".repeat(200)).length, 64);
});

test("defaultSessionName pads a name of 0 or 1 characters to a valid one", () => {
  assert.equal(defaultSessionName(""), "epicac");
  assert.equal(defaultSessionName("a"), "epicaca");
  assert.equal(defaultSessionName("é"), "epicac-");
  // Whatever the host is called, the default must pass the session name's own check.
  for (const host of ["", "a", "é", "x".repeat(100), "a b", hostname()]) {
    const sessionName = defaultSessionName(host);
    assert.equal(SESSION_NAME.read(sessionName, MODULE), sessionName);
  }
});
