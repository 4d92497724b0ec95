// IRSA credentials: the projected web identity token exchanged for the role in AWS_ROLE_ARN with
// an unsigned sts:AssumeRoleWithWebIdentity. The token file is read fresh on every run.

import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";
import { readFailure, readTextFile } from "../read-file.ts";
import type { SessionOptions } from "../chain/session.ts";
import type { StsSettings } from "../chain/sts-settings.ts";
import type { Env } from "./container-uri.ts";
import { checkToken } from "./token.ts";

export interface WebIdentityConfig {
  tokenFile: string;
  roleArn: string;
}

/** The IRSA variables, when both are set. */
export function webIdentityConfig(env: Env): WebIdentityConfig | undefined {
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = env.AWS_ROLE_ARN;
  return tokenFile && roleArn ? { tokenFile, roleArn } : undefined;
}

export async function readWebIdentityToken(tokenFile: string): Promise<string> {
  let raw: string;
  try {
    raw = await readTextFile(tokenFile);
  } catch (error) {
    throw new EpicacError(
      `cannot read the web identity token file ${tokenFile} (AWS_WEB_IDENTITY_TOKEN_FILE): ${
        readFailure(error)
      }`,
      "check that the service account is annotated with eks.amazonaws.com/role-arn and the pod was restarted after it",
    );
  }
  return checkToken(
    raw,
    `the web identity token file ${tokenFile}`,
    "the kubelet has written the token",
  );
}

export async function getWebIdentityCredentials(
  config: WebIdentityConfig,
  session: SessionOptions,
  settings: StsSettings,
): Promise<Credentials> {
  const token = await readWebIdentityToken(config.tokenFile);
  debug(`source: web identity token ${config.tokenFile} for ${config.roleArn}`);
  const sts = await import("../chain/sts.ts");
  return sts.assumeRoleWithWebIdentity(settings, token, config.tokenFile, config.roleArn, session);
}
