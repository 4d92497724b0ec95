// src/node/issuer.ts against a real issuer on 127.0.0.1 that serves its OIDC discovery document
// and JWKS, with keys made by WebCrypto: tokens signed by the issuer's RS256 and ES256 keys and
// naming it verify; a changed byte, another key, another issuer, another algorithm or a malformed
// token never does, and never throws; an unknown key id fetches the keys again at most once a
// minute; a broken issuer fails fetchKeys() with an EpicacError that names what failed and quotes
// nothing the issuer sent; and which issuer URLs are accepted.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ConnectionError, EpicacError, TimeoutError } from "../../src/errors.ts";
import { isIssuerUrl, IssuerKeys } from "../../src/node/issuer.ts";
import { FakeClock } from "../support/clock.ts";
import { closedPort } from "../support/network.ts";

// Laid out as EKS lays out its issuers: the documents live under the issuer URL's path.
const ISSUER_PATH = "/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const DISCOVERY_PATH = `${ISSUER_PATH}/.well-known/openid-configuration`;
const JWKS_PATH = `${ISSUER_PATH}/keys`;
const TIMEOUT_MS = 2000;
/** Put into everything a broken issuer sends, so that a message quoting it shows. */
const MARKER = "IssuerSentThisMarker7";

type Alg = "RS256" | "ES256";

interface PublicJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}

