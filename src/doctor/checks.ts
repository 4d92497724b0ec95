// doctor's checks. Each returns what it found, never a secret: tokens are described by their
// claims, credentials by their account and expiry. The source, the token and the chain are
// looked at through the same Source and pipeline a run uses, so doctor finds what a run would.

import type { Credentials } from "../credentials.ts";
import type { Env } from "../env.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { readFailure } from "../small-file.ts";
import type { Source } from "../sources/source.ts";
import { type Check, fail, failWith, pass, skip } from "./check.ts";
import { checkShell } from "./shell.ts";
import {
  MAX_CONFIG_BYTES,
  profileNames,
  readAwsConfig,
  regionsFor,
  resolveProfile,
} from "./aws-config.ts";

/** What the environment sets up for `source`; `source` undefined: none is set up. */
export function checkEnvironment(env: Env, source: Source | undefined): Check {
  const name = "environment";
  if (!source) {
    return fail(
      name,
      "none of the variables EKS Pod Identity, ECS or IRSA set is present",
      "create an EKS Pod Identity association for this namespace and service account, then restart the pod " +
        "(variables are injected only into pods started after the association exists)",
    );
  }
  if (!source.isConfigured(env)) return failWith(name, source.notConfigured());
  try {
    return pass(name, source.describeSetUp(env));
  } catch (error) {
    return failWith(name, error);
  }
}

/** The source's token: there, readable, long enough, and (for a JWT) not expired; claims shown. */
export async function checkToken(env: Env, source: Source, now = Date.now()): Promise<Check> {
  const name = "token";
  const token = await source.readToken(env);
  if (!token) return skip(name, "no authorization token is configured");
  const { value, origin } = token;
  const claims = decodeJwtClaims(value);
  if (!claims) return pass(name, `${origin}: ${value.length} characters, not a JWT`);
  // Claims are whatever the token holds: only strings (and string lists) are shown.
  const text = (claim: unknown, missing: string) =>
    typeof claim === "string" ? claim : claim === undefined ? missing : "(not a string)";
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

/**
 * When AWS_CONFIG_FILE or a profile variable is set: the files parse as the SDKs parse them,
 * the profile exists, its chain reaches credentials, and the SDK has a region when it must call
 * STS; where botocore and the JavaScript SDK would differ, the one that fails is named.
 */
export async function checkConfig(env: Env): Promise<Check[]> {
  const found = { runsProcess: false };
  const config = await checkProfile(env, found);
  const shell = found.runsProcess ? await checkShell(env) : undefined;
  return shell ? [config, shell] : [config];
}

/** The profile's check; `found.runsProcess` says whether its chain starts a credential_process. */
async function checkProfile(env: Env, found: { runsProcess: boolean }): Promise<Check> {
  const name = "config";
  if (!env.AWS_CONFIG_FILE && !env.AWS_PROFILE && !env.AWS_DEFAULT_PROFILE) {
    return skip(name, "AWS_CONFIG_FILE, AWS_PROFILE and AWS_DEFAULT_PROFILE are not set");
  }
  let config;
  try {
    config = await readAwsConfig(env);
  } catch (error) {
    const file = (error as { file?: string }).file ?? env.AWS_CONFIG_FILE ?? "~/.aws/config";
    return fail(
      name,
      `cannot read the AWS config file ${file}: ${readFailure(error, MAX_CONFIG_BYTES)}`,
      "check AWS_CONFIG_FILE and the ConfigMap mount",
    );
  }
  const profiles = profileNames(env);
  const where = `${config.configFile}, profile ${profiles.javascript}`;
  if (profiles.botocore !== profiles.javascript) {
    return fail(
      name,
      `${where}: botocore (boto3, the AWS CLI) uses profile ${profiles.botocore} (AWS_DEFAULT_PROFILE), the JavaScript SDK profile ${profiles.javascript}`,
      "set AWS_PROFILE only, or AWS_PROFILE and AWS_DEFAULT_PROFILE to the same profile",
    );
  }
  let resolved;
  try {
    resolved = await resolveProfile(config.profiles, profiles.javascript, env);
  } catch (error) {
    return fail(
      name,
      `${where}: ${(error as Error).message}`,
      "fix the AWS config file or AWS_PROFILE",
    );
  }
  const detail = `${where}: ${resolved.steps.join("; ")}`;
  found.runsProcess = resolved.runsProcess;
  if (!resolved.assumesRole) return pass(name, detail);
  const regions = regionsFor(config, env);
  const missing = [
    regions.botocore ? undefined : "botocore (boto3, the AWS CLI) reads AWS_DEFAULT_REGION",
    regions.javascript ? undefined : "the JavaScript SDK reads AWS_REGION",
  ].filter(Boolean);
  if (missing.length > 0) {
    return fail(
      name,
      `${detail}; but the SDK has no region to call STS for the role in (${missing.join("; ")})`,
      `set AWS_REGION and AWS_DEFAULT_REGION (EKS sets both), or region = in profile ${profiles.javascript}`,
    );
  }
  return pass(name, `${detail}; region ${regions.javascript}`);
}

/** With --cache-dir: the directory is this user's own, closed to others, and writable. */
export async function checkCache(cache: { dir: string } | undefined): Promise<Check> {
  const name = "cache";
  if (!cache) return skip(name, "--cache-dir (EPICAC_CACHE_DIR) is not set");
  const { probeCacheDir } = await import("../cache/store.ts");
  try {
    probeCacheDir(cache.dir);
  } catch (fault) {
    return fail(
      name,
      `${(fault as Error).message}, so every run goes uncached (one STS call per run)`,
      "point --cache-dir (EPICAC_CACHE_DIR) at a directory this user owns and can write, on the pod's own filesystem (an emptyDir)",
    );
  }
  return pass(name, `${cache.dir}: a private directory of this user, writable`);
}

/** Account and expiry, never the keys. */
export function describeCredentials(c: Credentials): string {
  const account = c.accountId ? `for account ${c.accountId}` : "(account not sent)";
  if (!c.expiration) return account;
  const minutes = Math.round((c.expiration.getTime() - Date.now()) / 60_000);
  return `${account}, expiring at ${c.expiration.toISOString()} (in ${minutes} min)`;
}
