// src/serve/listen.ts: --listen takes loopback only, read as numbers (localhost is 127.0.0.1,
// whatever /etc/hosts says); --probe-listen takes any IP address. Both refuse forms that
// different readers would read differently.

import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { COMMAND_LINE } from "../../src/inputs/input.ts";
import { LISTEN, PROBE_LISTEN } from "../../src/serve/listen.ts";
import { thrownBy } from "../support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("--listen takes 127.0.0.0/8, [::1] and localhost (meaning 127.0.0.1)", () => {
  assert.deepEqual(LISTEN.read("127.0.0.1:9911", COMMAND_LINE), {
    hostname: "127.0.0.1",
    port: 9911,
  });
  assert.deepEqual(LISTEN.read("127.1.2.3:0", COMMAND_LINE), { hostname: "127.1.2.3", port: 0 });
  assert.deepEqual(LISTEN.read("[::1]:80", COMMAND_LINE), { hostname: "::1", port: 80 });
  assert.deepEqual(LISTEN.read("localhost:9911", COMMAND_LINE), {
    hostname: "127.0.0.1",
    port: 9911,
  });
  assert.deepEqual(LISTEN.default, { hostname: "127.0.0.1", port: 9911 });
});

test("--listen refuses other addresses, names, and forms read differently elsewhere", () => {
  for (
    const bad of [
      "0.0.0.0:9911",
      "10.0.0.1:80",
      ":9911",
      "9911",
      "127.0.0.1",
      "[::]:80",
      "127.0.0.256:1",
      "127.0.0.08:1",
      "127.1:80",
      "0x7f.0.0.1:80",
      "127.0.0.1:65536",
      "127.0.0.1:080",
      "127.0.0.1:-1",
      "example.com:80",
      "localhost.:80",
      "169.254.170.23:80",
      "[::ffff:127.0.0.1]:80",
      "[127.0.0.1]:80",
    ]
  ) {
    assert.match(
      usageError(() => LISTEN.read(bad, COMMAND_LINE)).message,
      /^--listen takes a loopback HOST:PORT/,
      bad,
    );
  }
});

test("--probe-listen takes any IP address and port, not a host name", () => {
  assert.deepEqual(PROBE_LISTEN.read("0.0.0.0:9912", COMMAND_LINE), {
    hostname: "0.0.0.0",
    port: 9912,
  });
  assert.deepEqual(PROBE_LISTEN.read("[::]:9912", COMMAND_LINE), { hostname: "::", port: 9912 });
  assert.deepEqual(PROBE_LISTEN.read("10.1.2.3:80", COMMAND_LINE), {
    hostname: "10.1.2.3",
    port: 80,
  });
  for (
    const bad of ["9912", ":9912", "pod:9912", "0.0.0.0", "1.2.3.256:1", "0.0.0.0:65536", "[::1:1"]
  ) {
    assert.match(
      usageError(() => PROBE_LISTEN.read(bad, COMMAND_LINE)).message,
      /^--probe-listen takes an IP/,
      bad,
    );
  }
});