interface Issuer {
  /** The issuer URL, as --issuer and the tokens' iss give it. */
  url: string;
  port: number;
  /** The discovery document, served as JSON. */
  discovery: unknown;
  /** The JWKS, served as JSON. */
  jwks: unknown;
  /** Answers that replace the documents above, by request path. */
  answers: Map<string, (res: ServerResponse) => void>;
  /** Every request's path, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** An issuer serving `keys`; close() also drops connections still open. */
async function startIssuer(keys: PublicJwk[] = []): Promise<Issuer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    issuer.requests.push(path);
    res.on("error", () => {});
    const answer = issuer.answers.get(path);
    if (answer) return answer(res);
    const document = path === DISCOVERY_PATH
      ? issuer.discovery
      : path === JWKS_PATH
      ? issuer.jwks
      : undefined;
    if (document === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${ISSUER_PATH}`;
  const issuer: Issuer = {
    url,
    port,
    discovery: {
      issuer: url,
      jwks_uri: `${url}/keys`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256", "ES256"],
    },
    jwks: { keys },
    answers: new Map(),
    requests: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return issuer;
}

/** Serve `body` with status `status`, as JSON. */
function answerWith(status: number, body: string, headers: Record<string, string> = {}) {
  return (res: ServerResponse) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
}

const bytesOf = (text: string) => new TextEncoder().encode(text);
const base64url = (bytes: Uint8Array) =>
  btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64url = (segment: string) =>
  Uint8Array.from(
    atob(
      segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "="),
    ),
    (c) => c.charCodeAt(0),
  );
const segment = (value: unknown) => base64url(bytesOf(JSON.stringify(value)));

/** A signing key of the issuer (or an attacker's), and its public JWK as a JWKS lists it. */
interface Signer {
  alg: Alg;
  kid: string;
  jwk: PublicJwk;
  sign(input: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

async function signer(alg: Alg, kid: string): Promise<Signer> {
  const params = alg === "RS256"
    ? {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }
    : { name: "ECDSA", namedCurve: "P-256" };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const exported = await crypto.subtle.exportKey("jwk", pair.publicKey);
  // Only what a Kubernetes issuer publishes: no ext, no key_ops.
  const material = alg === "RS256"
    ? { kty: "RSA", n: exported.n, e: exported.e }
    : { kty: "EC", crv: exported.crv, x: exported.x, y: exported.y };
  const signing = alg === "RS256"
    ? { name: "RSASSA-PKCS1-v1_5" }
    : { name: "ECDSA", hash: "SHA-256" };
  return {
    alg,
    kid,
    jwk: { use: "sig", ...material, kid, alg },
    sign: async (input) =>
      new Uint8Array(await crypto.subtle.sign(signing, pair.privateKey, input)),
  };
}

/** The claims of a projected service-account token issued by `iss`. */
function claims(iss: unknown): Record<string, unknown> {
  return {
    aud: ["pods.eks.amazonaws.com"],
    exp: 1767229200,
    iat: 1767225600,
    nbf: 1767225600,
    iss,
    sub: "system:serviceaccount:app:api",
    "kubernetes.io": {
      namespace: "app",
      pod: { name: "api-7d9f8-x2k4q", uid: "0b6d0f3e-6c8f-4b1e-9a43-5f1c2d3e4f50" },
      serviceaccount: { name: "api", uid: "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b" },
    },
  };
}

/** A compact JWS: `header` (alg and kid from `by` unless given) and `body`, signed by `by`. */
async function jws(
  by: Signer,
  body: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const input = `${segment({ alg: by.alg, kid: by.kid, ...header })}.${segment(body)}`;
  return `${input}.${base64url(await by.sign(bytesOf(input)))}`;
}

/** The token with `from` in its claims' JSON replaced by `to`, as long: bytes changed in place. */
function withClaimsText(token: string, from: string, to: string): string {
  const [head, body, signature] = token.split(".");
  const text = new TextDecoder().decode(fromBase64url(body));
  const changed = text.replace(from, to);
  assert.equal(from.length, to.length);
  assert.notEqual(changed, text);
  return `${head}.${base64url(bytesOf(changed))}.${signature}`;
}

/** The token with the last byte of its signature flipped. */
function withSignatureFlipped(token: string): string {
  const [head, body, signature] = token.split(".");
  const bytes = fromBase64url(signature);
  bytes[bytes.length - 1] ^= 0x01;
  return `${head}.${body}.${base64url(bytes)}`;
}

function keysOf(issuer: Issuer, clock = new FakeClock(), timeoutMs = TIMEOUT_MS): IssuerKeys {
  return new IssuerKeys(issuer.url, timeoutMs, clock);
}

/** One fetch of the keys: the discovery document, then the JWKS it names. */
const ONE_FETCH = [DISCOVERY_PATH, JWKS_PATH];

/** The EpicacError fetchKeys() fails with, checked to be one line that quotes none of MARKER. */
async function fetchFailure(keys: IssuerKeys): Promise<EpicacError> {
  try {
    await keys.fetchKeys();
  } catch (error) {
    assert.ok(error instanceof EpicacError, `not an EpicacError: ${String(error)}`);
    assert.match(error.message, /the service-account issuer/);
    assert.ok(!error.message.includes("\n"), error.message);
    assert.ok(!`${error.message} ${error.hint}`.includes(MARKER), error.message);
    assert.match(error.hint, /--issuer/);
    return error;
  }
  assert.fail("expected fetchKeys() to fail");
}

test("tokens signed by the issuer's RS256 and ES256 keys and naming it verify", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const ec = await signer("ES256", "ec-key-1");
  const issuer = await startIssuer([rsa.jwk, ec.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    assert.deepEqual(issuer.requests, ONE_FETCH);
    const ecToken = await jws(ec, claims(issuer.url));
    // JWS ES256 signatures are r || s, 64 bytes, not DER.
    assert.equal(fromBase64url(ecToken.split(".")[2]).length, 64);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);
    assert.equal(await keys.verify(ecToken), true);
    assert.equal(await keys.verify(ecToken), true);
    // Known keys cost no request.
    assert.deepEqual(issuer.requests, ONE_FETCH);
  } finally {
    await issuer.close();
  }
});

test("without keys yet (start-up could not fetch them), the first token fetches them", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);
    assert.deepEqual(issuer.requests, ONE_FETCH);
  } finally {
    await issuer.close();
  }
});

test("a token changed by one byte, or signed by another key, does not verify", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const ec = await signer("ES256", "ec-key-1");
  // An attacker's keys, claiming the issuer's key ids.
  const forgedRsa = await signer("RS256", rsa.kid);
  const forgedEc = await signer("ES256", ec.kid);
  const issuer = await startIssuer([rsa.jwk, ec.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    for (const [by, forger] of [[rsa, forgedRsa], [ec, forgedEc]]) {
      const token = await jws(by, claims(issuer.url));
      assert.equal(await keys.verify(token), true, `${by.alg} control`);
      const [head, body, signature] = token.split(".");
      const cases: Record<string, string> = {
        "one claim byte": withClaimsText(token, "app:api", "app:apj"),
        "one namespace byte": withClaimsText(token, '"namespace":"app"', '"namespace":"apq"'),
        "one signature byte": withSignatureFlipped(token),
        "another header": `${
          segment({ alg: by.alg, kid: by.kid, typ: "JWT" })
        }.${body}.${signature}`,
        "another key": await jws(forger, claims(issuer.url)),
        "another token's signature": `${head}.${body}.${
          (await jws(by, { ...claims(issuer.url), sub: "system:serviceaccount:kube-system:admin" }))
            .split(".")[2]
        }`,
        "the other algorithm's key": await jws(
          by === rsa ? forgedEc : forgedRsa,
          claims(issuer.url),
          {
            kid: by.kid,
          },
        ),
      };
      for (const [what, changed] of Object.entries(cases)) {
        assert.equal(await keys.verify(changed), false, `${by.alg}: ${what}`);
      }
    }
  } finally {
    await issuer.close();
  }
});

test("a token signed by the issuer's key but naming another issuer, or none, does not verify", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    for (
      const iss of [
        "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
        `http://127.0.0.2:${issuer.port}${ISSUER_PATH}`,
        issuer.url.toUpperCase(),
        [issuer.url],
        undefined,
      ]
    ) {
      assert.equal(await keys.verify(await jws(rsa, claims(iss))), false, JSON.stringify(iss));
    }
    // Even naming a key id never seen, such a token costs the issuer no request.
    const unknownKid = await jws(rsa, claims("https://elsewhere.example"), { kid: "new-kid" });
    assert.equal(await keys.verify(unknownKid), false);
    assert.deepEqual(issuer.requests, ONE_FETCH);
  } finally {
    await issuer.close();
  }
});

