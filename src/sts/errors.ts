// STS failures, turned into messages that say what to fix. The STS error's code picks a row of
// the table below (a code and its "…Exception" twin share one); what no row names is judged by
// its HTTP status. AWS's own message is kept where it names the principal or the limit.

import { ConnectionError, EpicacError } from "../errors.ts";
import { oneLine } from "../redact.ts";

interface StsFailure {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

export type StsCall =
  | { kind: "AssumeRole"; roleArn: string; principal: string }
  | { kind: "AssumeRoleWithWebIdentity"; roleArn: string; tokenFile: string }
  | { kind: "GetCallerIdentity" };

/** What a row is given: the call, "sts:AssumeRole of <role>", AWS's message, the error's code. */
interface Failure {
  call: StsCall;
  what: string;
  aws: string;
  code: string;
}

type Described = [message: string, hint: string];

const ACCESS_DENIED = (f: Failure): Described => {
  if (f.call.kind === "AssumeRole") {
    const role = f.call.roleArn;
    return [
      `${f.what} was denied for ${principalIn(f.aws) ?? f.call.principal}`,
      `check that the trust policy of ${role} allows sts:AssumeRole (and sts:TagSession when tags are sent) ` +
      `for that principal, and that the principal's own permission policy allows sts:AssumeRole on ${role}`,
    ];
  }
  if (f.call.kind === "AssumeRoleWithWebIdentity") {
    return [
      `${f.what} was denied: ${f.aws}`,
      `check that the trust policy of ${f.call.roleArn} allows sts:AssumeRoleWithWebIdentity for the cluster's OIDC provider, with matching aud and sub conditions`,
    ];
  }
  return [`${f.what} was denied: ${f.aws}`, "check the credentials' permissions"];
};

const SIGNATURE = (f: Failure): Described => [
  `${f.what} failed: STS does not accept the credentials it was signed with (${f.code})`,
  "check that the source credentials are current and belong to this AWS partition and endpoint",
];

const PARAMETER = (f: Failure): Described => [
  `${f.what} failed: STS refused a parameter: ${f.aws}`,
  "check --duration against the role's maximum session duration, and the other session flags",
];

const THROTTLED = (f: Failure): Described => [
  `${f.what} was throttled by STS after retries`,
  "reduce how often credentials are fetched (use --cache-dir)",
];

/** By STS error code; a code's "…Exception" form finds the same row. */
const BY_CODE: Record<string, (f: Failure) => Described> = {
  AccessDenied: ACCESS_DENIED,
  PackedPolicyTooLarge: (f) => [
    `${f.what} failed: the session policy and tags are too large (${f.aws})`,
    "EKS Pod Identity adds six transitive session tags to the pod's session, and they count on every later hop: " +
    "set disableSessionTags on the Pod Identity association, or send fewer --tag values",
  ],
  ExpiredToken: (f) =>
    f.call.kind === "AssumeRoleWithWebIdentity"
      ? [
        `${f.what} failed: the web identity token has expired`,
        `check that the kubelet still rotates ${f.call.tokenFile}`,
      ]
      : [
        `${f.what} failed: the credentials it was signed with have expired`,
        "check the clock on this node and the source of those credentials",
      ],
  InvalidIdentityToken: (f) => [
    `${f.what} failed: STS rejected the web identity token (${f.aws})`,
    "check that an IAM OIDC identity provider exists for the cluster's issuer, with audience sts.amazonaws.com",
  ],
  IDPCommunicationError: (f) => [
    `${f.what} failed: STS could not reach the identity provider (${f.aws})`,
    "this is usually transient; try again",
  ],
  InvalidClientTokenId: SIGNATURE,
  UnrecognizedClient: SIGNATURE,
  SignatureDoesNotMatch: SIGNATURE,
  RegionDisabled: (f) => [
    `${f.what} failed: STS is not activated in this region (${f.aws})`,
    "activate the region for STS in the account's IAM settings, or pass --region with an active region",
  ],
  MalformedPolicyDocument: PARAMETER,
  ValidationError: PARAMETER,
  Throttling: THROTTLED,
  RequestLimitExceeded: THROTTLED,
};

export function mapStsError(error: unknown, call: StsCall, endpoint: string): EpicacError {
  const e = (error ?? {}) as StsFailure;
  const code = e.name ?? e.code ?? "Error";
  const aws = oneLine(String(e.message ?? "")).slice(0, 400);
  const what = call.kind === "GetCallerIdentity"
    ? "sts:GetCallerIdentity"
    : `sts:${call.kind} of ${call.roleArn}`;
  const fail = ([message, hint]: Described) => new EpicacError(message, hint, { cause: error });
  // From epicac's own HTTP layer: a refused answer (too large, a redirect) or a connection that
  // failed on every attempt. Its message already names STS and what went wrong.
  if (error instanceof ConnectionError || (error instanceof EpicacError && !error.retryable)) {
    return fail([`${what} failed: ${error.message}`, error.hint]);
  }
  const row = BY_CODE[code] ?? BY_CODE[code.replace(/Exception$/, "")];
  if (row) return fail(row({ call, what, aws, code }));

  const status = e.$metadata?.httpStatusCode;
  if (code === "TimeoutError" || /timed? ?out|timeout/i.test(aws) && !status) {
    return fail([
      `${what} failed: no answer from STS at ${endpoint} in time`,
      "check network access to the STS endpoint, or raise --timeout",
    ]);
  }
  if (code === "NotCapable") {
    // The Deno build's sandbox refused something the SDK needed: a bug in scripts/deno-permissions.ts.
    return fail([
      `${what} failed: the Deno sandbox refused it (${aws})`,
      "report this: the build's permission set is missing an entry",
    ]);
  }
  if (/region is missing/i.test(aws)) {
    return fail([
      "no AWS region is set for STS",
      "pass --region, or set AWS_REGION (EKS Pod Identity sets it in the pod)",
    ]);
  }
  if (status && status >= 500) {
    return fail([
      `${what} failed: STS answered HTTP ${status} after retries (${code})`,
      `check STS availability at ${endpoint}`,
    ]);
  }
  if (!status) {
    return fail([
      `${what} failed: cannot reach STS at ${endpoint} (${code}${
        aws ? `: ${aws.slice(0, 160)}` : ""
      })`,
      "check network access to the STS endpoint, --sts-endpoint / AWS_ENDPOINT_URL_STS and the region",
    ]);
  }
  return fail([`${what} failed: ${code}: ${aws}`, "check the role and session flags"]);
}

/** The principal AWS names in an AccessDenied message ("User: arn:… is not authorized"). */
function principalIn(message: string): string | undefined {
  return /User: (arn:\S+) is not authorized/.exec(message)?.[1];
}
