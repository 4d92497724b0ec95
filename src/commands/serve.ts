// epicac serve: a sidecar that serves the chained credentials on the pod's loopback, in the EKS
// Pod Identity agent's own protocol, which every AWS SDK reads without a shell. Its flags, its
// --help, its run: start, refresh in the background, answer until SIGTERM or SIGINT.

import process from "node:process";
import type { Env } from "../env.ts";
import { EpicacError, EXIT_OK, SetupError, UsageError } from "../errors.ts";
import { debugEnabled, logEvent } from "../log.ts";
import { checkRefreshWindow, DEFAULTS, limited } from "../options.ts";
import { type Plan, planChain } from "../pipeline.ts";
import { CHAIN_FLAGS, chainInput, FLAG_NAMES, parseFlags, seconds } from "../cli/flags.ts";
import { prepareRequests } from "../cli/run.ts";
import { loadServeToken, TOKEN_FILE_MODE } from "../serve/auth-token.ts";
import { startEventLog } from "../serve/event-log.ts";
import { createHandler } from "../serve/handler.ts";
import { type ListenAddress, parseListen, parseProbeListen } from "../serve/listen.ts";
import { label, Metrics } from "../serve/metrics.ts";
import { RouteCredentials } from "../serve/refresher.ts";
import { buildRoutes } from "../serve/routes.ts";
import { PROBE_LIMITS, SERVE_LIMITS } from "../serve/limits.ts";
import { listen } from "../serve/server.ts";
import type { HttpRequest } from "../serve/http1.ts";
import type { CommandResult } from "./command.ts";

const { "cache-dir": _noCache, ...SHARED } = CHAIN_FLAGS;
const FLAGS = {
  ...SHARED,
  listen: { type: "string", default: "127.0.0.1:9911" },
  "probe-listen": { type: "string" },
  "token-file": { type: "string" },
  route: { type: "string", multiple: true },
  "no-default-route": { type: "boolean", default: false },
} as const;

/** SIGTERM to exit: requests in flight get this long, then the log what is left of a second. */
const STOP_GRACE_MS = 4000;
const LOG_FLUSH_MS = 500;

