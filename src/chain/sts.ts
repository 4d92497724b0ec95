// The only module that loads @aws-sdk/client-sts. It is imported dynamically (and bundled as a
// separate chunk), so the default path never parses the SDK.

import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials as StsCredentials,
  GetCallerIdentityCommand,
  STSClient,
  type STSClientConfig,
} from "@aws-sdk/client-sts";
import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";
import { registerSecret } from "../redact.ts";
import type { SessionOptions } from "./session.ts";
import type { StsSettings } from "./sts-settings.ts";
import { mapStsError, type StsCall } from "./sts-errors.ts";

function client(settings: StsSettings, credentials?: Credentials): STSClient {
  const config: STSClientConfig = {
    maxAttempts: settings.retries + 1,
    // throwOnRequestTimeout: a timed-out attempt fails (and is retried) instead of only warning.
    requestHandler: {
      requestTimeout: settings.timeoutMs,
      connectionTimeout: settings.timeoutMs,
      throwOnRequestTimeout: true,
    },
    // Never the SDK's default chain: each call says which credentials sign it (or none).
    credentials: credentials ??
      (() => Promise.reject(new Error("no credentials for an unsigned call"))),
  };
  if (settings.region) config.region = settings.region;
  if (settings.endpoint) config.endpoint = settings.endpoint;
  return new STSClient(config);
}

function endpointName(settings: StsSettings): string {
  return settings.endpoint ?? `the STS endpoint for ${settings.region ?? "the configured region"}`;
}

async function send<T>(settings: StsSettings, call: StsCall, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await run();
    debug(
      `${call.kind}${"roleArn" in call ? ` ${call.roleArn}` : ""}: ok after ${
        (performance.now() - started).toFixed(1)
      }ms`,
    );
    return result;
  } catch (error) {
    if (settings.signal?.aborted) {
      throw new EpicacError(
        `${call.kind} did not finish before the overall deadline`,
        "check network access to STS, or raise --deadline",
      );
    }
    throw mapStsError(error, call, endpointName(settings));
  }
}

function toCredentials(c: StsCredentials | undefined, roleArn: string): Credentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new EpicacError(
      `STS answered for ${roleArn} without credentials`,
      "check the STS endpoint",
    );
  }
  registerSecret(c.SecretAccessKey);
  registerSecret(c.SessionToken);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
    accountId: /^arn:[\w-]+:iam::(\d{12}):/.exec(roleArn)?.[1],
  };
}

/** One hop: AssumeRole of `roleArn`, signed with `credentials` (whose principal is `principal`). */
export async function assumeRole(
  settings: StsSettings,
  credentials: Credentials,
  principal: string,
  roleArn: string,
  session: SessionOptions,
): Promise<Credentials> {
  const command = new AssumeRoleCommand({
    RoleArn: roleArn,
    RoleSessionName: session.sessionName,
    ExternalId: session.externalId,
    DurationSeconds: session.durationSeconds,
    SourceIdentity: session.sourceIdentity,
    Tags: session.tags.length ? session.tags : undefined,
  });
  const out = await send(
    settings,
    { kind: "AssumeRole", roleArn, principal },
    () => client(settings, credentials).send(command, { abortSignal: settings.signal }),
  );
  return toCredentials(out.Credentials, roleArn);
}

/** IRSA's first hop: an unsigned AssumeRoleWithWebIdentity with the projected token. */
export async function assumeRoleWithWebIdentity(
  settings: StsSettings,
  token: string,
  tokenFile: string,
  roleArn: string,
  session: Pick<SessionOptions, "sessionName" | "durationSeconds">,
): Promise<Credentials> {
  const command = new AssumeRoleWithWebIdentityCommand({
    RoleArn: roleArn,
    RoleSessionName: session.sessionName,
    WebIdentityToken: token,
    DurationSeconds: session.durationSeconds,
  });
  const out = await send(
    settings,
    { kind: "AssumeRoleWithWebIdentity", roleArn, tokenFile },
    () => client(settings).send(command, { abortSignal: settings.signal }),
  );
  return toCredentials(out.Credentials, roleArn);
}

/** Who `credentials` are: the ARN STS reports. */
export async function getCallerIdentity(
  settings: StsSettings,
  credentials: Credentials,
): Promise<{ arn: string; account: string }> {
  const out = await send(
    settings,
    { kind: "GetCallerIdentity" },
    () =>
      client(settings, credentials).send(new GetCallerIdentityCommand({}), {
        abortSignal: settings.signal,
      }),
  );
  return { arn: out.Arn ?? "", account: out.Account ?? "" };
}