test("only RS256 and ES256 are accepted: alg none, HS256 and others do not verify", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    const body = segment(claims(issuer.url));
    const valid = await jws(rsa, claims(issuer.url));
    const hmac = async (secret: string) => {
      const input = `${segment({ alg: "HS256", kid: rsa.kid })}.${body}`;
      const key = await crypto.subtle.importKey(
        "raw",
        bytesOf(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      return `${input}.${
        base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, bytesOf(input))))
      }`;
    };
    const cases: Record<string, string> = {
      "alg none, no signature": `${segment({ alg: "none", kid: rsa.kid })}.${body}.`,
      "alg none, the valid signature": `${segment({ alg: "none", kid: rsa.kid })}.${body}.${
        valid.split(".")[2]
      }`,
      "no alg": `${segment({ kid: rsa.kid })}.${body}.${valid.split(".")[2]}`,
      // The classic confusion: the public key used as an HMAC secret.
      "HS256 keyed with the public JWK": await hmac(JSON.stringify(rsa.jwk)),
      "HS256 keyed with the modulus": await hmac(String(rsa.jwk.n)),
      "PS256 header, valid RS256 signature": `${segment({ alg: "PS256", kid: rsa.kid })}.${body}.${
        valid.split(".")[2]
      }`,
      "rs256 in lower case": `${segment({ alg: "rs256", kid: rsa.kid })}.${body}.${
        valid.split(".")[2]
      }`,
    };
    for (const [what, token] of Object.entries(cases)) {
      assert.equal(await keys.verify(token), false, what);
    }
    assert.equal(await keys.verify(valid), true, "control");
  } finally {
    await issuer.close();
  }
});

