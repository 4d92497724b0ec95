// The failures epicac reports: an EpicacError says what failed and what to check; its class says
// whether trying again may help (http/retry.ts and the STS client read that). An error of any
// other kind reaching main.ts is a bug, described as "unexpected". exitCodeFor gives a failed
// run's exit code (a usage or set-up error 2, anything else 1); a command that ends normally sets
// its own (doctor: 1 when a check failed).

import { oneLine } from "./redact.ts";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// Each class names itself with a literal: the minified binaries rename classes, and the STS
// client's retry decision and the error mapping read `name`.
/** A failure epicac reports: what failed (the message) and what to check (the hint). */
export class EpicacError extends Error {
  /** The class's name, kept through minification. */
  override name = "EpicacError";
  /** What the user should check or do; appended to the message in parentheses. */
  readonly hint: string;
  /** True when the same request may succeed if tried again (see http/retry.ts). */
  readonly retryable: boolean;

  /** `options.retryable`: whether trying the same request again may succeed. */
  constructor(
    message: string,
    hint: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.hint = hint;
    this.retryable = options.retryable ?? false;
  }
}

/** The command line itself is wrong: exit 2. */
export class UsageError extends EpicacError {
  /** The class's name, kept through minification. */
  override name = "UsageError";
  /** The hint is always to see --help. */
  constructor(message: string) {
    super(message, "see epicac --help");
  }
}

/**
 * A long-running command cannot start as it is set up (serve: its token file, its address, a
 * chain that cannot run): exit 2, like a usage error, with what to fix as the hint.
 */
export class SetupError extends EpicacError {
  /** The class's name, kept through minification. */
  override name = "SetupError";
}

/** A network-level failure: refused, reset, DNS, TLS. Worth another attempt. */
export class ConnectionError extends EpicacError {
  override name = "ConnectionError";
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, { retryable: true, cause });
  }
}

/** One attempt took longer than its timeout. Worth another attempt. */
export class TimeoutError extends EpicacError {
  override name = "TimeoutError";
  constructor(message: string, hint: string) {
    super(message, hint, { retryable: true });
  }
}

/** A server answered with a non-success status. 429 and 5xx are worth another attempt. */
export class HttpStatusError extends EpicacError {
  override name = "HttpStatusError";
  readonly status: number;
  constructor(status: number, message: string, hint: string) {
    super(message, hint, { retryable: status === 429 || status >= 500 });
    this.status = status;
  }
}

/**
 * An invalid value, named by where it came from: a usage error when a flag or an option gave it,
 * a configuration error (exit 1) when an environment variable did.
 */
export function invalidValue(origin: string, message: string): EpicacError {
  return /^[A-Z][A-Z0-9_]*$/.test(origin)
    ? new EpicacError(message, `fix ${origin} in the pod's environment`)
    : new UsageError(message);
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError || error instanceof SetupError ? EXIT_USAGE : EXIT_FAILURE;
}

/** The single stderr line for a failure: "epicac: <message> (<hint>)", redacted. Never throws. */
export function describeError(error: unknown): string {
  if (error instanceof EpicacError) {
    return oneLine(`epicac: ${error.message} (${error.hint})`);
  }
  // A bug or an unexpected runtime failure: name it without dumping a stack trace.
  let name: string = typeof error;
  let message = "";
  try {
    name = error instanceof Error ? error.name : typeof error;
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = "(cannot be described)";
  }
  return oneLine(
    `epicac: unexpected ${name}: ${message} (run again with --debug and report it if it persists)`,
  );
}
