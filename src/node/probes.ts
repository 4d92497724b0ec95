// What `epicac node` answers on --probe-listen, and nothing else there: /healthz while the process
// runs, /readyz once every --listen address is bound (an address in use is an alarm: not ready),
// /metrics for Prometheus. None needs a token, and none says anything secret.

import { type HttpRequest, type HttpResponse, text } from "../serve/http1.ts";
import type { BindState } from "./binder.ts";
import type { NodeMetrics } from "./metrics.ts";

export interface Listening {
  /** Each --listen address, and whether it is bound now (or why not). */
  state(): BindState[];
  /** How often an address was found in use by something else. */
  inUse(): number;
}

export function createProbeHandler(listening: Listening, metrics: NodeMetrics) {
  return (request: HttpRequest): HttpResponse => {
    const path = request.path.split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "only GET and HEAD are allowed");
    }
    if (path === "/healthz") return text(200, "ok");
    if (path === "/readyz") {
      const unbound = listening.state().filter((s) => !s.bound);
      return unbound.length === 0 ? text(200, "ready") : text(
        503,
        `not ready: ${
          unbound.map((s) => `${s.address} ${s.problem ?? "not bound yet"}`).join("; ")
        }`,
      );
    }
    if (path === "/metrics") {
      const bound = listening.state().map(({ address, bound }) =>
        `epicac_listening{address="${address}"} ${bound ? 1 : 0}`
      );
      return {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        body: metrics.render() + [
          "# HELP epicac_listening 1 when the address is bound.",
          "# TYPE epicac_listening gauge",
          ...bound,
          "# HELP epicac_address_in_use_total Binds refused because something else holds the address.",
          "# TYPE epicac_address_in_use_total counter",
          `epicac_address_in_use_total ${listening.inUse()}`,
        ].join("\n") + "\n",
      };
    }
    return text(404, "not found");
  };
}
