// The routes of `epicac node`, re-read when the file changes (a ConfigMap update swaps a
// symlink): looked at every LOOK_EVERY_MS by the file's identity. A new file that parses replaces
// the routes, and the cache forgets the entries of every route removed or changed; one that does
// not keeps the previous routes, and says why.

import type { Env } from "../env.ts";
import { SetupError } from "../errors.ts";
import { identityOf } from "../file-identity.ts";
import type { ChainValues } from "../options.ts";
import type { Clock } from "../refreshing.ts";
import { readFailure, readSmallFile } from "../small-file.ts";
import { MAX_ROUTES_BYTES, type NodeRoute, parseRoutes } from "./routes-file.ts";

export const LOOK_EVERY_MS = 2000;
const ROUTES_HINT = "fix the routes file (its format: epicac node --help, docs/using.md)";

export interface RoutesEvents {
  reloaded(routes: ReadonlyMap<string, NodeRoute>, changed: string[]): void;
  refused(cause: string): void;
}

/** The routes in `path` now, or the reason they cannot be read. */
export async function readRoutes(
  path: string,
  base: ChainValues,
  env: Env,
  refreshBeforeMs: number,
): Promise<Map<string, NodeRoute>> {
  let text: string;
  try {
    text = await readSmallFile(path, MAX_ROUTES_BYTES);
  } catch (error) {
    throw new SetupError(
      `cannot read the routes file ${path}: ${readFailure(error, MAX_ROUTES_BYTES)}`,
      ROUTES_HINT,
    );
  }
  try {
    return parseRoutes(text, base, env, refreshBeforeMs);
  } catch (error) {
    throw new SetupError(`${path}: ${(error as Error).message}`, ROUTES_HINT);
  }
}

export class WatchedRoutes {
  private identity: string | undefined;
  private timer: unknown;

  private constructor(
    private current: ReadonlyMap<string, NodeRoute>,
    private readonly path: string,
    private readonly read: () => Promise<Map<string, NodeRoute>>,
    private readonly events: RoutesEvents,
    private readonly clock: Clock,
  ) {
    this.identity = identityOf(path);
  }

  /** The routes in `path`, watched from now on; a file that cannot be used is thrown. */
  static async load(
    path: string,
    read: () => Promise<Map<string, NodeRoute>>,
    events: RoutesEvents,
    clock: Clock,
  ): Promise<WatchedRoutes> {
    const watched = new WatchedRoutes(await read(), path, read, events, clock);
    watched.schedule();
    return watched;
  }

  get routes(): ReadonlyMap<string, NodeRoute> {
    return this.current;
  }

  /** Read the file again if it changed. */
  async look(): Promise<void> {
    const identity = identityOf(this.path);
    if (identity === this.identity) return;
    this.identity = identity;
    let next: Map<string, NodeRoute>;
    try {
      next = await this.read();
    } catch (error) {
      return this.events.refused((error as Error).message);
    }
    const changed = [...this.current.values()]
      .filter((route) => next.get(route.name)?.definition !== route.definition)
      .map((route) => route.name);
    this.current = next;
    this.events.reloaded(next, changed);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      void this.look().finally(() => {
        if (this.timer !== undefined) this.schedule();
      });
    }, LOOK_EVERY_MS);
  }
}