// WebCrypto itself refuses to import such a JWK for verifying (in Deno and in Bun): the code's own
// alg check and that refusal each suffice.
test("a key whose JWK names another alg, or another use, is not used", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const ec = await signer("ES256", "ec-key-1");
  const issuer = await startIssuer([
    { ...rsa.jwk, alg: "RS512" },
    { ...ec.jwk, alg: "ES384" },
  ]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    const rsaToken = await jws(rsa, claims(issuer.url));
    const ecToken = await jws(ec, claims(issuer.url));
    assert.equal(await keys.verify(rsaToken), false);
    assert.equal(await keys.verify(ecToken), false);

    // The same keys, published for encryption only.
    issuer.jwks = { keys: [{ ...rsa.jwk, use: "enc" }, { ...ec.jwk, use: "enc" }] };
    const encOnly = keysOf(issuer);
    await encOnly.fetchKeys();
    assert.equal(await encOnly.verify(rsaToken), false);
    assert.equal(await encOnly.verify(ecToken), false);

    // The same keys with no alg at all are used: the refusals above came from alg and use.
    const { alg: _rsaAlg, ...rsaNoAlg } = rsa.jwk;
    const { alg: _ecAlg, ...ecNoAlg } = ec.jwk;
    issuer.jwks = { keys: [rsaNoAlg, ecNoAlg] };
    const noAlg = keysOf(issuer);
    await noAlg.fetchKeys();
    assert.equal(await noAlg.verify(rsaToken), true);
    assert.equal(await noAlg.verify(ecToken), true);
    // Without alg the key's type still decides: an EC key never checks RS256, nor RSA ES256.
    const forgedEc = await signer("ES256", rsa.kid);
    const forgedRsa = await signer("RS256", ec.kid);
    assert.equal(await noAlg.verify(await jws(forgedEc, claims(issuer.url))), false);
    assert.equal(await noAlg.verify(await jws(forgedRsa, claims(issuer.url))), false);
  } finally {
    await issuer.close();
  }
});

test("malformed tokens do not verify, and verify never throws", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    const valid = await jws(rsa, claims(issuer.url));
    const [head, body, signature] = valid.split(".");
    const header = (value: unknown) => `${segment(value)}.${body}.${signature}`;
    const tokens = [
      `${head}.${body}`,
      `${head}.${body}.`,
      `${head}..${signature}`,
      `.${body}.${signature}`,
      `${head}.${body}.${signature.slice(0, -10)}`,
      `${head}.${body}.${signature}%%`,
      `${head}.${body}.!!!${signature.slice(3)}`,
      `${head}.${base64url(bytesOf("not json"))}.${signature}`,
      `${head}.${segment(null)}.${signature}`,
      `${head}.${segment([claims(issuer.url)])}.${signature}`,
      `${base64url(bytesOf('{"alg":'))}.${body}.${signature}`,
      header(null),
      header(["RS256"]),
      header("RS256"),
      header({ alg: { name: "RS256" }, kid: rsa.kid }),
      header({ alg: ["RS256"], kid: rsa.kid }),
      header({ alg: "constructor", kid: rsa.kid }),
      header({ alg: "__proto__", kid: rsa.kid }),
      header({ alg: "toString", kid: rsa.kid }),
      header({ alg: "RS256", kid: { toString: "rsa-key-1" } }),
      "",
      ".",
      "..",
      "...",
      "not a token",
      "a.b.c",
      "!!!.@@@.###",
      "\u0000.\u0000.\u0000",
      "é.ü.ß",
    ];
    for (const token of tokens) {
      assert.equal(await keys.verify(token), false, JSON.stringify(token));
    }
    assert.equal(await keys.verify(valid), true, "control");
  } finally {
    await issuer.close();
  }
});

test("a token naming an unknown key id fetches the keys again, at most once a minute", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const clock = new FakeClock();
    const keys = keysOf(issuer, clock);
    await keys.fetchKeys();
    const unknown = (kid: string) => jws(rsa, claims(issuer.url), { kid });
    const fetches = () => issuer.requests.filter((path) => path === JWKS_PATH).length;

    // Within a minute of the last fetch, unknown key ids cost nothing.
    await clock.advance(59_000);
    assert.equal(await keys.verify(await unknown("unknown-1")), false);
    assert.equal(fetches(), 1);

    await clock.advance(1_000);
    assert.equal(await keys.verify(await unknown("unknown-1")), false);
    assert.equal(fetches(), 2);
    assert.deepEqual(issuer.requests, [...ONE_FETCH, ...ONE_FETCH]);
    assert.equal(await keys.verify(await unknown("unknown-2")), false);
    await clock.advance(59_999);
    assert.equal(await keys.verify(await unknown("unknown-3")), false);
    assert.equal(fetches(), 2);

    await clock.advance(1);
    assert.equal(await keys.verify(await unknown("unknown-3")), false);
    assert.equal(fetches(), 3);
    // A known key id never fetches, however long since.
    await clock.advance(3_600_000);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);
    assert.equal(fetches(), 3);
  } finally {
    await issuer.close();
  }
});

