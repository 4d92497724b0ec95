// src/sts/session.ts: the session flags are checked against STS's own limits before any call,
// so a bad value is a usage error (exit 2) that says what is accepted.

import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import {
  CHAINED_MAX_DURATION,
  defaultSessionName,
  parseSessionOptions,
  type RawSessionFlags,
} from "../../src/sts/session.ts";
import { UsageError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

const parse = (flags: RawSessionFlags, chained = true) => parseSessionOptions(flags, chained);

test("without flags: the host's session name, no optional field, no tags", () => {
  assert.deepEqual(parse({}), {
    sessionName: defaultSessionName(hostname()),
    externalId: undefined,
    durationSeconds: undefined,
    sourceIdentity: undefined,
    tags: [],
  });
});

test("valid session flags are passed through as given", () => {
  assert.deepEqual(
    parse({
      sessionName: "app_pod+1=a,b.c@d-e",
      externalId: "ext-123:abc/def",
      duration: "1800",
      sourceIdentity: "alice@example.com",
      tags: ["team=payments"],
    }),
    {
      sessionName: "app_pod+1=a,b.c@d-e",
      externalId: "ext-123:abc/def",
      durationSeconds: 1800,
      sourceIdentity: "alice@example.com",
      tags: [{ Key: "team", Value: "payments" }],
    },
  );
});

test("--session-name and --source-identity take 2 to 64 of [\\w+=,.@-]", () => {
  for (const flag of ["sessionName", "sourceIdentity"] as const) {
    assert.equal(parse({ [flag]: "ab" })[flag], "ab");
    assert.equal(parse({ [flag]: "x".repeat(64) })[flag], "x".repeat(64));
  }
  const bad = ["a", "", "x".repeat(65), "has space", "a/b", "a:b", "pöd", "a\nb", "a*"];
  for (const value of bad) {
    const name = usageError(() => parse({ sessionName: value }));
    assert.equal(
      name.message,
      `--session-name takes 2 to 64 characters of letters, digits and _+=,.@-, not '${value}'`,
    );
    const identity = usageError(() => parse({ sourceIdentity: value }));
    assert.match(identity.message, /^--source-identity takes 2 to 64 characters/);
  }
});

test("--external-id takes 2 to 1224 of [\\w+=,.@:/-], and a refusal does not echo it", () => {
  assert.equal(parse({ externalId: "ab" }).externalId, "ab");
  assert.equal(parse({ externalId: "x".repeat(1224) }).externalId, "x".repeat(1224));
  assert.equal(parse({ externalId: "a_b+c=d,e.f@g:h/i-j" }).externalId, "a_b+c=d,e.f@g:h/i-j");
  for (const value of ["x", "", "x".repeat(1225), "has space", "a;b", "a\u00e9b", "a\nb"]) {
    const error = usageError(() => parse({ externalId: value }));
    assert.equal(
      error.message,
      "--external-id takes 2 to 1224 characters of letters, digits and +=,.@:/-",
    );
  }
});

test("--duration takes whole seconds from 900", () => {
  assert.equal(parse({ duration: "900" }).durationSeconds, 900);
  assert.equal(parse({ duration: "3600" }).durationSeconds, 3600);
  for (const value of ["899", "0", "", "900.0", "1e3", "-900", " 900", "900s", "0x400"]) {
    const error = usageError(() => parse({ duration: value }));
    assert.equal(
      error.message,
      `--duration takes a whole number of seconds from 900, not '${value}'`,
    );
  }
});

test("a chained session is capped at one hour, with a message naming AWS's cap", () => {
  assert.equal(CHAINED_MAX_DURATION, 3600);
  const error = usageError(() => parse({ duration: "3601" }, true));
  assert.equal(
    error.message,
    "--duration 3601 is over 3600: AWS caps a chained role session (AssumeRole with role credentials) at one hour",
  );
  assert.equal(error.hint, "see epicac --help");
});

test("a session that is not chained may last up to 43200 seconds", () => {
  assert.equal(parse({ duration: "3601" }, false).durationSeconds, 3601);
  assert.equal(parse({ duration: "43200" }, false).durationSeconds, 43200);
  const error = usageError(() => parse({ duration: "43201" }, false));
  assert.equal(error.message, "--duration 43201 is over 43200, the most any role session may last");
});

test("--tag splits KEY=VALUE at the first '=' and allows an empty value", () => {
  assert.deepEqual(parse({ tags: ["env=prod=eu", "empty=", "k=v:/+-@. _x"] }).tags, [
    { Key: "env", Value: "prod=eu" },
    { Key: "empty", Value: "" },
    { Key: "k", Value: "v:/+-@. _x" },
  ]);
  // STS allows letters and digits of any script in tags.
  assert.deepEqual(parse({ tags: ["équipe=paiements"] }).tags, [
    { Key: "équipe", Value: "paiements" },
  ]);
});

test("--tag without '=' or with an empty key is refused", () => {
  for (const spec of ["novalue", "=value", "=", ""]) {
    const error = usageError(() => parse({ tags: [spec] }));
    assert.equal(
      error.message,
      `--tag takes KEY=VALUE (key 1-128, value up to 256 characters), not '${spec}'`,
    );
  }
});

test("--tag keys up to 128 and values up to 256 characters; longer is refused", () => {
  const key = "k".repeat(128);
  const value = "v".repeat(256);
  assert.deepEqual(parse({ tags: [`${key}=${value}`] }).tags, [{ Key: key, Value: value }]);
  usageError(() => parse({ tags: [`${key}k=v`] }));
  usageError(() => parse({ tags: [`k=${value}v`] }));
});

test("--tag refuses characters STS does not accept in tags", () => {
  for (const spec of ["k!=v", "k=v;rm", "k=v\nx", "k=<v>", "k*=v", 'k="v"']) {
    usageError(() => parse({ tags: [spec] }));
  }
});

test("at most 50 --tag values", () => {
  const tags = Array.from({ length: 50 }, (_, i) => `k${i}=v`);
  assert.equal(parse({ tags }).tags.length, 50);
  const error = usageError(() => parse({ tags: [...tags, "k50=v"] }));
  assert.equal(error.message, "--tag may be given at most 50 times (STS's limit)");
});

test("duplicate tag keys are refused, case-insensitively", () => {
  const error = usageError(() => parse({ tags: ["Team=a", "other=b", "team=c"] }));
  assert.equal(error.message, "--tag team is given twice (tag keys are case-insensitive)");
  usageError(() => parse({ tags: ["env=a", "env=a"] }));
});

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
  // Whatever the host is called, the default must pass the session name check.
  for (const host of ["", "a", "é", "x".repeat(100), "a b", hostname()]) {
    const sessionName = defaultSessionName(host);
    assert.equal(parseSessionOptions({ sessionName }, true).sessionName, sessionName);
  }
});
