// What `epicac serve` answers. The credentials routes answer like the EKS Pod Identity agent:
// 200 and its JSON, or a plain-text line that says what failed; /healthz, /readyz and /metrics
// need no token (Kubernetes probes and Prometheus scrapes carry none, and they hold no secret).
// The probe listener's handler (probesOnly) has no credentials route at all. /readyz names the
// routes that are not ready, and says why only to a request that carries the token (doctor's):
// the why stays in the log otherwise. Every outcome becomes a status here, in one table.

import { redact } from "../redact.ts";
import { answerOf } from "./answer.ts";
import { cacheable, type Handler, type HttpRequest, type HttpResponse, text } from "./http1.ts";
import { label, type Metrics } from "./metrics.ts";
import type { RouteCredentials } from "./refresher.ts";

/** Every outcome and its status. */
const STATUS = {
  credentials: 200,
  healthy: 200,
  ready: 200,
  metrics: 200,
  noToken: 401,
  wrongToken: 403,
  notFound: 404,
  wrongMethod: 405,
  noCredentials: 503,
  notReady: 503,
} as const;

/** The paths that need no token. */
const OPERATIONS = new Set(["/healthz", "/readyz", "/metrics"]);

// The answers that never change are built once, bytes included (see cacheable()).
const NOT_FOUND = cacheable(text(STATUS.notFound, "not found"));
const WRONG_METHOD = cacheable({
  ...text(STATUS.wrongMethod, "only GET and HEAD are allowed"),
  headers: { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" },
});
const HEALTHY = cacheable(text(STATUS.healthy, "ok"));
const READY = cacheable(text(STATUS.ready, "ready"));
const NO_TOKEN = cacheable(
  text(STATUS.noToken, "Authorization header is missing: send the token of --token-file"),
);
const WRONG_TOKEN = cacheable(
  text(STATUS.wrongToken, "Access Denied: the Authorization token is not this server's"),
);

export interface HandlerOptions {
  routes: RouteCredentials[];
  /** Whether an Authorization header carries the server's token (auth-token.ts). */
  token: { matches(presented: string): boolean };
  metrics: Metrics;
  /**
   * Called for every request answered, with what it asked for as the metrics name it (a route,
   * a probe, "other": never the path a client sent).
   */
  answered?(request: HttpRequest, target: string, status: number): void;
  /** Serve only /healthz, /readyz and /metrics (the probe listener, reachable from the node). */
  probesOnly?: boolean;
}

export function createHandler(options: HandlerOptions): Handler {
  const byPath = new Map(options.probesOnly ? [] : options.routes.map((r) => [r.route.path, r]));
  const counted = (request: HttpRequest, target: string, response: HttpResponse) => {
    options.metrics.request(target, response.status);
    options.answered?.(request, target, response.status);
    return response;
  };
  const answer = (
    request: HttpRequest,
    target: string,
    response: HttpResponse | Promise<HttpResponse>,
  ) =>
    response instanceof Promise
      ? response.then((r) => counted(request, target, r))
      : counted(request, target, response);
  return (request) => {
    const query = request.path.indexOf("?");
    const path = query < 0 ? request.path : request.path.slice(0, query);
    const route = byPath.get(path);
    const target = route ? label(route) : OPERATIONS.has(path) ? path.slice(1) : "other";
    if (!route && target === "other") return answer(request, target, NOT_FOUND);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return answer(request, target, WRONG_METHOD);
    }
    if (path === "/healthz") return answer(request, target, HEALTHY);
    if (path === "/readyz") {
      // Why a route is not ready can quote what a peer said: only for those who hold the token.
      const presented = request.headers.get("authorization");
      const withCauses = presented !== undefined && options.token.matches(presented);
      return answer(request, target, readiness(options.routes, withCauses));
    }
    if (path === "/metrics") {
      return answer(request, target, {
        status: STATUS.metrics,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        body: options.metrics.render(),
      });
    }
    return answer(request, target, credentialsAnswer(request, route!, options.token));
  };
}

/**
 * The credentials held; with none usable, those of the refresh running now once it ends (after
 * the wall clock jumped past their expiry, the first request gets new ones, not a 503).
 */
function credentialsAnswer(
  request: HttpRequest,
  route: RouteCredentials,
  token: HandlerOptions["token"],
): HttpResponse | Promise<HttpResponse> {
  const presented = request.headers.get("authorization");
  if (!presented) return NO_TOKEN;
  if (!token.matches(presented)) return WRONG_TOKEN;
  const credentials = route.current();
  if (credentials) return answerOf(credentials);
  return route.awaited().then((awaited) =>
    awaited ? answerOf(awaited) : text(
      STATUS.noCredentials,
      redact(`no valid credentials for route ${label(route)}: ${route.cause()}`),
    )
  );
}

function readiness(routes: RouteCredentials[], withCauses: boolean): HttpResponse {
  const waiting = routes.filter((r) => !r.current());
  if (waiting.length === 0) return READY;
  const described = waiting.map((r) => `route ${label(r)}${withCauses ? `: ${r.cause()}` : ""}`);
  return text(STATUS.notReady, redact(`not ready: ${described.join("; ")}`));
}
