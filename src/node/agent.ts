// The real Pod Identity agent, asked for a caller's own credentials with the caller's own token:
// the agent (with EKS Auth behind it) decides who the token speaks for. Every call spends the
// agent's one limiter for the whole node (1000 a second, burst 500), so calls are budgeted: a cap
// for the node well under the agent's, and a small budget per source address for tokens not seen
// before (a forger minting tokens spends only its own). A token the agent accepted is
// remembered, by its SHA-256, for at most REMEMBER_MS: requests bearing it need no call, and a
// token the agent starts refusing is refused within that time. Requests bearing a token the
// agent is being asked about now share that one call.

import { createHash } from "node:crypto";
import type { Credentials } from "../credentials.ts";
import { ConnectionError, EpicacError, HttpStatusError, TimeoutError } from "../errors.ts";
import { getText, MAX_RESPONSE_BYTES, type PeerLabel } from "../http/request.ts";
import { type Clock, lifeLeft, MIN_LIFE_MS } from "../refreshing.ts";
import { parseContainerResponse } from "../sources/container-response.ts";
import { Buckets, type Rate } from "./limiter.ts";
import { Lru } from "./lru.ts";

export const REMEMBER_MS = 60_000;
/** The whole node's calls, well under the agent's own 1000 a second (burst 500). */
export const AGENT_RATE: Rate = { perSecond: 200, burst: 100 };

const AGENT: PeerLabel = {
  name: "the Pod Identity agent",
  hint: "check that the eks-pod-identity-agent DaemonSet runs on this node and --agent-uri",
  answerHint: "check that --agent-uri points at the Pod Identity agent",
};

/** Why the agent gave no credentials: the status to answer with, and a line that says why. */
export class AgentRefused extends Error {
  override name = "AgentRefused";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface AgentCall {
  credentials: Credentials;
  /** The agent was asked now (not a remembered acceptance). */
  called: boolean;
}

/** An acceptance remembered: the caller's credentials, and until when they stand for its token. */
type Remembered = Credentials & { until: number };

export class Agent {
  private readonly remembered: Lru<string, Remembered>;
  /** The calls running now, by token hash: as many as the budgets let start. */
  private readonly asking = new Map<string, Promise<Credentials>>();
  private readonly node: Buckets;
  private readonly perSource: Buckets;
  /** Answers by status ("error" for no answer), for the metrics. */
  readonly calls = new Map<string, number>();

  /** `newTokens`: each source address's calls for tokens not seen before. */
  constructor(
    private readonly uri: URL,
    private readonly timeoutMs: number,
    maxEntries: number,
    newTokens: Rate,
    private readonly clock: Clock,
  ) {
    this.remembered = new Lru(maxEntries);
    this.node = new Buckets(AGENT_RATE, 1, clock);
    this.perSource = new Buckets(newTokens, maxEntries, clock);
  }

  /** The caller's credentials, from the agent or a remembered acceptance; AgentRefused if none. */
  async credentialsFor(token: string, source: string): Promise<AgentCall> {
    const key = createHash("sha256").update(token).digest("base64");
    const now = this.clock.now();
    const known = this.remembered.get(key);
    if (known && now < known.until) return { credentials: known, called: false };
    const running = this.asking.get(key);
    if (running) return { credentials: await running, called: false };
    if (!known && !this.perSource.take(source)) {
      throw new AgentRefused(429, "Too Many Requests: too many new tokens from this address");
    }
    if (!this.node.take()) {
      throw new AgentRefused(429, "Too Many Requests: this node's agent calls are at their limit");
    }
    const call = this.call(token).then((credentials) => {
      const until = Math.min(
        now + REMEMBER_MS,
        now + lifeLeft(credentials, now) - MIN_LIFE_MS,
      );
      // One object for both, since a node remembers a token for every pod.
      this.remembered.set(key, { ...credentials, until });
      return credentials;
    }).finally(() => this.asking.delete(key));
    this.asking.set(key, call);
    return { credentials: await call, called: true };
  }

  private async call(token: string): Promise<Credentials> {
    let status = "error";
    try {
      const response = await getText(this.uri, AGENT, {
        headers: { accept: "application/json", authorization: token },
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      status = String(response.status);
      return parseContainerResponse(response, `${AGENT.name} at ${this.uri.origin}`);
    } catch (error) {
      throw refusal(error);
    } finally {
      this.calls.set(status, (this.calls.get(status) ?? 0) + 1);
    }
  }
}

/** The status to answer a caller with when the agent gave it nothing. */
function refusal(error: unknown): AgentRefused {
  const message = error instanceof EpicacError ? error.message : String(error);
  // The agent's own refusal goes back as it is (400, 403, 429, 5xx); no answer is ours to say.
  if (error instanceof HttpStatusError) return new AgentRefused(error.status, message);
  if (error instanceof TimeoutError) return new AgentRefused(504, message);
  if (error instanceof ConnectionError) return new AgentRefused(502, message);
  return new AgentRefused(502, message);
}
