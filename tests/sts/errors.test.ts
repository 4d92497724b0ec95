// src/sts/errors.ts: every STS failure becomes one EpicacError that names the call and the
// role and says what to check; AWS's own text is quoted only where it helps, and never a secret.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mapStsError, type StsCall } from "../../src/sts/errors.ts";
import { describeError, EpicacError, exitCodeFor } from "../../src/errors.ts";
import { registerSecret } from "../../src/redact.ts";
import { assertNoSecrets } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const ROLE = "arn:aws:iam::222222222222:role/dest";
const TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
const ENDPOINT = "http://127.0.0.1:4566";
const ASSUME: StsCall = {
  kind: "AssumeRole",
  roleArn: ROLE,
  principal: "the pod's credentials (account 111122223333)",
};
const WEB: StsCall = { kind: "AssumeRoleWithWebIdentity", roleArn: ROLE, tokenFile: TOKEN_FILE };
const WHO: StsCall = { kind: "GetCallerIdentity" };

/** An error shaped like the SDK's: name is the STS code, $metadata carries the HTTP status. */
function stsError(name: string, message: string, status?: number): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, { $metadata: status ? { httpStatusCode: status } : {} });
}

function map(error: unknown, call: StsCall = ASSUME): EpicacError {
  const mapped = mapStsError(error, call, ENDPOINT);
  assert.ok(mapped instanceof EpicacError);
  assert.equal(mapped.cause, error, "the SDK's error is kept as the cause, for --debug");
  assert.equal(exitCodeFor(mapped), 1);
  return mapped;
}

const DENIED_BY_AWS =
  "User: arn:aws:sts::111122223333:assumed-role/src/pod is not authorized to perform: sts:AssumeRole on resource: " +
  ROLE;

test("AccessDenied on AssumeRole names the principal AWS refused, and both policies to check", () => {
  for (const name of ["AccessDenied", "AccessDeniedException"]) {
    const error = map(stsError(name, DENIED_BY_AWS, 403));
    assert.equal(
      error.message,
      `sts:AssumeRole of ${ROLE} was denied for arn:aws:sts::111122223333:assumed-role/src/pod`,
    );
    assert.equal(
      error.hint,
      `check that the trust policy of ${ROLE} allows sts:AssumeRole (and sts:TagSession when tags are sent) ` +
        `for that principal, and that the principal's own permission policy allows sts:AssumeRole on ${ROLE}`,
    );
  }
});

test("AccessDenied on AssumeRole without AWS naming the principal names the caller's principal", () => {
  const error = map(stsError("AccessDenied", "Access denied", 403));
  assert.equal(
    error.message,
    `sts:AssumeRole of ${ROLE} was denied for the pod's credentials (account 111122223333)`,
  );
  assert.match(error.hint, /trust policy of arn:aws:iam::222222222222:role\/dest/);
});

test("AccessDenied on AssumeRoleWithWebIdentity points at the OIDC trust conditions", () => {
  const error = map(
    stsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403),
    WEB,
  );
  assert.equal(
    error.message,
    `sts:AssumeRoleWithWebIdentity of ${ROLE} was denied: Not authorized to perform sts:AssumeRoleWithWebIdentity`,
  );
  assert.equal(
    error.hint,
    `check that the trust policy of ${ROLE} allows sts:AssumeRoleWithWebIdentity for the cluster's OIDC provider, with matching aud and sub conditions`,
  );
});

test("AccessDenied on GetCallerIdentity quotes AWS and says to check permissions", () => {
  const error = map(stsError("AccessDenied", "explicit deny in an SCP", 403), WHO);
  assert.equal(error.message, "sts:GetCallerIdentity was denied: explicit deny in an SCP");
  assert.equal(error.hint, "check the credentials' permissions");
});

test("PackedPolicyTooLarge explains Pod Identity's transitive session tags", () => {
  for (const name of ["PackedPolicyTooLarge", "PackedPolicyTooLargeException"]) {
    const error = map(stsError(name, "Packed policy consumes 112% of allotted space", 400));
    assert.equal(
      error.message,
      `sts:AssumeRole of ${ROLE} failed: the session policy and tags are too large (Packed policy consumes 112% of allotted space)`,
    );
    assert.match(error.hint, /six transitive session tags/);
    assert.match(error.hint, /disableSessionTags/);
    assert.match(error.hint, /fewer --tag values/);
  }
});

test("ExpiredToken on the web identity call blames the token file", () => {
  for (const name of ["ExpiredToken", "ExpiredTokenException"]) {
    const error = map(
      stsError(name, "Token expired: current date/time 1 must be before 0", 400),
      WEB,
    );
    assert.equal(
      error.message,
      `sts:AssumeRoleWithWebIdentity of ${ROLE} failed: the web identity token has expired`,
    );
    assert.equal(error.hint, `check that the kubelet still rotates ${TOKEN_FILE}`);
  }
});

