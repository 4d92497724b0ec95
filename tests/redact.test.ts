// src/redact.ts: no registered secret and nothing shaped like a JWT reaches stderr.
// The registry is process-wide, so every test registers values of its own.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_SECRETS, redact, registerSecret } from "../src/redact.ts";
import { describeError, EpicacError } from "../src/errors.ts";

let counter = 0;
/** A secret no other test (or test file) registers. */
function unique(label: string): string {
  counter++;
  return `${label}${counter}${Math.random().toString(36).slice(2, 10)}Q9`;
}

test("a registered secret is replaced wherever it appears", () => {
  const secret = unique("wJalrXUtnFEMI/K7MDENG+");
  registerSecret(secret);
  assert.equal(
    redact(`key=${secret}; again ${secret}.`),
    "key=[redacted]; again [redacted].",
  );
});

test("values of 8 characters or more are registered; shorter ones and undefined are ignored", () => {
  const seven = "Zq7xW3p";
  const eight = `R${Math.random().toString(36).slice(2, 9).padEnd(7, "x")}`;
  assert.equal(eight.length, 8);
  registerSecret(seven);
  registerSecret(eight);
  registerSecret(undefined);
  assert.equal(redact(`${seven} <${eight}> undefined`), `${seven} <[redacted]> undefined`);
});

test("a secret with regular-expression characters is matched literally", () => {
  const secret = unique("a.b*c+d?(e)[f]$^|\\");
  registerSecret(secret);
  assert.equal(redact(`x ${secret} y`), "x [redacted] y");
  assert.equal(redact("x aXbbbcd y"), "x aXbbbcd y");
});

test("an unregistered JWT-shaped string is replaced", () => {
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl-_x";
  assert.equal(redact(`token ${jwt} was refused`), "token [redacted-jwt] was refused");
});

test("a JWT with an empty signature is still replaced", () => {
  assert.equal(redact("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."), "[redacted-jwt]");
});

test("every JWT in a line is replaced", () => {
  const a = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.sigA";
  const b = "eyJraWQiOiJ4In0.eyJiIjoyfQ.sigB";
  assert.equal(redact(`${a} and ${b}`), "[redacted-jwt] and [redacted-jwt]");
});

test("only the JWT is replaced, not text that merely starts like one", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.sig";
  for (const text of ["eyJ", "eyJhbGci", "eyJhbGciOiJ9.notjwt", "eyJab.eyJcd.e"]) {
    assert.equal(redact(`${text} ${jwt} ${text}`), `${text} [redacted-jwt] ${text}`);
  }
});

test("a registered secret that contains another registered secret is redacted whole", () => {
  const inner = unique("Inner");
  const outer = `${inner}-TAIL-${unique("Outer")}`;
  registerSecret(inner);
  registerSecret(outer);
  const out = redact(`token ${outer} refused`);
  assert.match(out, /^token \[redacted\]/);
  assert.ok(!out.includes("TAIL"), `part of the longer secret remained: ${out}`);
});

test("a secret holding a tab or NUL is still redacted from the line describeError writes", () => {
  // main.ts writes redact(describeError(error)); describeError collapses whitespace and control
  // characters first, so the registered value must still be found afterwards.
  const secret = unique("tab\tinside\u0000nul");
  registerSecret(secret);
  const line = redact(describeError(new EpicacError(`Access Denied for token ${secret}`, "h")));
  assert.match(line, /^epicac: Access Denied for token /);
  assert.ok(!line.includes("inside"), `the secret leaked: ${line}`);
});

test("a secret echoed JSON-escaped is masked: quotes and backslashes escaped", () => {
  const secret = unique('quo"te\\back');
  registerSecret(secret);
  const echoed = JSON.stringify({ detail: `bad token ${secret}` });
  assert.ok(!echoed.includes(secret), "the fixture must hold only the escaped form");
  const out = redact(echoed);
  assert.equal(out, '{"detail":"bad token [redacted]"}');
});

test("a secret echoed as \\uXXXX escapes, whole or in part, either case, is masked", () => {
  const secret = unique("Uni");
  registerSecret(secret);
  const all = [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const upper = all.map((e) => e.toUpperCase().replace("\\U", "\\u"));
  const mixed = [...secret].map((c, i) => (i % 2 ? all[i] : c));
  for (const form of [all.join(""), upper.join(""), mixed.join("")]) {
    assert.equal(redact(`{"why":"token ${form} refused"}`), '{"why":"token [redacted] refused"}');
  }
});

test("text around an escaped secret, escapes included, is kept as it was", () => {
  const secret = unique("Keep");
  registerSecret(secret);
  const escaped = [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  assert.equal(
    redact(`a\\nb ${escaped.join("")} \\"c\\"`),
    'a\\nb [redacted] \\"c\\"',
  );
});

test("credential-shaped text no one registered is masked: keys' values, key ids, secrets, session tokens", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE"; // 40 characters
  const session = `IQoJb3JpZ2luX2VjE${"Ab1/+".repeat(30)}`;
  const page = `500 Internal Server Error: upstream said AccessKeyId ASIAQ3EXAMPLEKEY0001 ` +
    `SecretAccessKey=${secret} Token: "${session}" and session_token='abc12345xyz'`;
  const out = redact(page);
  for (const leaked of [secret, session, "ASIAQ3EXAMPLEKEY0001", "abc12345xyz"]) {
    assert.ok(!out.includes(leaked), `${leaked.slice(0, 12)}… was masked`);
  }
  assert.match(
    out,
    /^500 Internal Server Error: upstream said AccessKeyId \[redacted-key-id\] SecretAccessKey=\[redacted\]/,
  );
  assert.equal(redact(`a bare secret: ${secret}.`), "a bare secret: [redacted].");
});

test("ordinary text is left alone: hex digests, commits, names, paths, ARNs", () => {
  const text = [
    "commit 0eabd95ee151c67812e8d797ddcf8a1e921c9909",
    "sha256 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not set",
    "arn:aws:iam::222222222222:role/app-pod",
    "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
    "the token file holds 12 characters",
  ].join("\n");
  assert.equal(redact(text), text);
});

test("the registry keeps the most recent secrets only; credential-shaped ones stay masked beyond it", () => {
  const first = `ASIAOLDEST${"Q".repeat(10)}`;
  const oldSecret = unique("wJalrXUtnFEMI/K7MDENG/oldest");
  registerSecret(oldSecret);
  registerSecret(first);
  for (let i = 0; i < MAX_SECRETS; i++) registerSecret(unique("filler-secret-"));
  assert.equal(redact(`x ${oldSecret} y`), `x ${oldSecret} y`, "forgotten: a plain word now");
  assert.equal(redact(`x ${first} y`), "x [redacted-key-id] y", "still masked by its shape");
});
