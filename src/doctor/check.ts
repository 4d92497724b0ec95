// One check of doctor's report, and how each kind is made: what was found, never a secret, and,
// for a failure or a warning, what to do about it.

import { describeError, EpicacError } from "../errors.ts";

export interface Check {
  name: string;
  /** warn: works for some SDKs, not for others; the run does not fail for it. */
  status: "pass" | "warn" | "fail" | "skip";
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const pass = (name: string, detail: string): Check => ({ name, status: "pass", detail });
export const skip = (name: string, detail: string): Check => ({ name, status: "skip", detail });
export const warn = (name: string, detail: string, fix: string): Check => ({
  name,
  status: "warn",
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  status: "fail",
  detail,
  fix,
});
export const failWith = (name: string, error: unknown): Check =>
  error instanceof EpicacError
    ? fail(name, error.message, error.hint)
    : fail(name, describeError(error).replace(/^epicac: /, ""), "run again with --debug");
