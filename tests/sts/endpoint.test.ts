// src/sts/endpoint.ts: signed STS requests carry the session token, so an endpoint is
// https to any host, or plain http to loopback only; anything else is a usage error.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEndpoint } from "../../src/sts/endpoint.ts";
import { UsageError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("https is accepted to any host, and the parsed URL is returned", () => {
  for (
    const text of [
      "https://sts.us-west-2.amazonaws.com",
      "https://sts.cn-north-1.amazonaws.com.cn/",
      "https://vpce-0123.sts.us-east-1.vpce.amazonaws.com:8443/path",
      "https://10.0.0.5",
    ]
  ) {
    const url = checkEndpoint(text, "--sts-endpoint");
    assert.ok(url instanceof URL);
    assert.equal(url.href, new URL(text).href);
  }
});

test("plain http is accepted to loopback: 127.x, localhost and [::1]", () => {
  for (
    const text of [
      "http://127.0.0.1:4566",
      "http://127.1.2.3",
      "http://127.255.255.254:80/",
      "http://localhost:5000",
      "http://LOCALHOST:5000",
      "http://[::1]:8080",
    ]
  ) {
    assert.equal(checkEndpoint(text, "--sts-endpoint").protocol, "http:");
  }
});

test("plain http to any other host is refused, naming the origin but not the path", () => {
  for (
    const [text, shown] of [
      ["http://sts.amazonaws.com", "http://sts.amazonaws.com"],
      ["http://10.0.0.5:8080/x?token=abc", "http://10.0.0.5:8080"],
      ["http://169.254.170.23/", "http://169.254.170.23"],
      ["http://128.0.0.1", "http://128.0.0.1"],
      ["http://[::2]", "http://[::2]"],
    ]
  ) {
    const error = usageError(() => checkEndpoint(text, "--sts-endpoint"));
    assert.equal(
      error.message,
      `--sts-endpoint must be an https URL (plain http only to loopback), not '${shown}'`,
    );
    assert.ok(!error.message.includes("token=abc"));
  }
});

test("names that only look like loopback are refused over http", () => {
  for (
    const text of [
      "http://127.0.0.1.example.com",
      "http://localhost.example.com",
      "http://evil.example/127.0.0.1",
      "http://127.0.0.1@evil.example",
    ]
  ) {
    usageError(() => checkEndpoint(text, "--sts-endpoint"));
  }
});

test("schemes other than http and https are refused", () => {
  for (const text of ["ftp://127.0.0.1", "file:///etc/passwd", "ws://localhost", "data:,x"]) {
    const error = usageError(() => checkEndpoint(text, "stsEndpoint"));
    assert.match(error.message, /^stsEndpoint must be an https URL/);
  }
});

test("text that is not a URL is refused, naming where it came from", () => {
  for (const text of ["sts.amazonaws.com", "", "http://", "https://[::1"]) {
    const error = usageError(() => checkEndpoint(text, "stsEndpoint"));
    assert.equal(error.message, `stsEndpoint is not a valid URL: '${text}'`);
    assert.equal(error.hint, "see epicac --help");
  }
});