test("ExpiredToken on a signed call blames the signing credentials and the clock", () => {
  for (const call of [ASSUME, WHO]) {
    const error = map(
      stsError("ExpiredToken", "The security token included in the request is expired", 400),
      call,
    );
    assert.match(error.message, / failed: the credentials it was signed with have expired$/);
    assert.equal(error.hint, "check the clock on this node and the source of those credentials");
  }
  assert.match(
    map(stsError("ExpiredTokenException", "expired", 400)).message,
    /^sts:AssumeRole of arn:aws:iam::222222222222:role\/dest failed: the credentials it was signed/,
  );
});

test("InvalidIdentityToken points at the cluster's IAM OIDC provider", () => {
  for (const name of ["InvalidIdentityToken", "InvalidIdentityTokenException"]) {
    const error = map(stsError(name, "No OpenIDConnect provider found", 400), WEB);
    assert.equal(
      error.message,
      `sts:AssumeRoleWithWebIdentity of ${ROLE} failed: STS rejected the web identity token (No OpenIDConnect provider found)`,
    );
    assert.match(error.hint, /IAM OIDC identity provider exists for the cluster's issuer/);
    assert.match(error.hint, /sts\.amazonaws\.com/);
  }
});

test("IDPCommunicationError says it is usually transient", () => {
  for (const name of ["IDPCommunicationError", "IDPCommunicationErrorException"]) {
    const error = map(stsError(name, "Couldn't retrieve verification key", 400), WEB);
    assert.equal(
      error.message,
      `sts:AssumeRoleWithWebIdentity of ${ROLE} failed: STS could not reach the identity provider (Couldn't retrieve verification key)`,
    );
    assert.equal(error.hint, "this is usually transient; try again");
  }
});

test("InvalidClientTokenId and SignatureDoesNotMatch name the code, not AWS's text", () => {
  // AWS's SignatureDoesNotMatch text quotes the canonical request, signed headers included.
  for (
    const name of ["InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"]
  ) {
    const error = map(
      stsError(
        name,
        "The Canonical String for this request should have been x-amz-security-token:abc",
        403,
      ),
    );
    assert.equal(
      error.message,
      `sts:AssumeRole of ${ROLE} failed: STS does not accept the credentials it was signed with (${name})`,
    );
    assert.match(error.hint, /current and belong to this AWS partition and endpoint/);
  }
});

test("RegionDisabledException says how to activate the region", () => {
  const error = map(
    stsError(
      "RegionDisabledException",
      "STS is not activated in this region for account:111122223333.",
      403,
    ),
  );
  assert.equal(
    error.message,
    `sts:AssumeRole of ${ROLE} failed: STS is not activated in this region (STS is not activated in this region for account:111122223333.)`,
  );
  assert.match(error.hint, /activate the region for STS .* or pass --region/);
});

test("ValidationError and MalformedPolicyDocument quote the refused parameter", () => {
  for (
    const name of ["ValidationError", "MalformedPolicyDocument", "MalformedPolicyDocumentException"]
  ) {
    const error = map(
      stsError(
        name,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
      ),
    );
    assert.equal(
      error.message,
      `sts:AssumeRole of ${ROLE} failed: STS refused a parameter: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
    assert.match(error.hint, /--duration against the role's maximum session duration/);
  }
});

test("throttling says retries were made and suggests the cache", () => {
  for (const name of ["Throttling", "ThrottlingException", "RequestLimitExceeded"]) {
    const error = map(stsError(name, "Rate exceeded", 400));
    assert.equal(error.message, `sts:AssumeRole of ${ROLE} was throttled by STS after retries`);
    assert.equal(error.hint, "reduce how often credentials are fetched (use --cache-dir)");
  }
});

test("a timeout names the endpoint and suggests --timeout", () => {
  const expected = `sts:AssumeRole of ${ROLE} failed: no answer from STS at ${ENDPOINT} in time`;
  for (
    const error of [
      stsError("TimeoutError", "Request did not complete within 1000 ms"),
      stsError("Error", "connect ETIMEDOUT 127.0.0.1:4566"),
      stsError("Error", "socket timed out"),
    ]
  ) {
    const mapped = map(error);
    assert.equal(mapped.message, expected);
    assert.equal(mapped.hint, "check network access to the STS endpoint, or raise --timeout");
  }
});

test("an HTTP answer that mentions a timeout is not taken for a timeout", () => {
  const error = map(stsError("InternalFailure", "upstream request timeout", 503));
  assert.match(error.message, /STS answered HTTP 503 after retries \(InternalFailure\)$/);
});

test("NotCapable (the Deno sandbox) asks for a bug report", () => {
  const error = map(stsError("NotCapable", 'Requires net access to "sts.example"'));
  assert.equal(
    error.message,
    `sts:AssumeRole of ${ROLE} failed: the Deno sandbox refused it (Requires net access to "sts.example")`,
  );
  assert.equal(error.hint, "report this: the build's permission set is missing an entry");
});

test("the SDK's 'Region is missing' becomes a plain instruction to set the region", () => {
  const error = map(stsError("Error", "Region is missing"));
  assert.equal(error.message, "no AWS region is set for STS");
  assert.equal(
    error.hint,
    "pass --region, or set AWS_REGION (EKS Pod Identity sets it in the pod)",
  );
});

test("a 5xx answer names the status, the code and the endpoint", () => {
  const error = map(stsError("InternalFailure", "An internal error occurred", 500));
  assert.equal(
    error.message,
    `sts:AssumeRole of ${ROLE} failed: STS answered HTTP 500 after retries (InternalFailure)`,
  );
  assert.equal(error.hint, `check STS availability at ${ENDPOINT}`);
  assert.match(
    map(stsError("ServiceUnavailable", "", 503), WHO).message,
    /^sts:GetCallerIdentity failed: STS answered HTTP 503/,
  );
});

test("a network error without a status says STS cannot be reached, with a short reason", () => {
  const refused = map(
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" }),
  );
  assert.equal(
    refused.message,
    `sts:AssumeRole of ${ROLE} failed: cannot reach STS at ${ENDPOINT} (Error: connect ECONNREFUSED 127.0.0.1:4566)`,
  );
  assert.match(refused.hint, /--sts-endpoint \/ AWS_ENDPOINT_URL_STS and the region/);
  // A bare object carries its code in `code`.
  assert.match(map({ code: "ENOTFOUND" }).message, /cannot reach STS at .* \(ENOTFOUND\)$/);
  // AWS's text is cut short: one line, not a dump.
  const long = map(stsError("Error", "x".repeat(1000)));
  assert.ok(long.message.length < 300, long.message);
});

test("an unknown code with an HTTP status quotes the code and AWS's text", () => {
  const error = map(stsError("SomethingNew", "a new kind of failure", 400));
  assert.equal(
    error.message,
    `sts:AssumeRole of ${ROLE} failed: SomethingNew: a new kind of failure`,
  );
  assert.equal(error.hint, "check the role and session flags");
});

test("anything thrown, even not an Error, becomes an EpicacError", () => {
  for (const thrown of [undefined, null, "boom", 42, {}]) {
    const error = map(thrown);
    assert.match(error.message, /^sts:AssumeRole of arn:aws:iam::222222222222:role\/dest failed: /);
  }
});

test("AWS's text is kept on one line", () => {
  const error = map(stsError("ValidationError", "line one\nline two\r\n\tline three", 400));
  assert.match(error.message, /STS refused a parameter: line one line two line three$/);
});

const SECRET = `wJalrXUtnFEMI/K7MDENG/bPxRfiCY${Math.random().toString(36).slice(2)}`;
registerSecret(SECRET);

test("no branch puts a registered secret on the error line", () => {
  // The secret sits where a 160- or 400-character cut of AWS's text could split it.
  const texts = [
    `the key ${SECRET} was refused`,
    `${"a".repeat(150)} ${SECRET}`,
    `${"a".repeat(390)} ${SECRET}`,
    `User: arn:aws:sts::111122223333:assumed-role/${SECRET} is not authorized`,
    `Request timeout for ${SECRET}`,
    `Region is missing ${SECRET}`,
  ];
  const codes = [
    "AccessDenied",
    "PackedPolicyTooLarge",
    "ExpiredToken",
    "InvalidIdentityToken",
    "IDPCommunicationError",
    "SignatureDoesNotMatch",
    "RegionDisabledException",
    "ValidationError",
    "Throttling",
    "TimeoutError",
    "NotCapable",
    "Error",
    "SomethingNew",
  ];
  let checked = 0;
  for (const code of codes) {
    for (const status of [undefined, 400, 500]) {
      for (const text of texts) {
        for (const call of [ASSUME, WEB, WHO]) {
          const line = describeError(map(stsError(code, text, status), call));
          assert.match(line, /^epicac: /);
          assertNoSecrets(line, [SECRET]);
          checked++;
        }
      }
    }
  }
  assert.equal(checked, codes.length * 3 * texts.length * 3);
});

test("an unregistered JWT in AWS's text is redacted too", () => {
  const jwt = fakeJwt({ sub: "system:serviceaccount:app" }, { signature: "c2lnbmF0dXJl" });
  for (const code of ["AccessDenied", "InvalidIdentityToken", "ValidationError", "Error", "Odd"]) {
    const line = describeError(
      map(stsError(code, `bad token ${jwt}`, code === "Odd" ? 400 : undefined), WEB),
    );
    assertNoSecrets(line, [jwt]);
  }
});
