// doctor's checks. Each returns what it found, never a secret: tokens are described by their
// claims, credentials by their account and expiry.

import { readFile } from "node:fs/promises";
import type { ChainOptions } from "../chain/resolve.ts";
import { resolveStsEndpoint } from "../chain/sts-endpoint.ts";
import type { StsSettings } from "../chain/sts-settings.ts";
import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { readFailure } from "../read-file.ts";
import { readAuthorizationToken } from "../sources/container-token.ts";
import { getContainerCredentials } from "../sources/container.ts";
import { checkContainerUri, type Env, resolveContainerUri } from "../sources/container-uri.ts";
import { containerConfigured, selectSource } from "../sources/select.ts";
import {
  getWebIdentityCredentials,
  readWebIdentityToken,
  webIdentityConfig,
} from "../sources/web-identity.ts";
import { configFilePath, parseAwsConfig, resolveProfile } from "./aws-config.ts";

export interface Check {
  name: string;
  status: "pass" | "fail" | "skip";
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

const pass = (name: string, detail: string): Check => ({ name, status: "pass", detail });
const skip = (name: string, detail: string): Check => ({ name, status: "skip", detail });
const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  status: "fail",
  detail,
  fix,
});
const failWith = (name: string, error: unknown): Check =>
  error instanceof EpicacError
    ? fail(name, error.message, error.hint)
    : fail(name, String((error as Error)?.message ?? error), "run again with --debug");

/** Which of the variables EKS Pod Identity, ECS and IRSA set are present. */
export function checkEnvironment(env: Env): Check {
  const name = "environment";
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (full) {
    try {
      checkContainerUri(new URL(full), "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    } catch (error) {
      if (error instanceof EpicacError) return failWith(name, error);
      return fail(
        name,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URI",
        "check the value the pod was given",
      );
    }
    const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
      ? `token file ${env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}`
      : env.AWS_CONTAINER_AUTHORIZATION_TOKEN
      ? "token in AWS_CONTAINER_AUTHORIZATION_TOKEN"
      : undefined;
    if (!token) {
      return fail(
        name,
        `AWS_CONTAINER_CREDENTIALS_FULL_URI is set (${full}) but no authorization token variable is`,
        "EKS Pod Identity also sets AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: check the pod spec does not override the environment",
      );
    }
    const kind = /169\.254\.170\.23|fd00:ec2::23/.test(full)
      ? "EKS Pod Identity"
      : "container credentials";
    return pass(name, `${kind}: AWS_CONTAINER_CREDENTIALS_FULL_URI=${full}, ${token}`);
  }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
    return pass(
      name,
      `ECS task role: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`,
    );
  }
  const irsa = webIdentityConfig(env);
  if (irsa) {
    return pass(
      name,
      `IRSA: AWS_ROLE_ARN=${irsa.roleArn}, AWS_WEB_IDENTITY_TOKEN_FILE=${irsa.tokenFile}`,
    );
  }
  return fail(
    name,
    "none of the variables EKS Pod Identity, ECS or IRSA set is present",
    "create an EKS Pod Identity association for this namespace and service account, then restart the pod " +
      "(variables are injected only into pods started after the association exists)",
  );
}

/** The token file: there, readable, not empty, and (for a JWT) not expired; claims shown. */
export async function checkToken(env: Env, now = Date.now()): Promise<Check> {
  const name = "token";
  const irsa = !containerConfigured(env) ? webIdentityConfig(env) : undefined;
  // Read by the sources' own readers: the same checks and messages as a real run.
  let token: string;
  let origin: string;
  try {
    if (irsa) {
      token = await readWebIdentityToken(irsa.tokenFile);
      origin = `web identity token file ${irsa.tokenFile}`;
    } else {
      const found = await readAuthorizationToken(env);
      if (!found) return skip(name, "no authorization token is configured");
      ({ value: token, origin } = found);
    }
  } catch (error) {
    return failWith(name, error);
  }
  const claims = decodeJwtClaims(token);
  if (!claims) return pass(name, `${origin}: ${token.length} characters, not a JWT`);
  const audience = Array.isArray(claims.aud) ? claims.aud.join(",") : String(claims.aud ?? "none");
  const described = `${origin}: JWT for ${claims.sub ?? "(no subject)"}, audience ${audience}`;
  if (typeof claims.exp === "number") {
    const expiry = new Date(claims.exp * 1000).toISOString();
    if (claims.exp * 1000 <= now) {
      return fail(
        name,
        `${described}, expired at ${expiry}`,
        "the kubelet rotates this token: check the kubelet and the projected volume",
      );
    }
    return pass(name, `${described}, expires at ${expiry}`);
  }
  return pass(name, described);
}

