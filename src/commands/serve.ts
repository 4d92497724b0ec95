// epicac serve: a sidecar that serves the chained credentials on the pod's loopback, in the EKS
// Pod Identity agent's own protocol, which every AWS SDK reads without a shell. Its flags, its
// --help, its run: start, refresh in the background, answer until SIGTERM or SIGINT.

import type { Env } from "../env.ts";
import { EXIT_OK, UsageError } from "../errors.ts";
import { debugEnabled, logEvent } from "../log.ts";
import { REFRESH_BEFORE } from "../inputs/chain.ts";
import { onOff, text } from "../inputs/input.ts";
import { checkRefreshWindow } from "../options.ts";
import { type Plan, planChain } from "../pipeline.ts";
import { SYSTEM_CLOCK } from "../refreshing.ts";
import { CHAIN_FLAGS, chainSections } from "../cli/chain.ts";
import { parseCommandLine } from "../cli/flags.ts";
import { prepareRequests } from "../cli/run.ts";
import { ServeToken, TOKEN_FILE_MODE, TOKEN_GRACE } from "../serve/auth-token.ts";
import { startEventLog } from "../serve/event-log.ts";
import { createHandler } from "../serve/handler.ts";
import { LISTEN, PROBE_LISTEN, shown } from "../serve/listen.ts";
import { label, Metrics } from "../serve/metrics.ts";
import { RouteCredentials } from "../serve/refresher.ts";
import { PROBE_LIMITS, SERVE_LIMITS } from "../serve/limits.ts";
import { RefusalLog } from "../serve/refusals.ts";
import { buildRoutes, ROUTE } from "../serve/routes.ts";
import { listen } from "../serve/server.ts";
import type { HttpRequest } from "../serve/http1.ts";
import type { CommandResult } from "./command.ts";
import { setUp } from "./set-up.ts";
import { untilStopped } from "./until-stopped.ts";

const TOKEN_FILE = text({
  flag: "token-file",
  placeholder: "PATH",
  form: "a file path",
  valid: (path) => path !== "",
  help: "Required. The token every credentials request must send as its Authorization " +
    "header. A file that holds one is used as it is (from a Kubernetes Secret); a missing one " +
    `gets a random 256-bit token, written mode ${TOKEN_FILE_MODE.toString(8).padStart(4, "0")}, ` +
    "readable by the pod's fsGroup. Applications set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to it.",
});
const NO_DEFAULT_ROUTE = onOff({
  flag: "no-default-route",
  help: "Serve only the named routes, not GET /v1/credentials.",
});

const { cacheDir: _noCache, ...SHARED } = CHAIN_FLAGS;
export const INPUTS = {
  ...SHARED,
  listen: LISTEN,
  probeListen: PROBE_LISTEN,
  tokenFile: TOKEN_FILE,
  tokenGraceMs: TOKEN_GRACE,
  route: ROUTE,
  noDefaultRoute: NO_DEFAULT_ROUTE,
};

/** Refused requests are logged as a count, at most this often. */
const REFUSALS_LOGGED_EVERY_MS = 10_000;
/** What to check when --listen or --probe-listen cannot be bound. */
const LISTEN_HINT = "pick another --listen port, free on the pod's loopback";

