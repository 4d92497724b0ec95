// What every hop of a chain asks STS for: session name, external id, duration, source identity
// and session tags. Checked here against STS's own limits, so a bad value is a usage error
// before any call is made.

import process from "node:process";
import { UsageError } from "../errors.ts";

export interface SessionOptions {
  sessionName: string;
  externalId?: string;
  durationSeconds?: number;
  sourceIdentity?: string;
  tags: { Key: string; Value: string }[];
}

/** AWS caps a session obtained with role-session credentials (role chaining) at one hour. */
export const CHAINED_MAX_DURATION = 3600;
const WEB_IDENTITY_MAX_DURATION = 43200;
const MIN_DURATION = 900;
const NAME_CHARS = /^[\w+=,.@-]+$/;
const EXTERNAL_ID_CHARS = /^[\w+=,.@:/-]+$/;

export interface RawSessionFlags {
  sessionName?: string;
  externalId?: string;
  duration?: string;
  sourceIdentity?: string;
  tags?: string[];
}

/** The flag each field comes from, for messages. */
export const SESSION_FLAG_NAMES: Record<keyof RawSessionFlags, string> = {
  sessionName: "--session-name",
  externalId: "--external-id",
  duration: "--duration",
  sourceIdentity: "--source-identity",
  tags: "--tag",
};

/**
 * Validate the session flags. `chained` is true when any hop is an AssumeRole with
 * role-session credentials, which is every --assume hop: all of epicac's sources are roles.
 */
export function parseSessionOptions(flags: RawSessionFlags, chained: boolean): SessionOptions {
  const given = flags.sessionName;
  if (given !== undefined) checkName("--session-name", given);
  if (flags.sourceIdentity !== undefined) checkName("--source-identity", flags.sourceIdentity);
  if (flags.externalId !== undefined) {
    const id = flags.externalId;
    if (id.length < 2 || id.length > 1224 || !EXTERNAL_ID_CHARS.test(id)) {
      throw new UsageError(
        "--external-id takes 2 to 1224 characters of letters, digits and +=,.@:/-",
      );
    }
  }
  let durationSeconds: number | undefined;
  if (flags.duration !== undefined) {
    durationSeconds = Number(flags.duration);
    const max = chained ? CHAINED_MAX_DURATION : WEB_IDENTITY_MAX_DURATION;
    if (!/^\d+$/.test(flags.duration) || durationSeconds < MIN_DURATION) {
      throw new UsageError(
        `--duration takes a whole number of seconds from ${MIN_DURATION}, not '${flags.duration}'`,
      );
    }
    if (durationSeconds > max) {
      throw new UsageError(
        chained
          ? `--duration ${durationSeconds} is over ${CHAINED_MAX_DURATION}: AWS caps a chained role session (AssumeRole with role credentials) at one hour`
          : `--duration ${durationSeconds} is over ${WEB_IDENTITY_MAX_DURATION}, the most any role session may last`,
      );
    }
  }
  let fromHostname: string | undefined;
  return {
    // The hostname is looked up when a session name is first read: node:os costs start-up that
    // a run making no STS call does not need.
    get sessionName() {
      return given ?? (fromHostname ??= defaultSessionName());
    },
    externalId: flags.externalId,
    durationSeconds,
    sourceIdentity: flags.sourceIdentity,
    tags: parseTags(flags.tags ?? []),
  };
}

/** The pod's hostname (its name, in Kubernetes), made into a valid session name. */
export function defaultSessionName(host = safeHostname()): string {
  const name = host.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return name.length >= 2 ? name : `epicac${name}`.slice(0, 64);
}

function safeHostname(): string {
  try {
    return process.getBuiltinModule("node:os").hostname();
  } catch {
    return "epicac";
  }
}

function checkName(flag: string, value: string): void {
  if (value.length < 2 || value.length > 64 || !NAME_CHARS.test(value)) {
    throw new UsageError(
      `${flag} takes 2 to 64 characters of letters, digits and _+=,.@-, not '${value}'`,
    );
  }
}

function parseTags(specs: string[]): { Key: string; Value: string }[] {
  if (specs.length > 50) throw new UsageError("--tag may be given at most 50 times (STS's limit)");
  const seen = new Set<string>();
  return specs.map((spec) => {
    const at = spec.indexOf("=");
    const key = at < 0 ? spec : spec.slice(0, at);
    const value = at < 0 ? "" : spec.slice(at + 1);
    if (
      at < 1 || key.length > 128 || value.length > 256 ||
      !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(key + value)
    ) {
      throw new UsageError(
        `--tag takes KEY=VALUE (key 1-128, value up to 256 characters), not '${spec}'`,
      );
    }
    if (seen.has(key.toLowerCase())) {
      throw new UsageError(`--tag ${key} is given twice (tag keys are case-insensitive)`);
    }
    seen.add(key.toLowerCase());
    return { Key: key, Value: value };
  });
}
