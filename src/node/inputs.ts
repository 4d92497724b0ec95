// The inputs of `epicac node`, declared once: where it listens (only the Pod Identity agent's
// link-local addresses or loopback; a link-local port below 1024, which no unprivileged
// hostNetwork pod can take first), where the agent and the routes are, this node's name, the
// issuer, and the limits every caller shares.

import { list, parsed, text, wholeNumber } from "../inputs/input.ts";
import { type ListenAddress, shown, splitHostPort } from "../serve/listen.ts";
import { isIssuerUrl } from "./issuer.ts";
import type { Rate } from "./limiter.ts";

/** The agent's own addresses; epicac node takes another port on them. */
export const AGENT_ADDRESSES = ["169.254.170.23", "fd00:ec2::23"];
const AGENT_PORT = 80;
/** The port epicac node listens on by default: below 1024, not the agent's. */
export const NODE_PORT = 90;

const LINK_LOCAL_FORM =
  `the agent's address (169.254.170.23:PORT or [fd00:ec2::23]:PORT, a PORT below 1024 other than ${AGENT_PORT}) or a loopback HOST:PORT`;

/** An address epicac node may listen on, or undefined. */
function nodeAddress(text: string): ListenAddress | undefined {
  const address = splitHostPort(text);
  if (!address) return undefined;
  if (address.hostname.startsWith("127.") || address.hostname === "::1") return address;
  const agent = AGENT_ADDRESSES.includes(address.hostname);
  return agent && address.port > 0 && address.port < 1024 && address.port !== AGENT_PORT
    ? address
    : undefined;
}

export const NODE_LISTEN = list<ListenAddress>({
  flag: "listen",
  placeholder: "ADDRESS:PORT",
  type: "string[]",
  form: LINK_LOCAL_FORM,
  default: [{ hostname: AGENT_ADDRESSES[0], port: NODE_PORT }],
  shown: (addresses) => addresses.map((address) => shown(address)).join(", "),
  fromText: nodeAddress,
  valid: () => true,
  showItem: (address) => shown(address),
  help: "Where pods ask for credentials; repeatable (also [fd00:ec2::23]:90, say). A link-local " +
    "port below 1024 cannot be taken first by an unprivileged hostNetwork pod.",
});

export const NODE_PROBE_LISTEN = parsed({
  flag: "probe-listen",
  placeholder: "IP:PORT",
  default: { hostname: "127.0.0.1", port: 2713 },
  shown: (address) => shown(address),
  form: "an IP address and port (0.0.0.0:2713, [::]:2713)",
  parse: splitHostPort,
  help: "Serve /healthz, /readyz and /metrics, and nothing else, here. The kubelet probes a " +
    "hostNetwork pod on the node's IP, and so does Prometheus: 0.0.0.0:2713 reaches every " +
    "pod of the cluster (nothing secret is there).",
});

export const ROUTES = text({
  flag: "routes",
  placeholder: "PATH",
  form: "a file path",
  valid: (path) => path !== "",
  help: "Required. The routes, as JSON (a ConfigMap's file); read again when it changes.",
});

/** http to the agent's addresses or loopback only: a caller's token never leaves the node. */
function isAgentUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return url.protocol === "http:" && !url.username && !url.password &&
      (AGENT_ADDRESSES.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1");
  } catch {
    return false;
  }
}

export const AGENT_URI = text({
  flag: "agent-uri",
  placeholder: "URI",
  default: "http://169.254.170.23/v1/credentials",
  form: "an http URI on the agent's address or loopback (a caller's token never leaves the node)",
  valid: isAgentUri,
  help: "The Pod Identity agent, asked for each caller's credentials with the caller's token.",
});

export const NODE_NAME = text({
  flag: "node-name",
  env: ["NODE_NAME"],
  placeholder: "NAME",
  form: "a Kubernetes node name",
  valid: (name) => /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name),
  help: "This node's name (the downward API's spec.nodeName): a token naming another node is " +
    "refused.",
});

export const ISSUER = text({
  flag: "issuer",
  placeholder: "URL",
  form: "an https URL (the cluster's OIDC issuer)",
  valid: isIssuerUrl,
  help: "Also verify each token's signature against this issuer's keys (its OIDC discovery " +
    "document), before the agent is asked.",
});

export const MAX_ENTRIES = wholeNumber({
  flag: "max-entries",
  default: 10_000,
  min: 100,
  max: 1_000_000,
  help: "Chained credentials held at most (least recently used first out); also bounds the " +
    "remembered tokens and the rate buckets.",
});

export const ACCOUNT_ENTRIES = wholeNumber({
  flag: "account-entries",
  default: 1000,
  min: 1,
  max: 1_000_000,
  help: "Entries one service account may hold: its own make room among themselves.",
});

/** A rate, given as PER_SECOND:BURST. */
function rate(flag: string, defaults: Rate, help: string) {
  return parsed({
    flag,
    placeholder: "RATE:BURST",
    default: defaults,
    shown: (r: Rate) => `${r.perSecond}:${r.burst}`,
    form: "PER_SECOND:BURST, two whole numbers from 1 to 100000",
    parse: (given): Rate | undefined => {
      const match = /^([1-9]\d{0,5}):([1-9]\d{0,5})$/.exec(given);
      if (!match || +match[1] > 100_000 || +match[2] > 100_000) return undefined;
      return { perSecond: +match[1], burst: +match[2] };
    },
    help,
  });
}

export const ADDRESS_RATE = rate(
  "address-rate",
  { perSecond: 100, burst: 200 },
  "Requests each source address may make (all hostNetwork callers share the node's address); " +
    "more get 429.",
);
export const ACCOUNT_RATE = rate(
  "account-rate",
  { perSecond: 100, burst: 200 },
  "Requests each service account may make, counted once its token's form is checked; more get 429.",
);
export const ADDRESS_NEW_TOKENS = rate(
  "address-new-tokens",
  { perSecond: 1, burst: 20 },
  "Tokens not seen before that each source address may have the agent check (a forger minting " +
    "tokens spends only its own address's); more get 429.",
);
export const ACCOUNT_CHAINS = rate(
  "account-chains",
  { perSecond: 10, burst: 500 },
  "New chains (STS calls) each service account may cause: generous enough for hundreds of its " +
    "pods starting at once; more get 429.",
);
