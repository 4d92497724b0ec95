// The one place @aws-sdk/client-sts is loaded: client.ts is imported on first use (and bundled
// as its own chunk), so a run that makes no STS call never parses the SDK. Whoever calls STS is
// handed these calls (the pipeline injects them into the sources and hops), never the SDK.

import type * as Client from "./client.ts";

export type StsCalls = Pick<
  typeof Client,
  "assumeRole" | "assumeRoleWithWebIdentity" | "getCallerIdentity"
>;

let loaded: Promise<StsCalls> | undefined;

export function loadSts(): Promise<StsCalls> {
  loaded ??= import("./client.ts");
  return loaded;
}
