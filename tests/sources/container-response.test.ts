// src/sources/container-response.ts: the endpoint's answer turned into credentials, or into one
// clear error that carries the endpoint's own message and never quotes a credential.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseContainerResponse } from "../../src/sources/container-response.ts";
import { EpicacError, HttpStatusError } from "../../src/errors.ts";
import { redact } from "../../src/redact.ts";
import type { TextResponse } from "../../src/http/request.ts";

const WHERE = "the credentials agent at http://169.254.170.23";

interface Answer {
  AccessKeyId?: unknown;
  SecretAccessKey?: unknown;
  Token?: unknown;
  Expiration?: unknown;
  AccountId?: unknown;
  RoleArn?: unknown;
  [extra: string]: unknown;
}

/** Well-formed agent credentials with values no other test uses. */
function answer(overrides: Answer = {}): Answer {
  const id = Math.random().toString(36).slice(2, 10).toUpperCase();
  return {
    AccessKeyId: `ASIATEST${id}`,
    SecretAccessKey: `secretKey/${id}+abcdefghij`,
    Token: `IQoJsessionToken${id}==`,
    AccountId: "111122223333",
    Expiration: "2030-01-02T03:04:05.123456789Z",
    ...overrides,
  };
}

function ok(body: unknown, contentType = "application/json"): TextResponse {
  return { status: 200, contentType, body: JSON.stringify(body) };
}

function failure(fn: () => unknown): EpicacError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EpicacError, String(error));
    return error;
  }
  assert.fail("expected the answer to be refused");
}

function statusFailure(status: number, body: string, contentType = "text/plain"): HttpStatusError {
  const error = failure(() => parseContainerResponse({ status, contentType, body }, WHERE));
  assert.ok(error instanceof HttpStatusError, String(error));
  assert.equal(error.status, status);
  return error;
}

test("a 200 answer becomes credentials, the agent's nanoseconds as a Date", () => {
  const sent = answer();
  assert.deepEqual(parseContainerResponse(ok(sent), WHERE), {
    accessKeyId: sent.AccessKeyId,
    secretAccessKey: sent.SecretAccessKey,
    sessionToken: sent.Token,
    expiration: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 123)),
    accountId: "111122223333",
  });
});

test("fields the endpoint adds are ignored", () => {
  const sent = answer({ Code: "Success", LastUpdated: "2030-01-01T00:00:00Z", Type: "AWS-HMAC" });
  const credentials = parseContainerResponse(ok(sent), WHERE);
  assert.deepEqual(Object.keys(credentials).sort(), [
    "accessKeyId",
    "accountId",
    "expiration",
    "secretAccessKey",
    "sessionToken",
  ]);
});

test("an ECS answer's RoleArn gives the AccountId", () => {
  for (
    const [arn, account] of [
      ["arn:aws:iam::444455556666:role/ecs-task", "444455556666"],
      ["arn:aws:sts::123456789012:assumed-role/task/session", "123456789012"],
      ["arn:aws-cn:iam::210987654321:role/x", "210987654321"],
      ["arn:aws-us-gov:iam::000011112222:role/x", "000011112222"],
    ]
  ) {
    const sent = answer({ AccountId: undefined, RoleArn: arn });
    assert.equal(parseContainerResponse(ok(sent), WHERE).accountId, account, arn);
  }
});

test("an explicit AccountId wins over the RoleArn", () => {
  const sent = answer({ AccountId: "111122223333", RoleArn: "arn:aws:iam::444455556666:role/x" });
  assert.equal(parseContainerResponse(ok(sent), WHERE).accountId, "111122223333");
});

test("no AccountId and no usable RoleArn leave the account unknown", () => {
  for (
    const arn of [
      undefined,
      "not-an-arn",
      "arn:aws:s3:::bucket",
      "arn:aws:iam::12345:role/short",
      "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
    ]
  ) {
    const sent = answer({ AccountId: undefined, RoleArn: arn });
    assert.equal(parseContainerResponse(ok(sent), WHERE).accountId, undefined, String(arn));
  }
});

test("the secret key and session token are registered for redaction", () => {
  const sent = answer();
  parseContainerResponse(ok(sent), WHERE);
  assert.equal(redact(`a ${sent.SecretAccessKey} b`), "a [redacted] b");
  assert.equal(redact(`a ${sent.Token} b`), "a [redacted] b");
});