test("a key rotated in is found by the next fetch; a key rotated out stops verifying", async () => {
  const old = await signer("RS256", "old-key");
  const rotated = await signer("ES256", "new-key");
  const issuer = await startIssuer([old.jwk]);
  try {
    const clock = new FakeClock();
    const keys = keysOf(issuer, clock);
    await keys.fetchKeys();
    const oldToken = await jws(old, claims(issuer.url));
    const newToken = await jws(rotated, claims(issuer.url));

    issuer.jwks = { keys: [old.jwk, rotated.jwk] };
    // Keys were fetched moments ago: the new one is not looked for yet.
    assert.equal(await keys.verify(newToken), false);
    await clock.advance(60_000);
    assert.equal(await keys.verify(newToken), true);
    assert.equal(await keys.verify(oldToken), true);
    assert.deepEqual(issuer.requests, [...ONE_FETCH, ...ONE_FETCH]);

    // The old key is withdrawn; the next fetch (another unknown key id) forgets it.
    issuer.jwks = { keys: [rotated.jwk] };
    await clock.advance(60_000);
    assert.equal(await keys.verify(await jws(old, claims(issuer.url), { kid: "other" })), false);
    assert.equal(issuer.requests.length, 6);
    assert.equal(await keys.verify(oldToken), false);
    assert.equal(await keys.verify(newToken), true);
  } finally {
    await issuer.close();
  }
});

test("a failed fetch keeps the keys already known, and a token it needed is refused", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const rotated = await signer("RS256", "rsa-key-2");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const clock = new FakeClock();
    const keys = keysOf(issuer, clock);
    await keys.fetchKeys();
    issuer.jwks = { keys: [rsa.jwk, rotated.jwk] };
    issuer.answers.set(DISCOVERY_PATH, answerWith(503, MARKER));
    await clock.advance(60_000);
    assert.equal(await keys.verify(await jws(rotated, claims(issuer.url))), false);
    assert.deepEqual(issuer.requests, [...ONE_FETCH, DISCOVERY_PATH]);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);

    // Once the issuer answers again, the next minute's fetch finds the new key.
    issuer.answers.clear();
    await clock.advance(60_000);
    assert.equal(await keys.verify(await jws(rotated, claims(issuer.url))), true);
  } finally {
    await issuer.close();
  }
});

test("concurrent fetchKeys() calls share one fetch, and its failure", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    await Promise.all([keys.fetchKeys(), keys.fetchKeys(), keys.fetchKeys()]);
    assert.deepEqual(issuer.requests, ONE_FETCH);
    // Once done, the next call fetches again: start-up and refetches ask for fresh keys.
    await keys.fetchKeys();
    assert.deepEqual(issuer.requests, [...ONE_FETCH, ...ONE_FETCH]);

    issuer.requests.length = 0;
    issuer.answers.set(DISCOVERY_PATH, answerWith(500, MARKER));
    const failures = await Promise.allSettled([keys.fetchKeys(), keys.fetchKeys()]);
    assert.deepEqual(issuer.requests, [DISCOVERY_PATH]);
    const [first, second] = failures.map((settled) => {
      assert.equal(settled.status, "rejected");
      return (settled as PromiseRejectedResult).reason;
    });
    assert.ok(first instanceof EpicacError);
    assert.equal(first, second);
  } finally {
    await issuer.close();
  }
});

test("a discovery document that is not JSON fails fetchKeys() without quoting it", async () => {
  const issuer = await startIssuer();
  try {
    issuer.answers.set(DISCOVERY_PATH, answerWith(200, `<html>${MARKER}</html>`));
    const error = await fetchFailure(keysOf(issuer));
    assert.match(error.message, /not JSON/);
    assert.deepEqual(issuer.requests, [DISCOVERY_PATH]);
  } finally {
    await issuer.close();
  }
});

