// The fixed limits of `epicac serve`'s two listeners (server.ts, http1.ts): no flag or client
// lifts them. --listen serves the SDKs of the pod's containers; --probe-listen, reachable from
// the node and the cluster, serves the kubelet's probes and Prometheus, which need a handful of
// connections, small requests and quick answers.

import type { ServerLimits } from "./server.ts";

/** The loopback listener, --listen. */
export const SERVE_LIMITS: ServerLimits = {
  headerTimeoutMs: 5000,
  maxHeaderBytes: 8 * 1024,
  idleTimeoutMs: 60_000,
  maxQueuedBytes: 64 * 1024,
  writeTimeoutMs: 10_000,
  maxConnections: 512,
};

/** The probe listener, --probe-listen. */
export const PROBE_LIMITS: ServerLimits = {
  headerTimeoutMs: 2000,
  maxHeaderBytes: 4 * 1024,
  idleTimeoutMs: 15_000,
  maxQueuedBytes: 64 * 1024,
  writeTimeoutMs: 5000,
  maxConnections: 8,
};
