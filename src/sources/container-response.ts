// The container credentials endpoint's answer, turned into Credentials or a clear error.
// Success is JSON; failures are plain text from Go's http.Error (the agent) or JSON (ECS).

import * as z from "zod/mini";
import { type Credentials, parseTimestamp } from "../credentials.ts";
import { EpicacError, HttpStatusError } from "../errors.ts";
import { oneLine, registerSecret } from "../redact.ts";
import type { TextResponse } from "../http/get.ts";

// Credential strings are printable ASCII without spaces; anything else is not a credential.
const credentialString = () => z.string().check(z.minLength(1), z.regex(/^[\x21-\x7e]+$/));

const AgentCredentials = z.object({
  AccessKeyId: credentialString(),
  SecretAccessKey: credentialString(),
  Token: credentialString(),
  Expiration: z.string(),
  AccountId: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  RoleArn: z.optional(z.string()),
});

/** Interpret one answer from `where` ("the credentials agent at http://…"). */
export function parseContainerResponse(response: TextResponse, where: string): Credentials {
  if (response.status !== 200) throw statusError(response, where);

  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    // The parser's own message quotes the body, which may hold secrets: describe it instead.
    throw new EpicacError(
      `${where} answered HTTP 200 with a body that is not JSON (${describeBody(response)})`,
      "check that the URI points at the EKS Pod Identity or ECS credentials endpoint",
    );
  }
  const parsed = AgentCredentials.safeParse(json);
  if (!parsed.success) {
    const fields = [
      ...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(document)")),
    ];
    throw new EpicacError(
      `${where} answered with credentials that are incomplete or malformed: ${
        fields.map((f) => describeField(json, f)).join(", ")
      }`,
      "check that the URI points at the EKS Pod Identity or ECS credentials endpoint",
    );
  }
  const answer = parsed.data;
  registerSecret(answer.SecretAccessKey);
  registerSecret(answer.Token);
  const expiration = parseTimestamp(answer.Expiration);
  if (!expiration) {
    throw new EpicacError(
      `${where} sent an Expiration that is not an RFC 3339 timestamp`,
      "check that the URI points at the EKS Pod Identity or ECS credentials endpoint",
    );
  }
  return {
    accessKeyId: answer.AccessKeyId,
    secretAccessKey: answer.SecretAccessKey,
    sessionToken: answer.Token,
    expiration,
    accountId: answer.AccountId ?? accountFromArn(answer.RoleArn),
  };
}

/** An error for a non-200 answer, carrying the endpoint's own message. */
function statusError(response: TextResponse, where: string): HttpStatusError {
  const { status } = response;
  const message = endpointMessage(response);
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

/** The endpoint's message: plain text from the agent, a JSON "message" from ECS; one short line. */
function endpointMessage(response: TextResponse): string {
  let text = response.body;
  if (response.contentType.includes("html") || /^\s*</.test(text)) {
    return `(an HTML page, ${describeBody(response)})`;
  }
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const field = doc?.message ?? doc?.Message ?? doc?.error;
    if (typeof field === "string") text = field;
  } catch {
    // Plain text, as Go's http.Error writes it.
  }
  const line = oneLine(text);
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function describeBody(response: TextResponse): string {
  const type = response.contentType.split(";")[0].trim() || "no content type";
  return `${type}, ${new TextEncoder().encode(response.body).byteLength} bytes`;
}

function describeField(json: unknown, path: string): string {
  if (path === "(document)") return "the answer is not a JSON object";
  const present = typeof json === "object" && json !== null && path in json;
  return present ? `${path} is malformed` : `${path} is missing`;
}

function accountFromArn(arn: string | undefined): string | undefined {
  return arn?.match(/^arn:[\w-]+:(?:iam|sts)::(\d{12}):/)?.[1];
}
