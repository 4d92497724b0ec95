// The web identity source (IRSA): the projected token in AWS_WEB_IDENTITY_TOKEN_FILE, read
// afresh on every run, exchanged for the role in AWS_ROLE_ARN with an unsigned
// sts:AssumeRoleWithWebIdentity. STS is handed in by the pipeline, never loaded here.

import { checkRoleArn } from "../arn.ts";
import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";
import { readFailure, readSmallFile } from "../small-file.ts";
import type { Source, SourceContext, SourceCredentials } from "./source.ts";
import { checkToken, type Token, tokenIdentity } from "./token.ts";

export interface WebIdentityConfig {
  tokenFile: string;
  roleArn: string;
}

/** The IRSA variables, when both are set; AWS_ROLE_ARN is checked like an --assume ARN. */
export function webIdentityConfig(env: Env): WebIdentityConfig | undefined {
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = env.AWS_ROLE_ARN;
  if (!tokenFile || !roleArn) return undefined;
  return { tokenFile, roleArn: checkRoleArn(roleArn, "AWS_ROLE_ARN").arn };
}

export const webIdentitySource: Source = {
  kind: "web-identity",
  checkName: "web identity",
  callsSts: true,
  sessionOptions: ["sessionName", "durationSeconds"],
  isConfigured: (env) => Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN),
  notConfigured: () =>
    new EpicacError(
      "--source web-identity needs AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, and one is not set",
      "check that the service account is annotated with eks.amazonaws.com/role-arn and the pod was restarted after it",
    ),
  describeSetUp(env) {
    const config = required(env);
    return `IRSA: AWS_ROLE_ARN=${config.roleArn}, AWS_WEB_IDENTITY_TOKEN_FILE=${config.tokenFile}`;
  },
  readToken: (env) => readWebIdentityToken(required(env).tokenFile),
  async identity(env) {
    const config = required(env);
    const token = await readWebIdentityToken(config.tokenFile);
    return {
      kind: "web-identity",
      roleArn: config.roleArn,
      token: await tokenIdentity(token.value),
    };
  },
  describe: (env) => required(env).roleArn,
  getCredentials,
};

function required(env: Env): WebIdentityConfig {
  const config = webIdentityConfig(env);
  if (!config) throw webIdentitySource.notConfigured();
  return config;
}

export async function readWebIdentityToken(tokenFile: string): Promise<Token> {
  let raw: string;
  try {
    raw = await readSmallFile(tokenFile);
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
    `web identity token file ${tokenFile}`,
    "the kubelet has written the token",
  );
}

async function getCredentials(context: SourceContext): Promise<SourceCredentials> {
  const config = required(context.env);
  const token = await readWebIdentityToken(config.tokenFile);
  debug(`source: web identity token ${config.tokenFile} for ${config.roleArn}`);
  const { calls, settings } = await context.sts();
  const credentials = await calls.assumeRoleWithWebIdentity(
    settings,
    token.value,
    config.tokenFile,
    config.roleArn,
    context.session,
  );
  return { credentials, principal: `the session of ${config.roleArn}` };
}
