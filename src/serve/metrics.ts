// `epicac serve`'s metrics, in the Prometheus text format. Every label value comes from the
// configuration (the routes' names) or from a fixed list, never from a request: an unknown path
// counts as "other", so no client can make the server grow its memory. Nothing secret is here.

import type { RouteCredentials } from "./refresher.ts";

/** The label of what a request asked for. */
export type Target = string;

export class Metrics {
  /** Counts by route (or probe, or other), then status: no string is built per request. */
  private readonly requests = new Map<Target, Map<number, number>>();

  constructor(
    private readonly routes: RouteCredentials[],
    /** Log lines dropped because stderr's reader did not keep up (event-log.ts). */
    private readonly logLinesDropped: () => number = () => 0,
  ) {}

  /** Count one answered request; `target` is a route's label or a fixed name. */
  request(target: Target, status: number): void {
    let byStatus = this.requests.get(target);
    if (!byStatus) this.requests.set(target, byStatus = new Map());
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  render(): string {
    const lines = [
      "# HELP epicac_requests_total Requests answered, by route (or probe, or other) and status.",
      "# TYPE epicac_requests_total counter",
    ];
    for (const target of [...this.requests.keys()].sort()) {
      const byStatus = this.requests.get(target)!;
      for (const status of [...byStatus.keys()].sort()) {
        lines.push(
          `epicac_requests_total{route="${target}",status="${status}"} ${byStatus.get(status)}`,
        );
      }
    }
    const perRoute = (
      name: string,
      help: string,
      type: string,
      value: (r: RouteCredentials) => number | undefined,
    ) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const route of this.routes) {
        const v = value(route);
        if (v !== undefined) lines.push(`${name}{route="${label(route)}"} ${v}`);
      }
    };
    perRoute(
      "epicac_refreshes_total",
      "Refreshes that got credentials, by route.",
      "counter",
      (r) => r.refreshes,
    );
    perRoute(
      "epicac_refresh_failures_total",
      "Refreshes that failed, by route.",
      "counter",
      (r) => r.failures,
    );
    perRoute(
      "epicac_short_lived_credentials_total",
      "Refreshes whose credentials came with less life than the refresh window, by route.",
      "counter",
      (r) => r.shortLived,
    );
    perRoute(
      "epicac_credentials_expiry_seconds",
      "Seconds until the credentials a route serves expire (negative: expired).",
      "gauge",
      (r) => {
        const left = r.secondsLeft();
        return left === undefined ? undefined : Math.round(left);
      },
    );
    perRoute(
      "epicac_route_ready",
      "1 when the route holds valid credentials, else 0.",
      "gauge",
      (r) => r.usable() ? 1 : 0,
    );
    lines.push(
      "# HELP epicac_log_lines_dropped_total Log lines dropped while stderr's reader did not keep up.",
      "# TYPE epicac_log_lines_dropped_total counter",
      `epicac_log_lines_dropped_total ${this.logLinesDropped()}`,
    );
    return lines.join("\n") + "\n";
  }
}

/** A route's label: its name, "default" for the default route. */
export function label(route: RouteCredentials): string {
  return route.route.name || "default";
}
