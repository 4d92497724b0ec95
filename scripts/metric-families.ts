// The metric families `epicac serve` and `epicac node` export, as their own code renders them
// (fresh, with nothing counted yet): names, types and help, for the documentation's reference
// (scripts/docs.ts) and for the checks of the example alerts.

import { Metrics } from "../src/serve/metrics.ts";
import { NodeMetrics } from "../src/node/metrics.ts";
import { createProbeHandler } from "../src/node/probes.ts";
import type { HttpRequest } from "../src/serve/http1.ts";

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
}

function families(text: string): MetricFamily[] {
  const help = new Map<string, string>();
  const found: MetricFamily[] = [];
  for (const line of text.split("\n")) {
    const [, kind, name, rest] = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line) ?? [];
    if (kind === "HELP") help.set(name, rest);
    if (kind === "TYPE") found.push({ name, type: rest, help: help.get(name) ?? "" });
  }
  return found;
}

export function serveMetrics(): MetricFamily[] {
  return families(new Metrics([]).render());
}

export function nodeMetrics(): MetricFamily[] {
  const metrics = new NodeMetrics(
    { calls: new Map() } as never,
    { size: 0, hits: 0, missed: 0, evictions: 0 } as never,
  );
  const probes = createProbeHandler({ state: () => [], inUse: () => 0 }, metrics);
  const request = { method: "GET", path: "/metrics", headers: new Map() } as HttpRequest;
  return families(probes(request).body);
}
