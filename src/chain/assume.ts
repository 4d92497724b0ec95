// Role chaining: each hop calls sts:AssumeRole with the previous hop's credentials.

import type { Credentials } from "../credentials.ts";
import type { SessionOptions } from "./session.ts";
import type { StsSettings } from "./sts-settings.ts";

export async function assumeChain(
  source: Credentials,
  sourceName: string,
  roleArns: string[],
  session: SessionOptions,
  settings: StsSettings,
): Promise<Credentials> {
  const sts = await import("./sts.ts");
  let credentials = source;
  let principal = sourceName;
  for (const roleArn of roleArns) {
    credentials = await sts.assumeRole(settings, credentials, principal, roleArn, session);
    principal = `the session of ${roleArn}`;
  }
  return credentials;
}
