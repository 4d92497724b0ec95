// src/sources/container-uri.ts: which container credentials URI epicac may call. Plain http only
// to loopback and the ECS / EKS Pod Identity agents, https to any host, nothing else.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkContainerUri,
  ECS_AGENT_ORIGIN,
  resolveContainerUri,
} from "../../src/sources/container-uri.ts";
import { EpicacError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const FULL = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
const RELATIVE = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";

function fullUri(value: string): URL {
  return resolveContainerUri({ [FULL]: value });
}

const refusal = (fn: () => unknown) => thrownBy(EpicacError, fn);

// [FULL_URI, the URL epicac will call]
const ALLOWED: [string, string][] = [
  ["http://169.254.170.23/v1/credentials", "http://169.254.170.23/v1/credentials"],
  ["http://169.254.170.2/v2/credentials/abc", "http://169.254.170.2/v2/credentials/abc"],
  ["http://[fd00:ec2::23]/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"],
  ["http://[FD00:EC2:0:0:0:0:0:23]/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"],
  ["http://127.0.0.1:8080/creds", "http://127.0.0.1:8080/creds"],
  ["http://127.255.255.254/creds", "http://127.255.255.254/creds"],
  ["http://127.1/creds", "http://127.0.0.1/creds"],
  ["http://127.0.1/creds", "http://127.0.0.1/creds"],
  ["http://0x7f.0.0.1/creds", "http://127.0.0.1/creds"],
  ["http://0177.0.0.1/creds", "http://127.0.0.1/creds"],
  ["http://2130706433/creds", "http://127.0.0.1/creds"],
  ["http://[::1]:9000/creds", "http://[::1]:9000/creds"],
  ["http://[0:0:0:0:0:0:0:1]/creds", "http://[::1]/creds"],
  ["http://localhost:1234/creds", "http://localhost:1234/creds"],
  ["http://LOCALHOST/creds", "http://localhost/creds"],
  ["HTTP://169.254.170.23/v1/credentials", "http://169.254.170.23/v1/credentials"],
  ["https://creds.example.com/v1/credentials", "https://creds.example.com/v1/credentials"],
  ["https://10.1.2.3:8443/creds?x=1", "https://10.1.2.3:8443/creds?x=1"],
  ["https://169.254.169.254/latest", "https://169.254.169.254/latest"],
];

test("FULL_URI: loopback, the ECS and EKS agents over http, and https to any host are allowed", () => {
  for (const [value, expected] of ALLOWED) {
    assert.equal(fullUri(value).href, expected, value);
  }
});

// [FULL_URI, the host the refusal names]
const REFUSED_HTTP_HOSTS: [string, string][] = [
  ["http://169.254.169.254/latest/meta-data/", "169.254.169.254"],
  ["http://10.1.2.3/v1/credentials", "10.1.2.3"],
  ["http://169.254.170.3/v1/credentials", "169.254.170.3"],
  ["http://169.254.170.230/v1/credentials", "169.254.170.230"],
  ["http://example.com/v1/credentials", "example.com"],
  ["http://127.0.0.1.evil.example/creds", "127.0.0.1.evil.example"],
  ["http://localhost.evil.example/creds", "localhost.evil.example"],
  ["http://169.254.170.2.evil.example/creds", "169.254.170.2.evil.example"],
  ["http://0.0.0.0/creds", "0.0.0.0"],
  ["http://128.0.0.1/creds", "128.0.0.1"],
  ["http://[::2]/creds", "[::2]"],
  ["http://[fd00:ec2::24]/creds", "[fd00:ec2::24]"],
  ["http://[::ffff:127.0.0.1]/creds", "[::ffff:7f00:1]"],
];

test("FULL_URI: plain http to any other host is refused, naming the host", () => {
  for (const [value, host] of REFUSED_HTTP_HOSTS) {
    const error = refusal(() => fullUri(value));
    assert.equal(error.message, `${FULL} points at ${host} over plain http, which is refused`);
    assert.match(error.hint, /use https for any other host/);
  }
});

test("FULL_URI: a user name or password in the URI is refused, even over https", () => {
  for (
    const value of [
      "http://UserQ1:PwQ1@127.0.0.1/creds",
      "http://UserQ1@169.254.170.23/v1/credentials",
      "https://:PwQ1@creds.example.com/",
      "http://evilQ1.example@127.0.0.1/creds",
    ]
  ) {
    const error = refusal(() => fullUri(value));
    assert.equal(error.message, `${FULL} carries a user name or password`, value);
    assert.doesNotMatch(error.message + error.hint, /UserQ1|PwQ1|evilQ1/);
  }
});

test("FULL_URI: schemes other than http and https are refused", () => {
  for (
    const [value, scheme] of [
      ["ftp://127.0.0.1/creds", "ftp"],
      ["file:///var/run/secrets/token", "file"],
      ["ws://127.0.0.1/creds", "ws"],
      ["data:text/plain,{}", "data"],
      ["javascript:alert(1)", "javascript"],
    ]
  ) {
    const error = refusal(() => fullUri(value));
    assert.equal(error.message, `${FULL} uses ${scheme}, not http or https`, value);
  }
});

test("FULL_URI: a value that is not a URI is refused without being echoed", () => {
  for (
    const value of ["not a uri", "/v1/credentials", "169.254.170.23/v1/credentials", "http://"]
  ) {
    const error = refusal(() => fullUri(value));
    assert.equal(error.message, `${FULL} is not a valid URI`, value);
  }
});

test("RELATIVE_URI is a path on http://169.254.170.2", () => {
  assert.equal(ECS_AGENT_ORIGIN, "http://169.254.170.2");
  assert.equal(
    resolveContainerUri({ [RELATIVE]: "/v2/credentials/0a1b2c3d" }).href,
    "http://169.254.170.2/v2/credentials/0a1b2c3d",
  );
  assert.equal(
    resolveContainerUri({ [RELATIVE]: "/v2/credentials?id=1" }).href,
    "http://169.254.170.2/v2/credentials?id=1",
  );
});

test("RELATIVE_URI that does not start with / is refused", () => {
  for (const value of ["v2/credentials", "?x", ":8080/creds", "\\evil.example/"]) {
    const error = refusal(() => resolveContainerUri({ [RELATIVE]: value }));
    assert.equal(error.message, `${RELATIVE} does not start with /`, value);
  }
});

test("RELATIVE_URI cannot move the request to another host", () => {
  const error = refusal(() => resolveContainerUri({ [RELATIVE]: "@evil.example/" }));
  assert.equal(error.message, `${RELATIVE} does not start with /`);
  for (
    const value of ["//evil.example/creds", "/\\evil.example/", "/@evil.example/", "/..//evil/"]
  ) {
    assert.equal(resolveContainerUri({ [RELATIVE]: value }).host, "169.254.170.2", value);
  }
});

test("FULL_URI is used when both variables are set", () => {
  const url = resolveContainerUri({
    [FULL]: "http://169.254.170.23/v1/credentials",
    [RELATIVE]: "/v2/credentials/ecs",
  });
  assert.equal(url.href, "http://169.254.170.23/v1/credentials");
});

test("a refused FULL_URI is not rescued by a valid RELATIVE_URI", () => {
  const error = refusal(() =>
    resolveContainerUri({
      [FULL]: "http://169.254.169.254/latest/meta-data/",
      [RELATIVE]: "/v2/credentials/ecs",
    })
  );
  assert.match(error.message, /^AWS_CONTAINER_CREDENTIALS_FULL_URI points at 169\.254\.169\.254/);
});

test("an empty FULL_URI counts as unset", () => {
  assert.equal(
    resolveContainerUri({ [FULL]: "", [RELATIVE]: "/v2/credentials/x" }).href,
    "http://169.254.170.2/v2/credentials/x",
  );
});

test("neither variable set: the error names FULL_URI and points at the association", () => {
  for (const env of [{}, { [FULL]: "", [RELATIVE]: "" }, { [FULL]: undefined }]) {
    const error = refusal(() => resolveContainerUri(env));
    assert.equal(
      error.message,
      "AWS_CONTAINER_CREDENTIALS_FULL_URI is not set (nor AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)",
    );
    assert.match(error.hint, /EKS Pod Identity association/);
    assert.equal(error.retryable, false);
  }
});

test("checkContainerUri names the variable it was given", () => {
  const error = refusal(() => checkContainerUri(new URL("http://10.0.0.1/"), "SOME_VARIABLE"));
  assert.equal(error.message, "SOME_VARIABLE points at 10.0.0.1 over plain http, which is refused");
  const url = new URL("https://10.0.0.1/");
  assert.equal(checkContainerUri(url, "SOME_VARIABLE"), url);
});
