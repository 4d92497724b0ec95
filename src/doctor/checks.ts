// doctor's checks. Each returns what it found, never a secret: tokens are described by their
// claims, credentials by their account and expiry.

import { type ChainOptions, resolveChain } from "../chain/resolve.ts";
import type { StsSettings } from "../chain/sts-settings.ts";
import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import { describeError, EpicacError } from "../errors.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { readFailure, readTextFile } from "../read-file.ts";
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
export const failWith = (name: string, error: unknown): Check =>
  error instanceof EpicacError
    ? fail(name, error.message, error.hint)
    : fail(name, describeError(error).replace(/^epicac: /, ""), "run again with --debug");

/** The largest AWS config file doctor reads: far above any real one, far below memory trouble. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

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
  // Claims are whatever the token holds: only strings (and string lists) are shown.
  const text = (value: unknown, missing: string) =>
    typeof value === "string" ? value : value === undefined ? missing : "(not a string)";
  const audience = Array.isArray(claims.aud)
    ? claims.aud.map((a) => text(a, "")).join(",")
    : text(claims.aud, "none");
  const described = `${origin}: JWT for ${text(claims.sub, "(no subject)")}, audience ${audience}`;
  const expiresMs = typeof claims.exp === "number" ? claims.exp * 1000 : NaN;
  if (Number.isFinite(expiresMs) && Math.abs(expiresMs) <= 8.64e15) {
    const expiry = new Date(expiresMs).toISOString();
    if (expiresMs <= now) {
      return fail(
        name,
        `${described}, expired at ${expiry}`,
        "the kubelet rotates this token: check the kubelet and the projected volume",
      );
    }
    return pass(name, `${described}, expires at ${expiry}`);
  }
  if (claims.exp !== undefined) {
    return pass(name, `${described}, with an exp claim that is not a time`);
  }
  return pass(name, described);
}

/** The source answers with credentials: account and expiry shown, never the keys. */
export async function checkSource(
  options: ChainOptions,
  deadline: Deadline,
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
        stsSettings(options, deadline),
      )
      : await getContainerCredentials({
        env: options.env,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        deadline,
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
    // The same rules as a token file: a regular file, of bounded size (a FIFO or /dev/zero
    // there must not hang or flood doctor).
    text = await readTextFile(file, MAX_CONFIG_BYTES);
  } catch (error) {
    return fail(
      name,
      `cannot read the AWS config file ${file}: ${readFailure(error, MAX_CONFIG_BYTES)}`,
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

/** With --cache-dir: the directory is this user's own, closed to others, and writable. */
export async function checkCache(options: ChainOptions): Promise<Check> {
  const name = "cache";
  if (!options.cache) return skip(name, "--cache-dir (EPICAC_CACHE_DIR) is not set");
  const { dir } = options.cache;
  const { probeCacheDir } = await import("../cache/store.ts");
  try {
    probeCacheDir(dir);
  } catch (fault) {
    return fail(
      name,
      `${(fault as Error).message}, so every run goes uncached (one STS call per run)`,
      "point --cache-dir (EPICAC_CACHE_DIR) at a directory this user owns and can write, on the pod's own filesystem (an emptyDir)",
    );
  }
  return pass(name, `${dir}: a private directory of this user, writable`);
}

/** With --assume: each hop, then who the last hop's credentials are. */
export async function checkChain(
  options: ChainOptions,
  source: Credentials | undefined,
  deadline: Deadline,
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
    settings = stsSettings(options, deadline);
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

/** The run's STS settings: the same resolution (region and endpoint) as a run. */
function stsSettings(options: ChainOptions, deadline: Deadline): StsSettings {
  const { sts } = resolveChain(options);
  if (!sts) throw new EpicacError("this set-up calls no STS", "give --assume to check hops");
  return {
    ...sts,
    timeoutMs: options.sts.timeoutMs,
    retries: options.sts.retries,
    signal: deadline.signal,
  };
}

function describe(c: Credentials): string {
  const account = c.accountId ? `for account ${c.accountId}` : "(account not sent)";
  if (!c.expiration) return account;
  const minutes = Math.round((c.expiration.getTime() - Date.now()) / 60_000);
  return `${account}, expiring at ${c.expiration.toISOString()} (in ${minutes} min)`;
}