/** The source answers with credentials: account and expiry shown, never the keys. */
export async function checkSource(
  options: ChainOptions,
): Promise<{ check: Check; credentials?: Credentials }> {
  let kind;
  try {
    kind = selectSource(options.source, options.env);
  } catch (error) {
    return { check: failWith("credentials", error) };
  }
  const name = kind === "web-identity" ? "web identity" : "agent";
  try {
    const credentials = kind === "web-identity"
      ? await getWebIdentityCredentials(
        webIdentityConfig(options.env)!,
        options.session,
        stsSettings(options),
      )
      : await getContainerCredentials({
        env: options.env,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
    const where = kind === "web-identity"
      ? webIdentityConfig(options.env)!.roleArn
      : resolveContainerUri(options.env).origin;
    return {
      check: pass(name, `${where} answered with credentials ${describe(credentials)}`),
      credentials,
    };
  } catch (error) {
    return { check: failWith(name, error) };
  }
}

/** AWS_CONFIG_FILE / AWS_PROFILE, when set: the file parses and the profile resolves. */
export async function checkConfig(env: Env): Promise<Check> {
  const name = "config";
  if (!env.AWS_CONFIG_FILE && !env.AWS_PROFILE) {
    return skip(name, "AWS_CONFIG_FILE and AWS_PROFILE are not set");
  }
  const file = configFilePath(env);
  const profile = env.AWS_PROFILE || "default";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return fail(
      name,
      `cannot read the AWS config file ${file}: ${readFailure(error)}`,
      "check AWS_CONFIG_FILE and the ConfigMap mount",
    );
  }
  try {
    const steps = await resolveProfile(parseAwsConfig(text), profile, env);
    return pass(name, `${file}, profile ${profile}: ${steps.join("; ")}`);
  } catch (error) {
    return fail(
      name,
      `${file}, profile ${profile}: ${(error as Error).message}`,
      "fix the AWS config file or AWS_PROFILE",
    );
  }
}

/** With --assume: each hop, then who the last hop's credentials are. */
export async function checkChain(
  options: ChainOptions,
  source: Credentials | undefined,
): Promise<Check[]> {
  if (options.assume.length === 0) return [skip("chain", "no --assume hops given")];
  if (!source) return [skip("chain", "no source credentials to start the chain from")];
  const checks: Check[] = [];
  let sts;
  try {
    sts = await import("../chain/sts.ts");
  } catch (error) {
    return [failWith("chain", error)];
  }
  let settings;
  try {
    settings = stsSettings(options);
  } catch (error) {
    return [failWith("chain", error)];
  }
  let credentials = source;
  let principal = "the pod's credentials";
  for (const [index, roleArn] of options.assume.entries()) {
    const name = `hop ${index + 1}`;
    try {
      credentials = await sts.assumeRole(
        settings,
        credentials,
        principal,
        roleArn,
        options.session,
      );
      checks.push(pass(name, `assumed ${roleArn}: credentials ${describe(credentials)}`));
      principal = `the session of ${roleArn}`;
    } catch (error) {
      checks.push(failWith(name, error));
      return checks;
    }
  }
  try {
    const identity = await sts.getCallerIdentity(settings, credentials);
    checks.push(pass("identity", `sts:GetCallerIdentity: ${identity.arn}`));
  } catch (error) {
    checks.push(failWith("identity", error));
  }
  return checks;
}

function stsSettings(options: ChainOptions): StsSettings {
  return { ...options.sts, endpoint: resolveStsEndpoint(options.sts.endpoint, options.env) };
}

function describe(c: Credentials): string {
  const account = c.accountId ? `for account ${c.accountId}` : "(account not sent)";
  if (!c.expiration) return account;
  const minutes = Math.round((c.expiration.getTime() - Date.now()) / 60_000);
  return `${account}, expiring at ${c.expiration.toISOString()} (in ${minutes} min)`;
}
