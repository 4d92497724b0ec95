// The STS calls epicac makes, and the only module that imports @aws-sdk/client-sts. It is itself
// imported only through load.ts (and bundled as a separate chunk), so a run that calls no STS
// never parses the SDK. The client is configured entirely
// here: every setting the SDK would otherwise look up in the environment or in the shared AWS
// config and credentials files is given explicitly, so an STS call never opens those files (a
// FIFO or /dev/zero there must not hang or flood a run) and an endpoint_url in them is ignored.

import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials as StsCredentials,
  GetCallerIdentityCommand,
  STSClient,
  type STSClientConfig,
} from "@aws-sdk/client-sts";
import { checkCredentials, type Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";
import type { SessionOptions } from "./session.ts";
import { accountOf } from "../arn.ts";
import { StsHttpHandler } from "./http-handler.ts";
import type { StsSettings } from "./settings.ts";
import { mapStsError, type StsCall } from "./errors.ts";

function client(settings: StsSettings, credentials?: Credentials): STSClient {
  const config: STSClientConfig = {
    region: settings.region,
    maxAttempts: settings.retries + 1,
    retryMode: "standard",
    requestHandler: new StsHttpHandler(settings.timeoutMs),
    // Never the SDK's default chain: each call says which credentials sign it (or none).
    credentials: credentials ??
      (() => Promise.reject(new Error("no credentials for an unsigned call"))),
    // Each of these is otherwise looked up in the environment, then in the shared files.
    ignoreConfiguredEndpointUrls: true,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    authSchemePreference: [],
    userAgentAppId: () => Promise.resolve(undefined),
    sigv4aSigningRegionSet: () => Promise.resolve(undefined),
    disableClockSkewCorrection: false,
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  return new STSClient(config);
}

function endpointName(settings: StsSettings): string {
  return settings.endpoint ?? `the STS endpoint for ${settings.region}`;
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

/** STS's answer, checked like any source's (checkCredentials), with the account from the ARN. */
function toCredentials(
  c: StsCredentials | undefined,
  call: StsCall & { roleArn: string },
  settings: StsSettings,
): Credentials {
  return checkCredentials(
    {
      accessKeyId: c?.AccessKeyId,
      secretAccessKey: c?.SecretAccessKey,
      sessionToken: c?.SessionToken,
      expiration: c?.Expiration,
      accountId: accountOf(call.roleArn),
    },
    `STS at ${endpointName(settings)} (sts:${call.kind} of ${call.roleArn})`,
    "check the STS endpoint (--sts-endpoint, AWS_ENDPOINT_URL_STS)",
  );
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
  const call: StsCall = { kind: "AssumeRole", roleArn, principal };
  const out = await send(
    settings,
    call,
    () => client(settings, credentials).send(command, { abortSignal: settings.signal }),
  );
  return toCredentials(out.Credentials, call, settings);
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
  const call: StsCall = { kind: "AssumeRoleWithWebIdentity", roleArn, tokenFile };
  const out = await send(
    settings,
    call,
    () => client(settings).send(command, { abortSignal: settings.signal }),
  );
  return toCredentials(out.Credentials, call, settings);
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
