// What a source of the pod's own credentials is: how the environment configures it, the token it
// sends, who its credentials speak for (the cache key's part, never a secret), and how it gets
// them. The container source and the web identity source each implement it in a module of its
// own; select.ts picks one. The pipeline, the cache key, doctor and the module all go through
// this interface, so what a source needs is written once, in its module.

import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import type { Env } from "../env.ts";
import type { EpicacError } from "../errors.ts";
import type { RetryPolicy } from "../http/retry.ts";
import type { StsCalls } from "../sts/load.ts";
import type { SessionOptions } from "../sts/session.ts";
import type { StsSettings } from "../sts/settings.ts";
import type { Token } from "./token.ts";

import type { SourceKind } from "./kinds.ts";

/** What getting credentials takes besides the environment: the run's settings and STS. */
export interface SourceContext {
  env: Env;
  session: SessionOptions;
  /** Per-attempt timeout and retries for the source's own endpoint. */
  timeoutMs: number;
  retry: RetryPolicy;
  deadline: Deadline;
  /** STS, loaded on first use, and the settings this run calls it with. */
  sts(): Promise<{ calls: StsCalls; settings: StsSettings }>;
}

export interface SourceCredentials {
  credentials: Credentials;
  /** Who they are, for the first hop's messages ("the pod's credentials (account …)"). */
  principal: string;
}

export interface Source {
  readonly kind: SourceKind;
  /** doctor's name for the check that asks the source for credentials. */
  readonly checkName: string;
  /** Whether getting its credentials calls STS (and so needs a region). */
  readonly callsSts: boolean;
  /** The session options it takes without --assume (every one applies to --assume hops). */
  readonly sessionOptions: readonly (keyof SessionOptions)[];
  isConfigured(env: Env): boolean;
  /** The error for a run that asks for this source where the environment does not set it up. */
  notConfigured(): EpicacError;
  /** What the environment configures, for doctor ("EKS Pod Identity: …"); no secret. */
  describeSetUp(env: Env): string;
  /** The token it sends, read and checked as a run reads it; undefined when there is none. */
  readToken(env: Env): Promise<Token | undefined>;
  /** Who its credentials speak for, without any secret: stable across token rotations. */
  identity(env: Env): Promise<Record<string, unknown>>;
  /** Where its credentials come from, for doctor: an endpoint's origin, or a role ARN. */
  describe(env: Env): string;
  getCredentials(context: SourceContext): Promise<SourceCredentials>;
}
