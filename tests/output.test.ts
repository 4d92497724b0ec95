// src/output.ts: the credential_process JSON line and the `export` lines for a shell, exactly
// as SDKs and shells read them.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Credentials } from "../src/credentials.ts";
import { formatCredentials, formatEnv, formatProcessJson, FORMATS } from "../src/output.ts";

const FULL: Credentials = {
  accessKeyId: "ASIAEXAMPLEKEY",
  secretAccessKey: "secret/Key+1",
  sessionToken: "IQoJsessionToken==",
  expiration: new Date(Date.UTC(2026, 4, 1, 12, 34, 56, 789)),
  accountId: "111122223333",
};

test("json is one line with Version first and AccountId last, in the documented order", () => {
  assert.equal(
    formatProcessJson(FULL),
    '{"Version":1,"AccessKeyId":"ASIAEXAMPLEKEY","SecretAccessKey":"secret/Key+1",' +
      '"SessionToken":"IQoJsessionToken==","Expiration":"2026-05-01T12:34:56.789Z",' +
      '"AccountId":"111122223333"}\n',
  );
});

test("json omits SessionToken and AccountId when they are absent", () => {
  const { sessionToken: _t, accountId: _a, ...rest } = FULL;
  assert.equal(
    formatProcessJson(rest),
    '{"Version":1,"AccessKeyId":"ASIAEXAMPLEKEY","SecretAccessKey":"secret/Key+1",' +
      '"Expiration":"2026-05-01T12:34:56.789Z"}\n',
  );
});

test("json omits Expiration when there is none (long-lived credentials)", () => {
  const doc = JSON.parse(formatProcessJson({ accessKeyId: "AKIDX", secretAccessKey: "sk" }));
  assert.deepEqual(doc, { Version: 1, AccessKeyId: "AKIDX", SecretAccessKey: "sk" });
});

test("json escapes values so the document always parses back to the same strings", () => {
  const odd = { ...FULL, secretAccessKey: 'q"uote\\back\nslash\u2028' };
  const text = formatProcessJson(odd);
  assert.equal(text.indexOf("\n"), text.length - 1, "one line");
  assert.equal(JSON.parse(text).SecretAccessKey, odd.secretAccessKey);
});

test("env prints one export line per known value, in a fixed order", () => {
  assert.equal(
    formatEnv(FULL),
    "export AWS_ACCESS_KEY_ID='ASIAEXAMPLEKEY'\n" +
      "export AWS_SECRET_ACCESS_KEY='secret/Key+1'\n" +
      "export AWS_SESSION_TOKEN='IQoJsessionToken=='\n" +
      "export AWS_CREDENTIAL_EXPIRATION='2026-05-01T12:34:56.789Z'\n" +
      "export AWS_ACCOUNT_ID='111122223333'\n",
  );
});

test("env leaves out the variables whose value is absent", () => {
  assert.equal(
    formatEnv({ accessKeyId: "AKIDX", secretAccessKey: "sk" }),
    "export AWS_ACCESS_KEY_ID='AKIDX'\nexport AWS_SECRET_ACCESS_KEY='sk'\n",
  );
});

test("formatCredentials picks the format by name, and the names are json and env", () => {
  assert.deepEqual([...FORMATS], ["json", "env"]);
  assert.equal(formatCredentials(FULL, "json"), formatProcessJson(FULL));
  assert.equal(formatCredentials(FULL, "env"), formatEnv(FULL));
});
