// What `epicac node` answers, in the Pod Identity agent's protocol: GET /v1/credentials/NAME with
// the caller's own Pod Identity token. In this order, each step refusing before anything costlier
// runs: the Host the request names (as the agent checks it) and an origin-form target, the path,
// the caller's rate, the token's form
// (and, with --issuer, its signature), the route and whether it allows the token's service
// account (an unknown route and a refused caller get the same 403, so routes cannot be listed),
// the service account's rate, the agent's verdict on the token (which makes the claims count),
// then the chained credentials. Every outcome becomes a status here, in one table.

import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { redact } from "../redact.ts";
import { type Clock, expiresAt } from "../refreshing.ts";
import { type HttpRequest, type HttpResponse, text } from "../serve/http1.ts";
import type { StsTarget } from "../sts/settings.ts";
import { type Agent, AgentRefused } from "./agent.ts";
import { cacheKey, type ChainedCache, MissBudgetSpent } from "./cache.ts";
import { chainFrom } from "./chain.ts";
import type { Buckets } from "./limiter.ts";
import type { NodeMetrics } from "./metrics.ts";
import { checkPodToken, type PodClaims, TokenRefused } from "./pod-token.ts";
import { allows, type NodeRoute } from "./routes-file.ts";

const STATUS = {
  credentials: 200,
  badToken: 400,
  forbidden: 403,
  notFound: 404,
  wrongMethod: 405,
  tooMany: 429,
  agentUnreachable: 502,
  stsFailed: 502,
  tooSlow: 504,
} as const;

const PATH = /^\/v1\/credentials\/([A-Za-z0-9_-]{1,64})$/;

export interface NodeHandlerOptions {
  /** The routes as loaded now (the file may be reloaded). */
  routes(): ReadonlyMap<string, NodeRoute>;
  agent: Agent;
  cache: ChainedCache;
  sts: StsTarget;
  /** This node's name: a token naming another node is refused. */
  nodeName?: string;
  /** Requests a second per source address and per service account. */
  perSource: Buckets;
  perSubject: Buckets;
  /** With --issuer: whether a token's signature verifies. */
  verify?(token: string): Promise<boolean>;
  metrics: NodeMetrics;
  /** Called for every request answered (the --debug lines): never the token. */
  answered?(outcome: Outcome): void;
  clock: Clock;
}

/** What one request came to, for the log and the metrics. */
export interface Outcome {
  status: number;
  route: string;
  claims?: PodClaims;
  ms: number;
}

/** Where a request came in and from: the listener's own address, and the caller's. */
export interface Peer {
  /** The address the listener is bound to (a Host must name it). */
  local: string;
  remote: string;
}

export function createNodeHandler(options: NodeHandlerOptions) {
  return async (request: HttpRequest, peer: Peer): Promise<HttpResponse> => {
    const started = performance.now();
    let route = "other";
    let claims: PodClaims | undefined;
    const done = (response: HttpResponse) => {
      options.metrics.request(route, response.status);
      options.answered?.({
        status: response.status,
        route,
        claims,
        ms: performance.now() - started,
      });
      return response;
    };
    // An absolute-form target is a proxy's request, not a pod's: refused like a wrong Host.
    if (!request.path.startsWith("/") || !hostNames(request.headers.get("host"), peer.local)) {
      return done(text(
        STATUS.forbidden,
        `Access Denied: call this server through its own address ${peer.local}`,
      ));
    }
    const query = request.path.indexOf("?");
    const name = PATH.exec(query < 0 ? request.path : request.path.slice(0, query))?.[1];
    if (!name) return done(text(STATUS.notFound, "not found: ask for /v1/credentials/ROUTE"));
    const known = options.routes().get(name);
    if (known) route = name;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return done(text(STATUS.wrongMethod, "only GET and HEAD are allowed"));
    }
    if (!options.perSource.take(peer.remote)) {
      return done(text(STATUS.tooMany, "Too Many Requests from this address"));
    }
    const token = request.headers.get("authorization") ?? "";
    try {
      claims = checkPodToken(token, options.nodeName, options.clock.now());
      if (options.verify && !(await options.verify(token))) {
        throw new TokenRefused("Service account token signature does not verify");
      }
    } catch (error) {
      if (error instanceof TokenRefused) return done(text(STATUS.badToken, error.message));
      throw error;
    }
    // Not verified yet (the agent does that next): an early refusal only.
    if (!known || !allows(known, claims.subject)) {
      return done(text(
        STATUS.forbidden,
        `Access Denied: no route ${name} for service account ${claims.subject}`,
      ));
    }
    if (!options.perSubject.take(claims.subject)) {
      return done(text(STATUS.tooMany, "Too Many Requests for this service account"));
    }
    let source: Credentials;
    try {
      ({ credentials: source } = await options.agent.credentialsFor(token, peer.remote));
    } catch (error) {
      if (error instanceof AgentRefused) {
        return done(text(error.status, redact(error.message)));
      }
      throw error;
    }
    const podClaims = claims;
    try {
      const answer = await options.cache.get(
        cacheKey(source, known),
        claims.subject,
        known.name,
        expiresAt(source),
        () => options.metrics.chained(name, chainFrom(source, known, podClaims, options.sts)),
      );
      return done(answer);
    } catch (error) {
      if (error instanceof MissBudgetSpent) return done(text(STATUS.tooMany, error.message));
      return done(text(stsStatus(error), redact(describe(error))));
    }
  };
}

/** Whether a Host header names `local` (with or without a port), and nothing else. */
export function hostNames(host: string | undefined, local: string): boolean {
  if (host === undefined || host.includes(",")) return false;
  const bare = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(host)?.[1];
  return bare === (local.includes(":") ? `[${local}]` : local);
}

/** An STS failure's status: a denial is 403, throttling 429, the deadline 504, else 502. */
function stsStatus(error: unknown): number {
  const code = String((error as { cause?: { name?: string } })?.cause?.name ?? "");
  if (/^AccessDenied/.test(code)) return STATUS.forbidden;
  if (/^(Throttling|RequestLimitExceeded)/.test(code)) return STATUS.tooMany;
  if (/deadline|in time/.test(String((error as Error)?.message))) return STATUS.tooSlow;
  return STATUS.stsFailed;
}

function describe(error: unknown): string {
  return error instanceof EpicacError
    ? `${error.message} (${error.hint})`
    : `unexpected ${(error as Error)?.name ?? typeof error}`;
}
