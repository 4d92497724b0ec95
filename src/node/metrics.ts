// `epicac node`'s metrics, in the Prometheus text format: requests by route and status, the
// agent's answers, STS chains and failures by route, the cache, and route reloads. Label values
// come only from the routes file and fixed lists (an unknown route counts as "other"), never from
// a caller: no per-pod label, nothing secret.

import type { Agent } from "./agent.ts";
import type { ChainedCache } from "./cache.ts";

type Counts = Map<string, number>;

function add(counts: Counts, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export class NodeMetrics {
  private readonly requests = new Map<string, Counts>();
  private readonly chains: Counts = new Map();
  private readonly chainFailures: Counts = new Map();
  reloads = 0;
  reloadFailures = 0;

  constructor(private readonly agent: Agent, private readonly cache: ChainedCache) {}

  request(route: string, status: number): void {
    let byStatus = this.requests.get(route);
    if (!byStatus) this.requests.set(route, byStatus = new Map());
    add(byStatus, String(status));
  }

  /** Count a chain (STS calls) for `route`, and its failure if it fails. */
  chained<T>(route: string, chain: Promise<T>): Promise<T> {
    add(this.chains, route);
    return chain.catch((error) => {
      add(this.chainFailures, route);
      throw error;
    });
  }

  /** Forget a route that is gone, so that its labels do not stay forever. */
  dropRoute(route: string): void {
    this.requests.delete(route);
    this.chains.delete(route);
    this.chainFailures.delete(route);
  }

  render(): string {
    const lines: string[] = [];
    const family = (name: string, help: string, type: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const byLabel = (label: string, counts: Counts): [string, number][] =>
      [...counts].sort().map(([key, value]) => [`{${label}="${key}"}`, value]);
    family(
      "epicac_requests_total",
      "Requests answered, by route and status.",
      "counter",
      [...this.requests].sort().flatMap(([route, byStatus]) =>
        [...byStatus].sort().map(([status, n]): [string, number] => [
          `{route="${route}",status="${status}"}`,
          n,
        ])
      ),
    );
    family(
      "epicac_agent_calls_total",
      "Calls to the Pod Identity agent, by its status (error: no answer).",
      "counter",
      byLabel("status", this.agent.calls),
    );
    family(
      "epicac_sts_chains_total",
      "Chains run with STS, by route.",
      "counter",
      byLabel("route", this.chains),
    );
    family(
      "epicac_sts_chain_failures_total",
      "Chains that failed, by route.",
      "counter",
      byLabel("route", this.chainFailures),
    );
    family("epicac_cache_entries", "Chained credentials held.", "gauge", [["", this.cache.size]]);
    family("epicac_cache_hits_total", "Requests answered from the cache.", "counter", [[
      "",
      this.cache.hits,
    ]]);
    family("epicac_cache_misses_total", "Requests that needed a chain.", "counter", [[
      "",
      this.cache.missed,
    ]]);
    family("epicac_cache_evictions_total", "Entries evicted to make room.", "counter", [[
      "",
      this.cache.evictions,
    ]]);
    family("epicac_route_reloads_total", "Routes files loaded after the first.", "counter", [[
      "",
      this.reloads,
    ]]);
    family(
      "epicac_route_reload_failures_total",
      "Routes files refused (the previous routes stay).",
      "counter",
      [["", this.reloadFailures]],
    );
    return lines.join("\n") + "\n";
  }
}