export const HELP =
  `epicac serve: serve this pod's chained credentials on its loopback, in the EKS Pod
Identity agent's protocol, to every AWS SDK of the pod (no shell, no process per refresh)

Usage:
  epicac serve --token-file PATH [--listen HOST:PORT] [--assume ROLE_ARN]... [session flags]
               [--route NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…]]... [--no-default-route]
               [--probe-listen IP:PORT] [--refresh-before S] [the credentials command's flags]

  --listen HOST:PORT  Loopback only: 127.0.0.0/8, [::1] or localhost (default 127.0.0.1:9911).
  --probe-listen IP:PORT
                      Also serve /healthz, /readyz and /metrics, and nothing else, here: the
                      kubelet's httpGet probes and Prometheus reach the pod's IP, not its
                      loopback (0.0.0.0:9912, say). Its /readyz names routes, never causes.
  --token-file PATH   The token every credentials request must send as its Authorization
                      header. A file that holds one is used as it is (from a Kubernetes Secret);
                      a missing one gets a random 256-bit token, written mode ${
    TOKEN_FILE_MODE.toString(8)
  }, readable by the
                      pod's fsGroup. Applications set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to it.
  --route NAME=…      Also serve GET /v1/credentials/NAME: these --assume hops, with these session
                      options over the command's: external-id=, session-name=, duration=,
                      source-identity=, tag=KEY=VALUE (repeatable; replaces the command's tags).
                      NAME: 1 to 64 letters, digits, - and _.
  --no-default-route  Serve only the named routes, not GET /v1/credentials.
  --refresh-before S  Refresh each route this long before its credentials expire (default ${
    DEFAULTS.refreshBeforeMs / 1000
  }).

GET /v1/credentials serves the chain of the command's own flags (no --assume: the source's own
credentials). Answers: 200 with {"AccessKeyId","SecretAccessKey","Token","Expiration",
"AccountId"}, or plain text: 401 without a token, 403 with a wrong one, 503 without valid
credentials, 404 and 405 for other paths and methods. GET /healthz, /readyz (every route holds
valid credentials) and /metrics (Prometheus) need no token. One JSON line per event on stderr;
request lines with --debug. SIGTERM or SIGINT: stop, exit 0.

Exit codes: 0 after SIGTERM or SIGINT; 2 when it cannot start as set up.
`;

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const values = parseFlags(argv, FLAGS);
  if (values.help) return { output: HELP, credentials: false, exitCode: EXIT_OK };
  const address = parseListen(values.listen);
  const probeAddress = values["probe-listen"] === undefined
    ? undefined
    : parseProbeListen(values["probe-listen"]);
  if (probeAddress && probeAddress.port !== 0 && probeAddress.port === address.port) {
    throw new UsageError("--probe-listen needs a port of its own, not --listen's");
  }
  const tokenFile = values["token-file"];
  if (!tokenFile) throw new UsageError("serve needs --token-file PATH");
  const routes = buildRoutes(
    chainInput(values, env),
    values.route ?? [],
    !values["no-default-route"],
    FLAG_NAMES,
  );
  const refreshBeforeMs = limited(
    "refreshBeforeMs",
    seconds("refreshBeforeMs", values["refresh-before"]),
    FLAG_NAMES,
  );
  for (const route of routes) {
    checkRefreshWindow(
      route.chain,
      refreshBeforeMs,
      { duration: "--duration", refreshBefore: "--refresh-before", seconds: true },
      "every refresh would already be due",
    );
  }
  const plans: Plan[] = routes.map((route) => setUp(() => planChain(route.chain)));
  prepareRequests(values.debug);
  const eventLog = startEventLog();
  const token = await setUpAsync(() => loadServeToken(tokenFile));

  const refreshers = routes.map((route, i) =>
    new RouteCredentials(route, plans[i], refreshBeforeMs, {
      refreshed: (_route, c) =>
        logEvent("refreshed", {
          route: label(refreshers[i]),
          expiration: c.expiration?.toISOString(),
          accountId: c.accountId,
        }),
      failed: (_r, message, retryInMs) =>
        logEvent("refresh failed", {
          route: label(refreshers[i]),
          error: message,
          retryInMs: Math.round(retryInMs),
        }),
    })
  );
  const metrics = new Metrics(refreshers, () => eventLog.dropped);
  const handlerOptions = {
    routes: refreshers,
    token,
    metrics,
    answered: debugEnabled()
      ? (request: HttpRequest, status: number) =>
        logEvent("request", { method: request.method, path: request.path.split("?")[0], status })
      : undefined,
  };
  const server = setUp(() => listen(address, createHandler(handlerOptions), SERVE_LIMITS));
  const probes = probeAddress &&
    setUp(() =>
      listen(probeAddress, createHandler({ ...handlerOptions, probesOnly: true }), PROBE_LIMITS)
    );
  logEvent("started", {
    listen: shown(address, server.port),
    ...(probes ? { probeListen: shown(probeAddress, probes.port) } : {}),
    routes: routes.map((r) => r.path),
    tokenFile,
    tokenGenerated: token.generated,
  });
  for (const refresher of refreshers) refresher.start();

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logEvent("stopping", { signal });
      for (const refresher of refreshers) refresher.stop();
      void Promise.all([server.stop(STOP_GRACE_MS), probes?.stop(STOP_GRACE_MS)])
        .then(() => eventLog.flush(LOG_FLUSH_MS))
        .then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return { output: "", credentials: false, exitCode: EXIT_OK };
}

/** HOST:PORT as logged, an IPv6 host in brackets. */
function shown(address: ListenAddress, port: number): string {
  return `${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${port}`;
}

/** A failure to start as set up is exit 2 (a usage error stays one). */
function setUp<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw asSetupError(error);
  }
}

async function setUpAsync<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asSetupError(error);
  }
}

function asSetupError(error: unknown): unknown {
  if (error instanceof UsageError || !(error instanceof EpicacError)) {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      return new SetupError(
        `cannot listen: ${code}`,
        "pick another --listen port, free on the pod's loopback",
      );
    }
    return error;
  }
  return new SetupError(error.message, error.hint);
}
