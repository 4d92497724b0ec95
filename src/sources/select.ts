// Which source the credentials come from: the one --source names, else the first one the
// environment configures, in the AWS SDKs' order: container credentials, then web identity.
// A configured source that fails is an error; epicac does not fall through to the next one.

import { EpicacError } from "../errors.ts";
import type { Env } from "./container-uri.ts";
import { webIdentityConfig } from "./web-identity.ts";

export const SOURCES = ["container", "web-identity"] as const;
export type SourceKind = typeof SOURCES[number];

export function containerConfigured(env: Env): boolean {
  return Boolean(
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );
}

export function selectSource(requested: SourceKind | undefined, env: Env): SourceKind {
  if (requested === "web-identity" && !webIdentityConfig(env)) {
    throw new EpicacError(
      "--source web-identity needs AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, and one is not set",
      "check that the service account is annotated with eks.amazonaws.com/role-arn and the pod was restarted after it",
    );
  }
  if (requested) return requested;
  if (containerConfigured(env)) return "container";
  if (webIdentityConfig(env)) return "web-identity";
  return "container"; // whose error names the EKS Pod Identity variables
}