test("a non-200 answer carries the agent's plain-text message (Go http.Error)", () => {
  const error = statusFailure(
    403,
    "Access Denied. The Service Account Token is not valid\n",
    "text/plain; charset=utf-8",
  );
  assert.equal(
    error.message,
    `${WHERE} answered HTTP 403: Access Denied. The Service Account Token is not valid`,
  );
});

test("a non-200 JSON answer carries its message, Message or error field", () => {
  for (const key of ["message", "Message", "error"]) {
    const body = JSON.stringify({ code: "InvalidIdInRequest", [key]: "Task not found" });
    const error = statusFailure(400, body, "application/json");
    assert.equal(error.message, `${WHERE} answered HTTP 400: Task not found`, key);
  }
});

test("a non-200 JSON answer without a message field is shown as its text", () => {
  const error = statusFailure(500, '{"code":"InternalError"}', "application/json");
  assert.equal(error.message, `${WHERE} answered HTTP 500: {"code":"InternalError"}`);
});

test("a non-200 HTML page is described, not quoted", () => {
  const page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>";
  const typed = statusFailure(502, page, "text/html; charset=utf-8");
  assert.equal(
    typed.message,
    `${WHERE} answered HTTP 502: (an HTML page, text/html, ${page.length} bytes)`,
  );
  const untyped = statusFailure(502, `\n  ${page}`, "");
  assert.equal(
    untyped.message,
    `${WHERE} answered HTTP 502: (an HTML page, no content type, ${page.length + 3} bytes)`,
  );
  assert.doesNotMatch(typed.message + untyped.message, /nginx|Bad Gateway/);
});

test("a non-200 message is kept to one line and at most 300 characters", () => {
  const multi = statusFailure(500, "first line\r\nsecond\tline\n\n");
  assert.equal(multi.message, `${WHERE} answered HTTP 500: first line second line`);
  const long = statusFailure(500, "x".repeat(1000));
  assert.equal(long.message, `${WHERE} answered HTTP 500: ${"x".repeat(300)}…`);
});

test("a non-200 answer with an empty body says only the status", () => {
  assert.equal(statusFailure(503, "").message, `${WHERE} answered HTTP 503`);
  assert.equal(statusFailure(503, " \n").message, `${WHERE} answered HTTP 503`);
});

test("each status gets a hint about what to check", () => {
  const hint = (status: number) => statusFailure(status, "x").hint;
  assert.match(hint(400), /service-account token file/);
  assert.match(hint(401), /EKS Pod Identity association exists/);
  assert.match(hint(403), /pods\.eks\.amazonaws\.com with sts:AssumeRole and sts:TagSession/);
  assert.match(hint(404), /URI path \(\/v1\/credentials for EKS Pod Identity\)/);
  assert.match(hint(429), /throttling/);
  for (const status of [500, 502, 503, 504]) {
    assert.match(hint(status), /eks-pod-identity-agent pods in kube-system/);
  }
  assert.equal(hint(418), "check the credentials endpoint");
});

test("only 429 and 5xx answers are retryable", () => {
  for (const status of [429, 500, 502, 503, 504]) {
    assert.equal(statusFailure(status, "x").retryable, true, `HTTP ${status}`);
  }
  for (const status of [201, 204, 400, 401, 403, 404, 405, 418]) {
    assert.equal(statusFailure(status, "x").retryable, false, `HTTP ${status}`);
  }
});

test("a 200 answer that is not JSON is described without quoting the body", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  const body = `{"AccessKeyId":"ASIAX","SecretAccessKey":"${secret}","Tok`;
  const error = failure(() =>
    parseContainerResponse({ status: 200, contentType: "application/json", body }, WHERE)
  );
  assert.equal(
    error.message,
    `${WHERE} answered HTTP 200 with a body that is not JSON (application/json, ${body.length} bytes)`,
  );
  assert.ok(!(error.message + error.hint).includes(secret.slice(0, 10)));
  assert.equal(error.retryable, false);
});

test("a 200 HTML page is refused as not JSON, naming its content type", () => {
  const error = failure(() =>
    parseContainerResponse(
      { status: 200, contentType: "text/html; charset=utf-8", body: "<html>welcome</html>" },
      WHERE,
    )
  );
  assert.match(error.message, /not JSON \(text\/html, 20 bytes\)$/);
});

