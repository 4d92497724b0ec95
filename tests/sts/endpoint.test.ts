// src/sts/endpoint.ts: signed STS requests carry the session token, so an endpoint is https to
// any host, or plain http to loopback only, never with a user name or password.

import { test } from "node:test";
import assert from "node:assert/strict";
import { isStsEndpoint } from "../../src/sts/endpoint.ts";

test("https is accepted to any host", () => {
  for (
    const text of [
      "https://sts.us-west-2.amazonaws.com",
      "https://sts.cn-north-1.amazonaws.com.cn/",
      "https://vpce-0123.sts.us-east-1.vpce.amazonaws.com:8443/path",
      "https://10.0.0.5",
    ]
  ) assert.ok(isStsEndpoint(text), text);
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
  ) assert.ok(isStsEndpoint(text), text);
});

test("plain http to other hosts, look-alikes, credentials in the URL, other schemes and non-URLs are refused", () => {
  for (
    const text of [
      "http://sts.amazonaws.com",
      "http://10.0.0.5:8080/x?token=abc",
      "http://169.254.170.23/",
      "http://128.0.0.1",
      "http://[::2]",
      "http://127.0.0.1.example.com",
      "http://localhost.example.com",
      "http://evil.example/127.0.0.1",
      "http://127.0.0.1@evil.example",
      "https://user:pass@sts.amazonaws.com",
      "ftp://127.0.0.1",
      "file:///etc/passwd",
      "ws://localhost",
      "data:,x",
      "sts.amazonaws.com",
      "",
      "http://",
      "https://[::1",
    ]
  ) assert.ok(!isStsEndpoint(text), text);
});
