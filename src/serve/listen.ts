// Where `epicac serve` listens: loopback only. The pod's containers share its loopback, and
// nothing outside the pod may ask for its credentials. The probe listener (--probe-listen) may
// take any address, because the kubelet's httpGet probes and Prometheus come from outside the
// pod; it serves no credentials.

import { UsageError } from "../errors.ts";

export interface ListenAddress {
  hostname: string;
  /** 0: any free port (the server logs the one it got). */
  port: number;
}

/** --listen HOST:PORT, or a usage error naming the rule. */
export function parseListen(text: string): ListenAddress {
  const match = /^(\[::1\]|localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  const octets = match?.[1].startsWith("127.") ? match[1].split(".").map(Number) : [];
  if (!match || port > 65535 || octets.some((octet) => octet > 255)) {
    throw new UsageError(
      `--listen takes a loopback HOST:PORT (127.0.0.0/8, [::1] or localhost), not '${text}': only the pod's own containers may ask for its credentials`,
    );
  }
  return { hostname: match[1] === "[::1]" ? "::1" : match[1], port };
}

/** --probe-listen HOST:PORT: any IPv4 or [IPv6] address, 0.0.0.0 and [::] included. */
export function parseProbeListen(text: string): ListenAddress {
  const match = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  const octets = match && !match[1].startsWith("[") ? match[1].split(".").map(Number) : [];
  if (!match || port > 65535 || octets.some((octet) => octet > 255)) {
    throw new UsageError(
      `--probe-listen takes an IP address and port (0.0.0.0:9912, [::]:9912), not '${text}'`,
    );
  }
  const host = match[1];
  return { hostname: host.startsWith("[") ? host.slice(1, -1) : host, port };
}
