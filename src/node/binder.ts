// One --listen address of `epicac node`, bound as soon as it can be: an address not on any
// interface yet (the agent's init container adds it at node start) is tried again every second;
// one another process holds is an alarm (whoever holds it receives the callers' tokens), logged,
// counted, and tried again every five seconds. The port is never shared (no SO_REUSEPORT).

import { logEvent } from "../log.ts";
import type { Handler } from "../serve/http1.ts";
import { bindFailure, type ListenAddress, shown } from "../serve/listen.ts";
import { listen, type Server, type ServerLimits } from "../serve/server.ts";

export const BIND_RETRY_MS = { missing: 1000, inUse: 5000 };

export interface BindState {
  address: string;
  bound: boolean;
  /** Why it is not bound, when known. */
  problem?: string;
}

export class Binder {
  private server: Server | undefined;
  private problem: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Binds refused because another process holds the address. */
  inUse = 0;

  constructor(
    private readonly address: ListenAddress,
    private readonly handler: Handler,
    private readonly limits: ServerLimits,
  ) {}

  state(): BindState {
    return {
      address: shown(this.address),
      bound: this.server !== undefined,
      problem: this.problem,
    };
  }

  /** Bind now, or schedule the next try; a failure other than those two is thrown. */
  start(): void {
    if (this.stopped) return;
    try {
      this.server = listen(this.address, this.handler, this.limits);
    } catch (error) {
      const code = bindFailure(error);
      if (code === "EADDRINUSE") return this.retry("inUse");
      if (code === "EADDRNOTAVAIL") return this.retry("missing");
      throw error;
    }
    this.problem = undefined;
    logEvent("listening", { address: shown(this.address, this.server.port) });
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.server?.stop(graceMs);
  }

  private retry(why: keyof typeof BIND_RETRY_MS): void {
    const problem = why === "inUse" ? "in use by another process" : "not on any interface yet";
    if (why === "inUse") {
      this.inUse++;
      logEvent("address in use", {
        address: shown(this.address),
        alarm: "another process holds this address and port: it would receive the callers' tokens",
      });
    } else if (this.problem !== problem) {
      logEvent("address not there yet", { address: shown(this.address) });
    }
    this.problem = problem;
    this.timer = setTimeout(() => this.start(), BIND_RETRY_MS[why]);
  }
}
