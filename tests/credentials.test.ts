// src/credentials.ts: RFC 3339 timestamps as agents and STS send them, and the refusal of
// credentials that have already expired.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNotExpired, type Credentials, parseTimestamp } from "../src/credentials.ts";
import { EpicacError } from "../src/errors.ts";

function iso(text: string): string | undefined {
  return parseTimestamp(text)?.toISOString();
}

test("parseTimestamp reads a UTC timestamp without a fraction", () => {
  assert.equal(iso("2026-05-01T12:34:56Z"), "2026-05-01T12:34:56.000Z");
});

test("parseTimestamp keeps milliseconds and drops the agent's extra nanosecond digits", () => {
  assert.equal(iso("2026-05-01T12:34:56.123456789Z"), "2026-05-01T12:34:56.123Z");
  assert.equal(iso("2026-05-01T12:34:56.999999999Z"), "2026-05-01T12:34:56.999Z");
});

test("parseTimestamp scales short fractions: .1 is 100 ms, .12 is 120 ms", () => {
  assert.equal(iso("2026-05-01T12:34:56.1Z"), "2026-05-01T12:34:56.100Z");
  assert.equal(iso("2026-05-01T12:34:56.12Z"), "2026-05-01T12:34:56.120Z");
  assert.equal(iso("2026-05-01T12:34:56.012Z"), "2026-05-01T12:34:56.012Z");
});

test("parseTimestamp applies positive and negative offsets", () => {
  assert.equal(iso("2026-05-01T12:34:56+02:00"), "2026-05-01T10:34:56.000Z");
  assert.equal(iso("2026-05-01T12:34:56-05:30"), "2026-05-01T18:04:56.000Z");
  assert.equal(iso("2026-05-01T12:34:56.5+00:00"), "2026-05-01T12:34:56.500Z");
});

test("parseTimestamp accepts a lower-case t and z, and a space as the separator", () => {
  assert.equal(iso("2026-05-01t12:34:56z"), "2026-05-01T12:34:56.000Z");
  assert.equal(iso("2026-05-01 12:34:56Z"), "2026-05-01T12:34:56.000Z");
});

test("parseTimestamp checks the local date, not the UTC one, when an offset crosses midnight", () => {
  // 23:30 on 28 February at -01:00 is 1 March in UTC; both are valid.
  assert.equal(iso("2026-02-28T23:30:00-01:00"), "2026-03-01T00:30:00.000Z");
  assert.equal(iso("2026-03-01T00:30:00+01:00"), "2026-02-28T23:30:00.000Z");
  assert.equal(iso("2026-12-31T23:59:59-10:00"), "2027-01-01T09:59:59.000Z");
});

test("parseTimestamp accepts 29 February in a leap year only", () => {
  assert.equal(iso("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00.000Z");
  assert.equal(iso("2000-02-29T00:00:00Z"), "2000-02-29T00:00:00.000Z");
  assert.equal(parseTimestamp("2026-02-29T00:00:00Z"), undefined);
  assert.equal(parseTimestamp("2100-02-29T00:00:00Z"), undefined);
});

test("parseTimestamp refuses dates that do not exist instead of rolling them over", () => {
  assert.equal(iso("2026-01-31T00:00:00Z"), "2026-01-31T00:00:00.000Z");
  for (
    const text of [
      "2026-02-31T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-32T00:00:00Z",
    ]
  ) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
});

test("parseTimestamp refuses times that do not exist, such as 25:00 and 24:00", () => {
  assert.equal(iso("2026-05-01T23:59:59Z"), "2026-05-01T23:59:59.000Z");
  for (
    const text of [
      "2026-05-01T25:00:00Z",
      "2026-05-01T24:00:00Z",
      "2026-05-01T12:60:00Z",
      "2026-05-01T12:00:60Z",
      "2026-05-01T99:99:99Z",
    ]
  ) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
});

test("parseTimestamp refuses offsets outside RFC 3339's 00-23 hours and 00-59 minutes", () => {
  assert.equal(iso("2026-05-01T12:00:00+23:59"), "2026-04-30T12:01:00.000Z");
  for (
    const text of [
      "2026-05-01T12:00:00+24:00",
      "2026-05-01T12:00:00-99:00",
      "2026-05-01T12:00:00+00:60",
      "2026-05-01T12:00:00+00:99",
    ]
  ) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
});

test("parseTimestamp reads years before 100 as they are written, not as 19xx", () => {
  assert.equal(parseTimestamp("0050-01-01T00:00:00Z")?.getUTCFullYear(), 50);
  assert.equal(parseTimestamp("0099-12-31T23:59:59Z")?.getUTCFullYear(), 99);
});

test("parseTimestamp refuses garbage and incomplete timestamps", () => {
  assert.equal(iso("2026-05-01T12:34:56Z"), "2026-05-01T12:34:56.000Z");
  for (
    const text of [
      "",
      "tomorrow",
      "2026-05-01",
      "2026-05-01T12:34Z",
      "2026-05-01T12:34:56",
      "2026-05-01T12:34:56.Z",
      "2026-05-01T12:34:56.1234567890Z",
      "2026-05-01T12:34:56+0200",
      "2026-05-01T12:34:56+02",
      "26-05-01T12:34:56Z",
      "2026-5-1T12:34:56Z",
      " 2026-05-01T12:34:56Z",
      "2026-05-01T12:34:56Z ",
      "2026-05-01T12:34:56Z\n",
      "2026-05-01T12:34:56Zjunk",
      "２０２６-05-01T12:34:56Z",
      "1777638896",
    ]
  ) {
    assert.equal(parseTimestamp(text), undefined, JSON.stringify(text));
  }
});

const creds = (expiration?: Date): Credentials => ({
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "secret",
  sessionToken: "token",
  expiration,
});

test("assertNotExpired refuses credentials that expired before now", () => {
  const now = Date.UTC(2026, 4, 1, 12, 0, 0);
  assert.throws(
    () => assertNotExpired(creds(new Date(now - 60_000)), "the agent", now),
    (error: unknown) => {
      assert.ok(error instanceof EpicacError);
      assert.equal(
        error.message,
        "the agent returned credentials that expired at 2026-05-01T11:59:00.000Z",
      );
      assert.match(error.hint, /check the clock/);
      assert.match(error.hint, /now is 2026-05-01T12:00:00\.000Z/);
      assert.equal(error.retryable, false);
      return true;
    },
  );
});

test("assertNotExpired draws the line at now: expiring now is refused, 1 ms later is accepted", () => {
  const now = Date.UTC(2026, 4, 1, 12, 0, 0);
  assert.throws(() => assertNotExpired(creds(new Date(now)), "the agent", now), EpicacError);
  assert.doesNotThrow(() => assertNotExpired(creds(new Date(now + 1)), "the agent", now));
  assert.doesNotThrow(() => assertNotExpired(creds(new Date(now + 3600_000)), "the agent", now));
});

test("assertNotExpired accepts credentials without an expiration, at any time", () => {
  const late = Date.UTC(9999, 0, 1);
  assert.doesNotThrow(() => assertNotExpired(creds(undefined), "the agent", late));
  assert.throws(() => assertNotExpired(creds(new Date(0)), "the agent", late), EpicacError);
});

test("assertNotExpired compares with the real clock by default", () => {
  assert.throws(() => assertNotExpired(creds(new Date(Date.now() - 1000)), "x"), EpicacError);
  assert.doesNotThrow(() => assertNotExpired(creds(new Date(Date.now() + 60_000)), "x"));
});