test("a discovery document without a usable jwks_uri fails fetchKeys() and fetches nothing else", async () => {
  const issuer = await startIssuer();
  try {
    const url = issuer.url;
    const port = issuer.port;
    const unusable: Record<string, unknown> = {
      "no jwks_uri": undefined,
      "an empty one": "",
      "not a string": 42,
      "a relative one": `${ISSUER_PATH}/keys?${MARKER}`,
      // 0.0.0.0 reaches this machine: a client that went there would show in issuer.requests.
      "plain http to a host that is not loopback": `http://0.0.0.0:${port}${JWKS_PATH}?${MARKER}`,
      "another scheme": `ftp://127.0.0.1:${port}${JWKS_PATH}?${MARKER}`,
      "a file": `file:///etc/${MARKER}`,
    };
    for (const [what, jwksUri] of Object.entries(unusable)) {
      issuer.requests.length = 0;
      issuer.discovery = { issuer: url, jwks_uri: jwksUri };
      const error = await fetchFailure(keysOf(issuer));
      assert.match(error.message, /names no usable jwks_uri/, what);
      assert.deepEqual(issuer.requests, [DISCOVERY_PATH], what);
    }
  } finally {
    await issuer.close();
  }
});

test("a JWKS without a keys array fails fetchKeys()", async () => {
  const issuer = await startIssuer();
  try {
    for (const jwks of [{}, { keys: {} }, { keys: MARKER }, { keys: null }, { Keys: [] }, []]) {
      issuer.jwks = jwks;
      const error = await fetchFailure(keysOf(issuer));
      assert.match(error.message, /sent no keys/, JSON.stringify(jwks));
    }
  } finally {
    await issuer.close();
  }
});

test("entries of the keys array that are not keys are skipped, and the others used", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const ec = await signer("ES256", "ec-key-1");
  const issuer = await startIssuer([]);
  try {
    issuer.jwks = { keys: [null, MARKER, 42, true, [], rsa.jwk, { kid: "empty" }, ec.jwk] };
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);
    assert.equal(await keys.verify(await jws(ec, claims(issuer.url))), true);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url), { kid: "empty" })), false);
  } finally {
    await issuer.close();
  }
});

test("an error status fails fetchKeys() naming the document's path, never its query or body", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    issuer.answers.set(DISCOVERY_PATH, answerWith(500, `{"error":"${MARKER}"}`));
    let error = await fetchFailure(keysOf(issuer));
    assert.match(
      error.message,
      /answered HTTP 500 for \/id\/\w+\/\.well-known\/openid-configuration/,
    );
    issuer.answers.clear();

    const jwksUri = `${issuer.url}/keys?signature=${MARKER}`;
    issuer.discovery = { issuer: issuer.url, jwks_uri: jwksUri };
    issuer.answers.set(`${JWKS_PATH}?signature=${MARKER}`, answerWith(404, MARKER));
    error = await fetchFailure(keysOf(issuer));
    assert.match(error.message, /answered HTTP 404 for \/id\/\w+\/keys$/);
    // A failed fetch leaves no keys: the issuer's tokens are refused, not let through.
    const keys = keysOf(issuer);
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), false);
  } finally {
    await issuer.close();
  }
});

test("a document larger than 64 KiB fails fetchKeys(); one of exactly 64 KiB is read", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    // Padded with whitespace to `size` bytes: still the same valid JSON.
    const padded = (document: unknown, size: number) => {
      const text = JSON.stringify(document);
      return text + " ".repeat(size - text.length);
    };
    issuer.answers.set(DISCOVERY_PATH, answerWith(200, padded(issuer.discovery, 64 * 1024)));
    issuer.answers.set(JWKS_PATH, answerWith(200, padded(issuer.jwks, 64 * 1024)));
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    assert.equal(await keys.verify(await jws(rsa, claims(issuer.url))), true);

    issuer.answers.set(
      DISCOVERY_PATH,
      answerWith(200, padded({ ...issuer.discovery as object, marker: MARKER }, 64 * 1024 + 1)),
    );
    let error = await fetchFailure(keysOf(issuer));
    assert.match(error.message, /larger than 65536 bytes/);

    // Sent in chunks without a length: the cap holds while reading.
    issuer.answers.delete(DISCOVERY_PATH);
    issuer.answers.set(JWKS_PATH, (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"keys":[');
      const key = `${JSON.stringify(rsa.jwk)},`;
      for (let sent = 0; sent <= 64 * 1024; sent += key.length) res.write(key);
      res.end(`${JSON.stringify(rsa.jwk)}],"marker":"${MARKER}"}`);
    });
    error = await fetchFailure(keysOf(issuer));
    assert.match(error.message, /larger than 65536 bytes/);
  } finally {
    await issuer.close();
  }
});