export async function help(): Promise<string> {
  const { helpText } = await import("../cli/help.ts");
  return helpText({
    summary: `epicac serve: serve this pod's chained credentials on its loopback, in the EKS Pod
Identity agent's protocol, to every AWS SDK of the pod (no shell, no process per refresh)`,
    usage: [
      "epicac serve --token-file PATH [--listen HOST:PORT] [--assume ROLE_ARN]... [session flags]",
      "             [--route NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…]]... [--no-default-route]",
      "             [--probe-listen IP:PORT] [--refresh-before S] [the credentials command's flags]",
    ],
    sections: [
      [
        "Serving",
        [LISTEN, PROBE_LISTEN, TOKEN_FILE, TOKEN_GRACE, ROUTE, NO_DEFAULT_ROUTE, REFRESH_BEFORE],
      ],
      ...chainSections(false),
    ],
    notes:
      `GET /v1/credentials serves the chain of the command's own flags (no --assume: the source's own
credentials). Answers: 200 with {"AccessKeyId","SecretAccessKey","Token","Expiration",
"AccountId"}, or plain text: 401 without a token, 403 with a wrong one, 503 without valid
credentials, 404 and 405 for other paths and methods. GET /healthz, /readyz (every route holds
valid credentials) and /metrics (Prometheus) need no token. One JSON line per event on stderr;
request lines with --debug. SIGTERM or SIGINT: stop, exit 0 (a second one: at once, 143 or
130). SIGHUP: read the token file now. SIGUSR1, SIGUSR2 and SIGALRM are ignored.

Exit codes: 0 after SIGTERM or SIGINT; 2 when it cannot start as set up.
`,
  });
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const values = parseCommandLine(argv, INPUTS);
  if (values.help) return { output: await help(), credentials: false, exitCode: EXIT_OK };
  const address = values.listen;
  const probeAddress = values.probeListen;
  if (probeAddress && probeAddress.port !== 0 && probeAddress.port === address.port) {
    throw new UsageError("--probe-listen needs a port of its own, not --listen's");
  }
  const tokenFile = values.tokenFile;
  if (!tokenFile) throw new UsageError("serve needs --token-file PATH");
  const routes = buildRoutes(values, env, values.route ?? [], !values.noDefaultRoute);
  const refreshBeforeMs = values.refreshBeforeMs;
  for (const route of routes) {
    checkRefreshWindow(route.chain, refreshBeforeMs, "every refresh would already be due");
  }
  const plans: Plan[] = routes.map((route) => setUp(() => planChain(route.chain), LISTEN_HINT));
  prepareRequests(values.debug);
  const eventLog = startEventLog();
  const token = setUp(() =>
    ServeToken.load(tokenFile, values.tokenGraceMs, {
      rotated: (graceEndsAt) =>
        logEvent("token rotated", { tokenFile, previousAcceptedUntil: graceEndsAt.toISOString() }),
      refused: (problem) => logEvent("token file refused", { tokenFile, problem }),
    }), LISTEN_HINT);

  const refreshers: RouteCredentials[] = routes.map((route, i) => {
    return new RouteCredentials(route, plans[i], refreshBeforeMs, {
      refreshed: (c, shortLived) =>
        logEvent(shortLived ? "refreshed short-lived credentials" : "refreshed", {
          route: label(refreshers[i]),
          expiration: c.expiration?.toISOString(),
          accountId: c.accountId,
          ...(shortLived ? { refreshBeforeSeconds: refreshBeforeMs / 1000 } : {}),
        }),
      failed: (message, retryInMs) =>
        logEvent("refresh failed", {
          route: label(refreshers[i]),
          error: message,
          retryInMs: Math.round(retryInMs),
        }),
    });
  });
  const metrics = new Metrics(refreshers, () => eventLog.dropped);
  const refusals = new RefusalLog(
    REFUSALS_LOGGED_EVERY_MS,
    (counts) => logEvent("requests refused", counts),
    SYSTEM_CLOCK,
  );
  const debug = debugEnabled();
  const handlerOptions = {
    routes: refreshers,
    token,
    metrics,
    answered: (request: HttpRequest, target: string, status: number) => {
      if (status === 401 || status === 403) refusals.count(status);
      if (debug) logEvent("request", { method: request.method, target, status });
    },
  };
  const server = setUp(
    () => listen(address, createHandler(handlerOptions), SERVE_LIMITS),
    LISTEN_HINT,
  );
  const probes = probeAddress &&
    setUp(
      () =>
        listen(probeAddress, createHandler({ ...handlerOptions, probesOnly: true }), PROBE_LIMITS),
      LISTEN_HINT,
    );
  logEvent("started", {
    listen: shown(address, server.port),
    ...(probes && probeAddress ? { probeListen: shown(probeAddress, probes.port) } : {}),
    routes: routes.map((r) => r.path),
    tokenFile,
    tokenGenerated: token.generated,
  });
  for (const refresher of refreshers) refresher.start();

  await untilStopped({
    stop: (graceMs) => {
      refusals.flush();
      for (const refresher of refreshers) refresher.stop();
      return Promise.all([server.stop(graceMs), probes?.stop(graceMs)]);
    },
    hangUp: () => token.look(),
    eventLog,
  });
  return { output: "", credentials: false, exitCode: EXIT_OK };
}
