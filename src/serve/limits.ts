// The fixed limits of the listeners of `epicac serve` and `epicac node` (server.ts, http1.ts): no
// flag or client lifts them. serve's --listen serves the SDKs of the pod's containers; node's,
// every pod of the node, each from its own address; --probe-listen, reachable from the node and
// the cluster, serves the kubelet's probes and Prometheus, which need a handful of connections,
// small requests and quick answers.

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

/**
 * epicac node's --listen: a node runs at most a few hundred pods, each SDK holding a connection or
 * two; one address (a pod, or every hostNetwork pod at once) past its share only ever closes its
 * own idle longest. Idle connections go sooner than serve's: there are many more callers.
 */
export const NODE_LIMITS: ServerLimits = {
  headerTimeoutMs: 5000,
  maxHeaderBytes: 8 * 1024,
  idleTimeoutMs: 15_000,
  maxQueuedBytes: 64 * 1024,
  writeTimeoutMs: 10_000,
  maxConnections: 2048,
  maxPerAddress: 64,
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