test("missing fields are named as missing", () => {
  const only = failure(() =>
    parseContainerResponse(ok(answer({ SecretAccessKey: undefined })), WHERE)
  );
  assert.equal(
    only.message,
    `${WHERE} answered with credentials that are incomplete or malformed: SecretAccessKey is missing`,
  );
  assert.match(only.hint, /EKS Pod Identity or ECS credentials endpoint/);
  const several = failure(() =>
    parseContainerResponse(ok({ Expiration: "2030-01-01T00:00:00Z" }), WHERE)
  );
  assert.match(several.message, /AccessKeyId is missing/);
  assert.match(several.message, /SecretAccessKey is missing/);
  assert.match(several.message, /Token is missing/);
  const noExpiration = failure(() =>
    parseContainerResponse(ok(answer({ Expiration: undefined })), WHERE)
  );
  assert.match(noExpiration.message, /: Expiration is missing$/);
});

test("fields of the wrong type are named as malformed, not missing", () => {
  for (
    const [field, value] of [
      ["AccessKeyId", 12345],
      ["SecretAccessKey", null],
      ["Token", { nested: true }],
      ["Expiration", 1_900_000_000],
      ["AccountId", 111122223333],
      ["AccountId", "12345"],
      ["AccountId", "1111222233334"],
    ] as const
  ) {
    const error = failure(() => parseContainerResponse(ok(answer({ [field]: value })), WHERE));
    assert.match(error.message, new RegExp(`: ${field} is malformed$`), `${field}=${value}`);
  }
});

test("credential values that are empty, hold spaces or are not printable ASCII are refused unquoted", () => {
  for (const field of ["AccessKeyId", "SecretAccessKey", "Token"]) {
    for (
      const bad of [
        "",
        "has space",
        "tab\there",
        "line\nbreak",
        "nul\u0000x",
        "caf\u00e9",
        "\u007f",
      ]
    ) {
      const marker = "QuotedQ7";
      const value = bad === "" ? "" : `${marker}${bad}`;
      const error = failure(() => parseContainerResponse(ok(answer({ [field]: value })), WHERE));
      assert.match(error.message, new RegExp(`: ${field} is malformed$`), JSON.stringify(value));
      assert.ok(!error.message.includes(marker), "the value was quoted");
    }
  }
});

test("an answer that is not a JSON object is named as such", () => {
  for (const doc of [["AccessKeyId"], null, "credentials", 42, true]) {
    const error = failure(() => parseContainerResponse(ok(doc), WHERE));
    assert.equal(
      error.message,
      `${WHERE} answered with credentials that are incomplete or malformed: the answer is not a JSON object`,
      JSON.stringify(doc),
    );
  }
});

test("an Expiration that is not an RFC 3339 timestamp is refused without quoting it", () => {
  for (const expiration of ["tomorrow", "2030-02-31T00:00:00Z", "2030-01-01", "1893456000"]) {
    const error = failure(() =>
      parseContainerResponse(ok(answer({ Expiration: expiration })), WHERE)
    );
    assert.equal(error.message, `${WHERE} sent an Expiration that is not an RFC 3339 timestamp`);
  }
});

test("a non-200 answer whose body holds credentials is described, its secrets registered", () => {
  for (const status of [500, 403, 201]) {
    const secret = `errorBodySecret${status}/0123456789abcdef`;
    const token = `errorBodyToken${status}0123456789abcdef`;
    const body = JSON.stringify({ ...answer(), SecretAccessKey: secret, Token: token });
    const error = statusFailure(status, body, "application/json");
    assert.equal(
      error.message,
      `${WHERE} answered HTTP ${status}: (a JSON document with credential fields, not shown; application/json, ${body.length} bytes)`,
    );
    // Registered before any message was built: any later mention is masked too.
    assert.equal(redact(`echo ${secret} ${token}`), "echo [redacted] [redacted]");
  }
});

test("credential-shaped fields are found at any depth and in any spelling", () => {
  const secret = "nestedSecretValue/0123456789";
  const body = JSON.stringify({ error: { Credentials: { secret_access_key: secret } } });
  const error = statusFailure(500, body, "application/json");
  assert.match(error.message, /credential fields, not shown/);
  assert.equal(redact(secret), "[redacted]");
});

test("credential values under 8 characters are refused as malformed", () => {
  for (const field of ["AccessKeyId", "SecretAccessKey", "Token"]) {
    const error = failure(() => parseContainerResponse(ok(answer({ [field]: "Zq7xW3p" })), WHERE));
    assert.match(error.message, new RegExp(`: ${field} is malformed$`));
    assert.ok(!error.message.includes("Zq7xW3p"));
  }
});
