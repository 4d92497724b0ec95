// A credentials answer in the Pod Identity agent's own format, which every SDK's container
// provider reads: serve's and node's. Each Credentials object is encoded once, then its answer
// served as it is.

import type { Credentials } from "../credentials.ts";
import { cacheable, type HttpResponse } from "./http1.ts";

// Each refresh gives one Credentials object: its answer is built once, then served as it is.
const answers = new WeakMap<Credentials, HttpResponse>();

export function answerOf(credentials: Credentials): HttpResponse {
  let answer = answers.get(credentials);
  if (answer === undefined) answers.set(credentials, answer = credentialsAnswer(credentials));
  return answer;
}

// One object for every answer's headers: node holds an answer per pod and route.
const JSON_HEADERS = Object.freeze({ "content-type": "application/json" });

/** The answer that serves `credentials`, built now: its bytes are all it holds of them. */
export function credentialsAnswer(credentials: Credentials): HttpResponse {
  return cacheable({ status: 200, headers: JSON_HEADERS, body: agentJson(credentials) });
}

/** The Pod Identity agent's answer: Expiration in RFC 3339 UTC, AccountId when known. */
export function agentJson(c: Credentials): string {
  const doc: Record<string, string> = {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Token: c.sessionToken ?? "",
  };
  if (c.expiration) doc.Expiration = c.expiration.toISOString();
  if (c.accountId) doc.AccountId = c.accountId;
  return JSON.stringify(doc);
}
