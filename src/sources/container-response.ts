// The container credentials endpoint's answer, turned into Credentials or a clear error.
// Success is JSON; failures are plain text from Go's http.Error (the agent) or JSON (ECS).

import { accountOf } from "../arn.ts";
import {
  checkCredentials,
  type Credentials,
  type FieldNames,
  parseTimestamp,
  STS_FIELD_NAMES,
} from "../credentials.ts";
import { EpicacError, HttpStatusError } from "../errors.ts";
import { oneLine, registerSecret } from "../redact.ts";
import type { TextResponse } from "../http/request.ts";

const AGENT_FIELD_NAMES: FieldNames = { ...STS_FIELD_NAMES, sessionToken: "Token" };
const HINT = "check that the URI points at the EKS Pod Identity or ECS credentials endpoint";

/** Interpret one answer from `where` ("the credentials agent at http://…"). */
export function parseContainerResponse(response: TextResponse, where: string): Credentials {
  // Parsed before any message is built, whatever the status: a body that carries credentials
  // (a hostile or broken agent's 500, 403 or 201) has its secrets registered for redaction.
  const json = parseJson(response.body);
  const holdsSecrets = registerCredentialShaped(json);
  if (response.status !== 200) throw statusError(response, json, holdsSecrets, where);
  if (json === undefined) {
    // The parser's own message quotes the body, which may hold secrets: describe it instead.
    throw new EpicacError(
      `${where} answered HTTP 200 with a body that is not JSON (${describeBody(response)})`,
      HINT,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new EpicacError(
      `${where} answered with credentials that are incomplete or malformed: the answer is not a JSON object`,
      HINT,
    );
  }
  const doc = json as Record<string, unknown>;
  let expiration: unknown = doc.Expiration;
  if (typeof expiration === "string") {
    expiration = parseTimestamp(expiration);
    if (!expiration) {
      throw new EpicacError(`${where} sent an Expiration that is not an RFC 3339 timestamp`, HINT);
    }
  }
  return checkCredentials(
    {
      accessKeyId: doc.AccessKeyId,
      secretAccessKey: doc.SecretAccessKey,
      sessionToken: doc.Token,
      expiration,
      accountId: doc.AccountId ?? accountOf(doc.RoleArn),
    },
    where,
    HINT,
    AGENT_FIELD_NAMES,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Field names that carry a secret, in the agent's, STS's or anyone's spelling.
const SECRET_FIELD = /secret|token|password|credential|session|key/i;

/** Register every string under a secret-looking field, at any depth; true if there was one. */
function registerCredentialShaped(json: unknown, depth = 0): boolean {
  if (typeof json !== "object" || json === null || depth > 8) return false;
  let found = false;
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === "string" && SECRET_FIELD.test(key)) {
      registerSecret(value);
      found = true;
    } else if (registerCredentialShaped(value, depth + 1)) {
      found = true;
    }
  }
  return found;
}

/** An error for a non-200 answer, carrying the endpoint's own message. */
function statusError(
  response: TextResponse,
  json: unknown,
  holdsSecrets: boolean,
  where: string,
): HttpStatusError {
  const { status } = response;
  const message = endpointMessage(response, json, holdsSecrets);
  const said = message ? `: ${message}` : "";
  return new HttpStatusError(
    status,
    `${where} answered HTTP ${status}${said}`,
    hintForStatus(status),
  );
}

function hintForStatus(status: number): string {
  if (status === 400) {
    return "check the service-account token file and that the pod uses the service account named in the association";
  }
  if (status === 401 || status === 403) {
    return "check that an EKS Pod Identity association exists for this namespace and service account, " +
      "that its role trusts pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession, and that the token is current";
  }
  if (status === 404) {
    return "check the URI path (/v1/credentials for EKS Pod Identity) and that the association exists";
  }
  if (status === 429) {
    return "the agent is throttling; reduce how often credentials are fetched (use the SDK's cache)";
  }
  if (status >= 500) return "check the eks-pod-identity-agent pods in kube-system and their logs";
  return "check the credentials endpoint";
}

/**
 * The endpoint's message, one short line: plain text from the agent (Go's http.Error), or a JSON
 * "message" from ECS. Nothing of a JSON document that holds credential-shaped fields is quoted;
 * anything else is redacted as every message is (secrets in escaped form included).
 */
function endpointMessage(response: TextResponse, json: unknown, holdsSecrets: boolean): string {
  let text = response.body;
  if (response.contentType.includes("html") || /^\s*</.test(text)) {
    return `(an HTML page, ${describeBody(response)})`;
  }
  if (holdsSecrets) {
    return `(a JSON document with credential fields, not shown; ${describeBody(response)})`;
  }
  if (typeof json === "object" && json !== null) {
    const doc = json as Record<string, unknown>;
    const field = doc.message ?? doc.Message ?? doc.error;
    if (typeof field === "string") text = field;
  }
  const line = oneLine(text);
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function describeBody(response: TextResponse): string {
  const type = response.contentType.split(";")[0].trim() || "no content type";
  return `${type}, ${new TextEncoder().encode(response.body).byteLength} bytes`;
}
