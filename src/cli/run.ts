// What a command that runs the chain does before its first request: --debug on, the variables
// epicac ignores removed, and the run's one deadline started, with a backstop that ends the
// process if anything ignores it (the answer is late anyway).

import process from "node:process";
import { type Deadline, startDeadline } from "../deadline.ts";
import { describeError, EpicacError, EXIT_FAILURE } from "../errors.ts";
import { removeIgnoredVariables } from "../http/ignored-variables.ts";
import { enableDebug, writeErrorLine } from "../log.ts";

const BACKSTOP_GRACE_MS = 1000;

/** --debug on, and the variables epicac ignores removed, before any request. */
export function prepareRequests(debug: boolean): void {
  if (debug) enableDebug();
  removeIgnoredVariables(process.env);
}

export function startRun(deadlineMs: number, debug: boolean): Deadline {
  prepareRequests(debug);
  setTimeout(() => {
    writeErrorLine(describeError(
      new EpicacError(
        `the run did not end within the overall deadline of ${deadlineMs / 1000}s`,
        "raise --deadline, and run again with --debug to see where it waits",
      ),
    ));
    process.exit(EXIT_FAILURE);
  }, deadlineMs + BACKSTOP_GRACE_MS);
  return startDeadline(deadlineMs);
}
