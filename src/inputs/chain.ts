// The inputs of a chain run, declared once: the credentials command, doctor, serve and the module
// read them from here. The command line gives times in seconds, the module in milliseconds; every
// limit below is in the declaration's own unit.

import { parseRoleArn, ROLE_ARN_FORM } from "../arn.ts";
import { isRegionName } from "../partitions.ts";
import { SOURCES } from "../sources/kinds.ts";
import { isStsEndpoint } from "../sts/endpoint.ts";
import { choice, list, milliseconds, onOff, quoted, text, wholeNumber } from "./input.ts";

export const TIMEOUT = milliseconds({
  flag: "timeout",
  option: "timeoutMs",
  default: 1000,
  min: 50,
  max: 60_000,
  help: "How long one request may take, the whole answer included.",
});

export const RETRIES = wholeNumber({
  flag: "retries",
  option: "retries",
  default: 3,
  min: 0,
  max: 10,
  help: "Extra attempts after connection errors, timeouts, HTTP 429 and 5xx, with full-jitter " +
    "backoff (other 4xx answers are never retried).",
});

export const DEADLINE = milliseconds({
  flag: "deadline",
  option: "deadlineMs",
  default: 5000,
  min: 100,
  max: 120_000,
  help: "How long the whole run (one refresh, for the module) may take: cache lock wait, every " +
    "attempt and backoff, and STS included.",
});

export const DEBUG = onOff({
  flag: "debug",
  help: "Log steps, timings and statuses to stderr. Secrets and tokens are never logged.",
});

export const SOURCE = choice({
  flag: "source",
  option: "source",
  placeholder: "KIND",
  words: SOURCES,
  help: "container: the EKS Pod Identity / ECS endpoint. web-identity: IRSA " +
    "(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, through sts:AssumeRoleWithWebIdentity). " +
    "Default: container when its variables are set, else web-identity.",
});

export const ASSUME = list({
  flag: "assume",
  option: "assume",
  placeholder: "ROLE_ARN",
  type: "string[]",
  form: ROLE_ARN_FORM,
  fromText: (arn) => arn,
  valid: (arn) => parseRoleArn(arn) !== undefined,
  help: "Assume this role, signed with the previous hop's credentials; repeat for more hops. " +
    "AccountId comes from the ARN.",
});

// STS's limits for the session parameters.
const NAME_CHARS = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_CHARS = /^[\w+=,.@:/-]{2,1224}$/;

export const SESSION_NAME = text({
  flag: "session-name",
  option: "sessionName",
  placeholder: "NAME",
  form: "2 to 64 characters of letters, digits and _+=,.@-",
  valid: (name) => NAME_CHARS.test(name),
  help: "RoleSessionName (default: this host's name, i.e. the pod's name, made valid).",
});

export const EXTERNAL_ID = text({
  flag: "external-id",
  option: "externalId",
  placeholder: "ID",
  form: "2 to 1224 characters of letters, digits and _+=,.@:/-",
  valid: (id) => EXTERNAL_ID_CHARS.test(id),
  // A shared secret of sorts between two accounts: never echoed.
  quote: () => "",
  help: "ExternalId sent on every AssumeRole hop.",
});

/** AWS caps a session obtained with role-session credentials (role chaining) at one hour. */
export const CHAINED_MAX_DURATION = 3600;

export const DURATION = wholeNumber({
  flag: "duration",
  option: "durationSeconds",
  placeholder: "S",
  seconds: true,
  default: undefined,
  min: 900,
  max: 43_200,
  help: `Session length: at most ${CHAINED_MAX_DURATION} with --assume (AWS caps ` +
    "chained sessions at one hour), up to 43200 for a web identity session without --assume " +
    "(default: the role's own).",
});

export const SOURCE_IDENTITY = text({
  flag: "source-identity",
  option: "sourceIdentity",
  placeholder: "ID",
  form: "2 to 64 characters of letters, digits and _+=,.@-",
  valid: (id) => NAME_CHARS.test(id),
  help: "SourceIdentity sent on every AssumeRole hop.",
});

