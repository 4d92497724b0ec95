// The command line: flags parsed strictly (an unknown flag is a usage error) and validated
// into the options the rest of epicac uses.

import { parseArgs } from "node:util";
import { checkRoleArn, parseSessionOptions, type SessionOptions } from "../chain/session.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../http/retry.ts";
import { type Format, FORMATS } from "../output.ts";
import { checkEndpoint } from "../chain/sts-endpoint.ts";
import { type SourceKind, SOURCES } from "../sources/select.ts";
import { checkRegion } from "../chain/sts-settings.ts";
import type { Env } from "../sources/container-uri.ts";

export interface CredentialOptions {
  format: Format;
  timeoutMs: number;
  retry: RetryPolicy;
  debug: boolean;
  source?: SourceKind;
  assume: string[];
  session: SessionOptions;
  region?: string;
  stsEndpoint?: string;
  cache?: { dir: string; refreshBeforeMs: number };
}

export type Command =
  | { kind: "help"; topic?: "doctor" }
  | { kind: "version" }
  | { kind: "credentials"; options: CredentialOptions }
  | { kind: "doctor"; options: CredentialOptions; json: boolean }
  /** `epicac config …`: its flags are parsed by src/config/generate.ts. */
  | { kind: "config"; argv: string[] };

const FLAGS = {
  format: { type: "string", default: "json" },
  timeout: { type: "string", default: "1" },
  retries: { type: "string", default: String(DEFAULT_RETRY_POLICY.retries) },
  deadline: { type: "string", default: String(DEFAULT_RETRY_POLICY.deadlineMs / 1000) },
  debug: { type: "boolean", default: false },
  source: { type: "string" },
  assume: { type: "string", multiple: true },
  "session-name": { type: "string" },
  "external-id": { type: "string" },
  duration: { type: "string" },
  "source-identity": { type: "string" },
  tag: { type: "string", multiple: true },
  region: { type: "string" },
  "sts-endpoint": { type: "string" },
  "cache-dir": { type: "string" },
  // Covers every SDK's own refresh window (botocore and .NET refresh 15 minutes before expiry):
  // credentials served with less left would make those SDKs ask again on every call.
  "refresh-before": { type: "string", default: "900" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "V", default: false },
} as const;

const DOCTOR_FLAGS = { ...FLAGS, json: { type: "boolean", default: false } } as const;

export function parseCommandLine(argv: string[], env: Env = {}): Command {
  if (argv[0] === "config") return { kind: "config", argv: argv.slice(1) };
  const doctor = argv[0] === "doctor";
  let values;
  try {
    ({ values } = parseArgs({
      args: doctor ? argv.slice(1) : argv,
      options: doctor ? DOCTOR_FLAGS : FLAGS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs' own messages name the flag; keep their first sentence only.
    throw new UsageError(String((error as Error).message).split(". ")[0]);
  }
  if (values.help) return doctor ? { kind: "help", topic: "doctor" } : { kind: "help" };
  if (values.version) return { kind: "version" };

  if (!(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not '${values.format}'`);
  }
  if (values.source !== undefined && !(SOURCES as readonly string[]).includes(values.source)) {
    throw new UsageError(`--source must be one of ${SOURCES.join(", ")}, not '${values.source}'`);
  }
  const assume = (values.assume ?? []).map((arn) => checkRoleArn(arn));
  const cacheDir = values["cache-dir"] ?? env.EPICAC_CACHE_DIR;
  if (cacheDir === "") throw new UsageError("--cache-dir (EPICAC_CACHE_DIR) is empty");
  const stsEndpoint = values["sts-endpoint"];
  if (stsEndpoint !== undefined) checkEndpoint(stsEndpoint, "--sts-endpoint");
  const options: CredentialOptions = {
    format: values.format as Format,
    timeoutMs: seconds("--timeout", values.timeout, 0.05, 60),
    retry: {
      ...DEFAULT_RETRY_POLICY,
      retries: integer("--retries", values.retries, 0, 10),
      deadlineMs: seconds("--deadline", values.deadline, 0.1, 120),
    },
    debug: values.debug,
    source: values.source as SourceKind | undefined,
    assume,
    session: parseSessionOptions({
      sessionName: values["session-name"],
      externalId: values["external-id"],
      duration: values.duration,
      sourceIdentity: values["source-identity"],
      tags: values.tag,
    }, assume.length > 0),
    region: values.region === undefined ? undefined : checkRegion(values.region, "--region"),
    stsEndpoint,
    cache: cacheDir === undefined ? undefined : {
      dir: cacheDir,
      refreshBeforeMs: seconds("--refresh-before", values["refresh-before"], 0, 43200),
    },
  };
  const duration = options.session.durationSeconds;
  if (options.cache && duration !== undefined && duration * 1000 <= options.cache.refreshBeforeMs) {
    throw new UsageError(
      `--duration ${duration} is not longer than --refresh-before ${
        options.cache.refreshBeforeMs / 1000
      }: with --cache-dir, every entry would already be due for refresh`,
    );
  }
  return doctor
    ? { kind: "doctor", options, json: "json" in values && values.json === true }
    : { kind: "credentials", options };
}

/** A number of seconds within [min, max], in milliseconds. */
function seconds(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} takes a number of seconds from ${min} to ${max}, not '${text}'`);
  }
  return Math.round(value * 1000);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^(0|[1-9]\d*)$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not '${text}'`);
  }
  return value;
}
