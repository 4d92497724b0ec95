// What a long-running command (serve, node) does with a failure while it starts: exit 2 with one
// line saying what to fix, whether the failure is epicac's own or the runtime's (a port taken).

import { EpicacError, SetupError, UsageError } from "../errors.ts";
import { bindFailure } from "../serve/listen.ts";

/** Runs `step`; a failure to start as set up is a SetupError (a usage error stays one). */
export function setUp<T>(step: () => T, listenHint: string): T {
  try {
    return step();
  } catch (error) {
    throw asSetupError(error, listenHint);
  }
}

export async function setUpAsync<T>(step: () => Promise<T>, listenHint: string): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asSetupError(error, listenHint);
  }
}

function asSetupError(error: unknown, listenHint: string): unknown {
  if (error instanceof UsageError) return error;
  if (error instanceof EpicacError) return new SetupError(error.message, error.hint);
  const code = bindFailure(error);
  return code ? new SetupError(`cannot listen: ${code}`, listenHint) : error;
}
