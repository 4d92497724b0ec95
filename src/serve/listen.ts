// Where `epicac serve` listens: loopback only. The pod's containers share its loopback, and
// nothing outside the pod may ask for its credentials. The probe listener (--probe-listen) may
// take any address, because the kubelet's httpGet probes and Prometheus come from outside the
// pod; it serves no credentials. Addresses are read strictly, as numbers: `localhost` means
// 127.0.0.1 (never what /etc/hosts says), and a form the runtimes would read differently
// (127.0.0.08, a leading zero) is refused.

import { isIPv6 } from "node:net";
import { parsed } from "../inputs/input.ts";

export interface ListenAddress {
  hostname: string;
  /** 0: any free port (the server logs the one it got). */
  port: number;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const PORT = /^(0|[1-9]\d{0,4})$/;

/** HOST:PORT or [IPv6]:PORT, split, with the port checked; undefined when malformed. */
export function splitHostPort(text: string): ListenAddress | undefined {
  const match = /^(\[[^\]]*\]|[^:[\]]+):([^:]*)$/.exec(text);
  if (!match || !PORT.test(match[2]) || Number(match[2]) > 65535) return undefined;
  const host = match[1].startsWith("[") ? match[1].slice(1, -1) : match[1];
  if (match[1].startsWith("[") ? !isIPv6(host) : !IPV4.test(host) && host !== "localhost") {
    return undefined;
  }
  return { hostname: host === "localhost" ? "127.0.0.1" : host, port: Number(match[2]) };
}

/** Whether an address (as splitHostPort gives it) is this host's loopback. */
export function isLoopbackAddress(hostname: string): boolean {
  return hostname.startsWith("127.") || hostname === "::1";
}

const DEFAULT_LISTEN: ListenAddress = { hostname: "127.0.0.1", port: 9911 };

export const LISTEN = parsed({
  flag: "listen",
  placeholder: "HOST:PORT",
  default: DEFAULT_LISTEN,
  shown: (address) => shown(address),
  form: "a loopback HOST:PORT (127.0.0.0/8, [::1] or localhost, which means 127.0.0.1): " +
    "only the pod's own containers may ask for its credentials",
  parse: (text): ListenAddress | undefined => {
    const address = splitHostPort(text);
    return address && isLoopbackAddress(address.hostname) ? address : undefined;
  },
  help: "Where applications ask for credentials: loopback only.",
});

export const PROBE_LISTEN = parsed({
  flag: "probe-listen",
  placeholder: "IP:PORT",
  form: "an IP address and port (0.0.0.0:9912, [::]:9912)",
  parse: splitHostPort,
  help: "Also serve /healthz, /readyz and /metrics, and nothing else, here: the kubelet's " +
    "httpGet probes and Prometheus reach the pod's IP, not its loopback (0.0.0.0:9912, say). " +
    "Its /readyz names routes, never causes.",
});

/** HOST:PORT as logged, an IPv6 host in brackets. */
export function shown(address: ListenAddress, port = address.port): string {
  return `${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${port}`;
}

/** The error's code when a listener could not bind, else undefined. */
export function bindFailure(error: unknown): string | undefined {
  const code = (error as { code?: string })?.code;
  return code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" ? code : undefined;
}
