// Which source the credentials come from: the one --source names, else the first one the
// environment configures, in the AWS SDKs' order: container credentials, then web identity.
// A configured source that fails is an error; epicac does not fall through to the next one.

import type { Env } from "../env.ts";
import { containerSource } from "./container.ts";
import type { SourceKind } from "./kinds.ts";
import type { Source } from "./source.ts";
import { webIdentitySource } from "./web-identity.ts";

/** In the order they are tried. */
const SOURCES_IN_ORDER: readonly Source[] = [containerSource, webIdentitySource];

export function sourceOf(kind: SourceKind): Source {
  return SOURCES_IN_ORDER.find((source) => source.kind === kind)!;
}

export function selectSource(requested: SourceKind | undefined, env: Env): Source {
  if (requested) {
    const source = sourceOf(requested);
    if (!source.isConfigured(env)) throw source.notConfigured();
    return source;
  }
  const configured = SOURCES_IN_ORDER.find((source) => source.isConfigured(env));
  // Nothing set up: the error names the variables EKS Pod Identity sets.
  if (!configured) throw containerSource.notConfigured();
  return configured;
}
