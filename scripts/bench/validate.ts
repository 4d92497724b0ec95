// Every run, warm-up or counted, must have produced real credential_process output: exit 0 and
// one line of JSON holding the credentials the peers served. A binary that crashes, prints an
// error or prints nothing fails the run instead of looking fast. Messages describe what is wrong
// without quoting the values: they are credentials, even if fake ones.

export interface RunOutcome {
  exitCode: number | null;
  signal?: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface Expectation {
  /** The exact AccessKeyId served, or the pattern the STS stub's keys match. */
  accessKeyId: string | RegExp;
  /** When set, SecretAccessKey and SessionToken must be these (the agent's own credentials). */
  secretAccessKey?: string;
  sessionToken?: string;
}

const FIELDS = ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"] as const;
const ISO_UTC = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/;

/** First stderr line, cut short: enough to say why a run failed. */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Milliseconds since the epoch of an ISO 8601 UTC time (any number of fraction digits). */
function parseExpiration(text: string): number | undefined {
  const match = ISO_UTC.exec(text);
  if (!match) return undefined;
  const millis = Date.parse(`${match[1]}.${(match[2] ?? "").padEnd(3, "0").slice(0, 3)}Z`);
  return Number.isNaN(millis) ? undefined : millis;
}

/** undefined when the run is good; otherwise what is wrong with it. */
export function checkRun(
  outcome: RunOutcome,
  expected: Expectation,
  now: number = Date.now(),
): string | undefined {
  if (outcome.timedOut) return "did not finish in time (killed)";
  if (outcome.exitCode !== 0) {
    const how = outcome.exitCode === null
      ? `was killed by ${outcome.signal ?? "a signal"}`
      : `exited with ${outcome.exitCode}`;
    const said = firstLine(outcome.stderr);
    return said ? `${how}: ${said}` : how;
  }
  const text = outcome.stdout.replace(/\n$/, "");
  if (text === "") return "printed nothing on stdout";
  if (text.includes("\n")) return "printed more than one line on stdout";
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return `stdout is not JSON (${text.length} characters)`;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return "stdout is JSON but not an object";
  }
  const fields = doc as Record<string, unknown>;
  if (fields.Version !== 1) return "Version is not 1";
  for (const field of FIELDS) {
    if (typeof fields[field] !== "string" || fields[field] === "") {
      return `${field} is missing or not a non-empty string`;
    }
  }
  const id = fields.AccessKeyId as string;
  const idMatches = typeof expected.accessKeyId === "string"
    ? id === expected.accessKeyId
    : expected.accessKeyId.test(id);
  if (!idMatches) return "AccessKeyId is not the one the peers served";
  if (
    expected.secretAccessKey !== undefined && fields.SecretAccessKey !== expected.secretAccessKey
  ) {
    return "SecretAccessKey is not the one the agent served";
  }
  if (expected.sessionToken !== undefined && fields.SessionToken !== expected.sessionToken) {
    return "SessionToken is not the one the agent served";
  }
  const expiration = parseExpiration(fields.Expiration as string);
  if (expiration === undefined) return "Expiration is not an ISO 8601 UTC time";
  if (expiration <= now) return "Expiration is in the past";
  return undefined;
}

/** The STS stub's access key ids: ASIASTUB followed by a serial and a random suffix. */
export const STS_STUB_KEY = /^ASIASTUB[0-9A-Z]+$/;

/**
 * What a path must print: the agent's own credentials on the default path, and on the `--assume`
 * path the STS stub's (which the agent never serves, so skipping the hop cannot pass).
 */
export function expectationFor(
  path: "default" | "assume",
  served: { AccessKeyId: string; SecretAccessKey: string; Token: string },
): Expectation {
  return path === "assume" ? { accessKeyId: STS_STUB_KEY } : {
    accessKeyId: served.AccessKeyId,
    secretAccessKey: served.SecretAccessKey,
    sessionToken: served.Token,
  };
}