test("a redirect, a refused connection or a silent issuer fails fetchKeys() with an EpicacError", async () => {
  const issuer = await startIssuer();
  try {
    issuer.answers.set(
      DISCOVERY_PATH,
      answerWith(302, "", { location: `http://127.0.0.1:${issuer.port}/moved?${MARKER}` }),
    );
    let error = await fetchFailure(keysOf(issuer));
    assert.match(error.message, /redirects are not followed/);
    assert.deepEqual(issuer.requests, [DISCOVERY_PATH]);

    issuer.answers.set(DISCOVERY_PATH, () => {}); // never answers
    error = await fetchFailure(keysOf(issuer, new FakeClock(), 200));
    assert.ok(error instanceof TimeoutError, error.message);
    assert.match(error.message, /no complete answer from the service-account issuer/);

    const gone = new IssuerKeys(
      `http://127.0.0.1:${await closedPort()}${ISSUER_PATH}`,
      TIMEOUT_MS,
      new FakeClock(),
    );
    error = await fetchFailure(gone);
    assert.ok(error instanceof ConnectionError, error.message);
    assert.match(error.message, /cannot connect to the service-account issuer/);
  } finally {
    await issuer.close();
  }
});

test("an issuer URL is https, or http only to loopback", () => {
  for (
    const url of [
      "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
      "https://10.0.0.1:8443/",
      "http://127.0.0.1:8080/id/x",
      "http://127.45.6.7/",
      "http://localhost:1234",
      "http://LOCALHOST/",
      "http://[::1]:8443/",
    ]
  ) {
    assert.equal(isIssuerUrl(url), true, url);
  }
  for (
    const url of [
      "http://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
      "http://10.0.0.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://0.0.0.0:8080/",
      "http://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://localhost.example.com/",
      "http://127.0.0.1.example.com/",
      "http://127.0.0.1@example.com/",
      "http://example.com#@127.0.0.1/",
      "ftp://127.0.0.1/",
      "file:///etc/passwd",
      "ws://127.0.0.1/",
      "https://",
      "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
      "/id/EXAMPLE",
      "",
      "not a url",
    ]
  ) {
    assert.equal(isIssuerUrl(url), false, url);
  }
});

test("a discovery document or JWKS that is JSON null fails fetchKeys() with an EpicacError", async () => {
  const issuer = await startIssuer();
  try {
    issuer.answers.set(DISCOVERY_PATH, answerWith(200, "null"));
    assert.match((await fetchFailure(keysOf(issuer))).message, /names no usable jwks_uri/);
    issuer.answers.clear();
    issuer.answers.set(JWKS_PATH, answerWith(200, "null"));
    assert.match((await fetchFailure(keysOf(issuer))).message, /sent no keys/);
  } finally {
    await issuer.close();
  }
});

test("tokens arriving together with a key rotated in all wait for the one fetch it needs", async () => {
  const old = await signer("RS256", "old-key");
  const rotated = await signer("RS256", "new-key");
  const issuer = await startIssuer([old.jwk]);
  try {
    const clock = new FakeClock();
    const keys = keysOf(issuer, clock);
    await keys.fetchKeys();
    issuer.jwks = { keys: [old.jwk, rotated.jwk] };
    await clock.advance(60_000);
    const token = await jws(rotated, claims(issuer.url));
    const verdicts = await Promise.all([
      keys.verify(token),
      keys.verify(token),
      keys.verify(token),
    ]);
    assert.deepEqual(verdicts, [true, true, true]);
    assert.deepEqual(issuer.requests, [...ONE_FETCH, ...ONE_FETCH]);
  } finally {
    await issuer.close();
  }
});

test("a token with more than three segments does not verify", async () => {
  const rsa = await signer("RS256", "rsa-key-1");
  const issuer = await startIssuer([rsa.jwk]);
  try {
    const keys = keysOf(issuer);
    await keys.fetchKeys();
    const token = await jws(rsa, claims(issuer.url));
    assert.equal(await keys.verify(token), true);
    assert.equal(await keys.verify(`${token}.extra`), false);
  } finally {
    await issuer.close();
  }
});
