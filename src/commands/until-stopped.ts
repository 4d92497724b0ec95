// How a long-running command (serve, node) ends: SIGTERM or SIGINT stops it, giving requests in
// flight a grace period and its log what is left of a second; a second one ends it at once, as a
// shell's impatient user expects. SIGHUP reads its configuration again; the other signals that
// would end the process (SIGUSR1, SIGUSR2, SIGALRM) are ignored.

import process from "node:process";
import { logEvent } from "../log.ts";
import type { EventLog } from "../serve/event-log.ts";

/** SIGTERM to exit: requests in flight get this long, then the log what is left of a second. */
const STOP_GRACE_MS = 4000;
const LOG_FLUSH_MS = 500;

export interface Stopping {
  /** Stop serving, the requests in flight given `graceMs` to end. */
  stop(graceMs: number): Promise<unknown>;
  /** SIGHUP: read the configuration again now. */
  hangUp(): void;
  eventLog: EventLog;
}

/** Resolves once a SIGTERM or SIGINT has stopped the command and its log is written. */
export function untilStopped({ stop, hangUp, eventLog }: Stopping): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: "SIGTERM" | "SIGINT") => {
      if (stopping) process.exit(signal === "SIGINT" ? 130 : 143); // a second one: at once
      stopping = true;
      logEvent("stopping", { signal });
      void stop(STOP_GRACE_MS).then(() => eventLog.flush(LOG_FLUSH_MS)).then(resolve);
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
    process.on("SIGHUP", hangUp);
    for (const signal of ["SIGUSR1", "SIGUSR2", "SIGALRM"] as const) process.on(signal, () => {});
  });
}