/** A session tag as STS takes it. */
export interface Tag {
  Key: string;
  Value: string;
}

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAGS = 50;

export const TAGS = list<Tag>({
  flag: "tag",
  option: "tags",
  placeholder: "KEY=VALUE",
  type: "Record<string, string>",
  form:
    "KEY=VALUE (a key of 1 to 128 and a value of up to 256 letters, digits, spaces and _.:/=+-@)",
  // On the command line the key ends at the first "="; the module's keys are given whole.
  fromText: (spec) => {
    const at = spec.indexOf("=");
    return at < 0 ? undefined : { Key: spec.slice(0, at), Value: spec.slice(at + 1) };
  },
  fromOption: (given) =>
    typeof given === "object" && given !== null && !Array.isArray(given)
      ? Object.entries(given).map(([Key, Value]) => ({ Key, Value }))
      : undefined,
  valid: ({ Key, Value }) =>
    typeof Value === "string" && Key.length >= 1 && Key.length <= 128 && Value.length <= 256 &&
    TAG_CHARS.test(Key) && TAG_CHARS.test(Value),
  showItem: ({ Key, Value }) => `${Key}=${Value}`,
  all: (tags) => {
    if (tags.length > MAX_TAGS) return `takes at most ${MAX_TAGS} tags (STS's limit)`;
    const seen = new Set<string>();
    for (const { Key } of tags) {
      if (seen.has(Key.toLowerCase())) {
        return `names the key ${Key} twice (keys are case-insensitive)`;
      }
      seen.add(Key.toLowerCase());
    }
    return undefined;
  },
  help: "A session tag on every AssumeRole hop; repeatable, at most 50.",
});

export const REGION = text({
  flag: "region",
  option: "region",
  env: ["AWS_REGION", "AWS_DEFAULT_REGION"],
  placeholder: "R",
  form: "an AWS region name",
  valid: isRegionName,
  help: "STS region (never read from an AWS config file).",
});

export const STS_ENDPOINT = text({
  flag: "sts-endpoint",
  option: "stsEndpoint",
  env: ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"],
  placeholder: "URL",
  form: "an https URL without user name or password (plain http only to loopback)",
  valid: isStsEndpoint,
  // Only the origin: a path or query could carry anything.
  quote: (url) => {
    try {
      const { protocol, host } = new URL(url);
      return quoted(`${protocol}//${host}`);
    } catch {
      return quoted(url);
    }
  },
  help: "STS endpoint (default: the region's own). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true " +
    "turns the variables off.",
});

export const CACHE_DIR = text({
  flag: "cache-dir",
  env: ["EPICAC_CACHE_DIR"],
  placeholder: "DIR",
  form: "a directory",
  valid: (dir) => dir !== "",
  help: "Reuse the result until the refresh window; concurrent runs share one fetch. " +
    "Directory 0700, entries 0600.",
});

export const REFRESH_BEFORE = milliseconds({
  flag: "refresh-before",
  option: "refreshBeforeMs",
  // Covers every AWS SDK's own refresh window (botocore and .NET refresh 15 minutes before
  // expiry): credentials served with less left would make those SDKs ask again on every call.
  default: 15 * 60_000,
  min: 0,
  max: 43_200_000,
  help: "Refresh this long before the credentials expire; covers every AWS SDK's own window.",
});

/** A chain's inputs, named as the module names them. */
export const CHAIN_INPUTS = {
  source: SOURCE,
  assume: ASSUME,
  sessionName: SESSION_NAME,
  externalId: EXTERNAL_ID,
  durationSeconds: DURATION,
  sourceIdentity: SOURCE_IDENTITY,
  tags: TAGS,
  region: REGION,
  stsEndpoint: STS_ENDPOINT,
  timeoutMs: TIMEOUT,
  retries: RETRIES,
  deadlineMs: DEADLINE,
};

/** The inputs each AssumeRole hop sends to STS. */
export const SESSION_INPUTS = [SESSION_NAME, EXTERNAL_ID, DURATION, SOURCE_IDENTITY, TAGS];
