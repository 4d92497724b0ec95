// epicac node: one credentials proxy per node, for every pod of it, in the Pod Identity agent's
// own protocol, on the agent's link-local address and a port of its own. Each caller's own Pod
// Identity token goes to the real agent, whose answer (that pod's credentials) signs the chain to
// the route's roles. Its flags, its --help, its run: load the routes, bind every address (trying
// again while one is not there yet, or is taken), answer until SIGTERM or SIGINT.

import type { Env } from "../env.ts";
import { EXIT_OK, UsageError } from "../errors.ts";
import { DEBUG, REFRESH_BEFORE, REGION, RETRIES, STS_ENDPOINT, TIMEOUT } from "../inputs/chain.ts";
import { CHAIN_INPUTS, DEADLINE } from "../inputs/chain.ts";
import { fromEnvironment, MODULE, readValues } from "../inputs/input.ts";
import { debugEnabled, logEvent } from "../log.ts";
import { SYSTEM_CLOCK } from "../refreshing.ts";
import { resolveStsTarget } from "../sts/settings.ts";
import { parseCommandLine } from "../cli/flags.ts";
import { prepareRequests } from "../cli/run.ts";
import { Agent } from "../node/agent.ts";
import { Binder } from "../node/binder.ts";
import { ChainedCache } from "../node/cache.ts";
import { createNodeHandler, type Outcome } from "../node/handler.ts";
import {
  ACCOUNT_CHAINS,
  ACCOUNT_ENTRIES,
  ACCOUNT_RATE,
  ADDRESS_NEW_TOKENS,
  ADDRESS_RATE,
  AGENT_URI,
  ISSUER,
  MAX_ENTRIES,
  NODE_LISTEN,
  NODE_NAME,
  NODE_PROBE_LISTEN,
  ROUTES,
} from "../node/inputs.ts";
import { IssuerKeys } from "../node/issuer.ts";
import { Buckets } from "../node/limiter.ts";
import { NodeMetrics } from "../node/metrics.ts";
import { createProbeHandler } from "../node/probes.ts";
import { readRoutes, WatchedRoutes } from "../node/routes-watch.ts";
import { startEventLog } from "../serve/event-log.ts";
import { shown } from "../serve/listen.ts";
import { NODE_LIMITS, PROBE_LIMITS } from "../serve/limits.ts";
import { listen } from "../serve/server.ts";
import type { CommandResult } from "./command.ts";
import { setUp, setUpAsync } from "./set-up.ts";
import { untilStopped } from "./until-stopped.ts";

export const INPUTS = {
  routes: ROUTES,
  listen: NODE_LISTEN,
  probeListen: NODE_PROBE_LISTEN,
  agentUri: AGENT_URI,
  nodeName: NODE_NAME,
  issuer: ISSUER,
  maxEntries: MAX_ENTRIES,
  accountEntries: ACCOUNT_ENTRIES,
  addressRate: ADDRESS_RATE,
  addressNewTokens: ADDRESS_NEW_TOKENS,
  accountRate: ACCOUNT_RATE,
  accountChains: ACCOUNT_CHAINS,
  refreshBeforeMs: REFRESH_BEFORE,
  region: REGION,
  stsEndpoint: STS_ENDPOINT,
  timeoutMs: TIMEOUT,
  retries: RETRIES,
  deadlineMs: DEADLINE,
  debug: DEBUG,
};

const LISTEN_HINT = "check --probe-listen: its port must be free on the node";

export async function help(): Promise<string> {
  const { helpText } = await import("../cli/help.ts");
  return helpText({
    summary: `epicac node: one credentials proxy per node, for every pod of it, in the EKS Pod
Identity agent's protocol; each pod's chain starts from that pod's own credentials`,
    usage: [
      "epicac node --routes PATH [--listen ADDRESS:PORT]... [--probe-listen IP:PORT]",
      "            [--agent-uri URI] [--node-name NAME] [--issuer URL] [limits] [reliability]",
    ],
    intro: `A pod asks GET /v1/credentials/ROUTE with its own Pod Identity token (its SDK sends
the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names). epicac checks the token's form and that
the route allows the pod's service account, asks the real agent for that pod's own credentials
with that token, and answers with the route's roles assumed with them, and only with them.`,
    sections: [
      ["Serving", [ROUTES, NODE_LISTEN, NODE_PROBE_LISTEN, AGENT_URI, NODE_NAME, ISSUER]],
      [
        "Limits (shared by every caller)",
        [
          MAX_ENTRIES,
          ACCOUNT_ENTRIES,
          ADDRESS_RATE,
          ADDRESS_NEW_TOKENS,
          ACCOUNT_RATE,
          ACCOUNT_CHAINS,
        ],
      ],
      ["Reliability", [REFRESH_BEFORE, TIMEOUT, RETRIES, DEADLINE, DEBUG, REGION, STS_ENDPOINT]],
    ],
    notes: `Answers are the agent's: 200 with its JSON; 400 for a malformed or expired token, or one
of another node; 403 for a wrong Host, an unknown route or a service account the route does not
allow (the same answer); 429 over a limit; the agent's own refusal as it is; 502 or 504 when the
agent or STS cannot answer. One JSON line per event on stderr; request lines with --debug.
SIGHUP: read the routes file now (it is also read again when it changes). SIGTERM or SIGINT:
stop, exit 0 (a second one: at once, 143 or 130). SIGUSR1, SIGUSR2 and SIGALRM are ignored.

Exit codes: 0 after SIGTERM or SIGINT; 2 when it cannot start as set up.
`,
  });
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const values = parseCommandLine(argv, INPUTS);
  if (values.help) return { output: await help(), credentials: false, exitCode: EXIT_OK };
  const path = values.routes;
  if (!path) throw new UsageError("node needs --routes PATH");
  const clock = SYSTEM_CLOCK;
  const addresses = values.listen ?? NODE_LISTEN.default!;
  const nodeName = values.nodeName ?? fromEnvironment(NODE_NAME, env);
  const sts = setUp(() => resolveStsTarget(values, env), LISTEN_HINT);
  // Every route's hops over the command's own reliability settings.
  const base = {
    ...readValues(CHAIN_INPUTS, {}, MODULE),
    timeoutMs: values.timeoutMs,
    retries: values.retries,
    deadlineMs: values.deadlineMs,
  };
  prepareRequests(values.debug);
  const eventLog = startEventLog();

  const agent = new Agent(
    new URL(values.agentUri),
    values.timeoutMs,
    values.maxEntries,
    values.addressNewTokens,
    clock,
  );
  const cache = new ChainedCache(
    {
      maxEntries: values.maxEntries,
      perSubjectEntries: values.accountEntries,
      perSubjectMisses: values.accountChains,
    },
    values.refreshBeforeMs,
    clock,
  );
  const metrics = new NodeMetrics(agent, cache);
  const routes = await setUpAsync(
    () =>
      WatchedRoutes.load(path, () => readRoutes(path, base, env, values.refreshBeforeMs), {
        reloaded: (next, changed) => {
          metrics.reloads++;
          for (const name of changed) {
            cache.dropRoute(name);
            if (!next.has(name)) metrics.dropRoute(name);
          }
          logEvent("routes reloaded", { routes: [...next.keys()], changed });
        },
        refused: (cause) => {
          metrics.reloadFailures++;
          logEvent("routes refused", { error: cause, kept: "the previous routes" });
        },
      }, clock),
    LISTEN_HINT,
  );
  const issuer = values.issuer === undefined
    ? undefined
    : new IssuerKeys(values.issuer, values.timeoutMs, clock);
  // Keys unavailable now are fetched again by a token that needs them, a minute later at most.
  await issuer?.fetchKeys().catch((error) =>
    logEvent("issuer keys unavailable", { issuer: values.issuer, error: String(error?.message) })
  );

  const debug = debugEnabled();
  const handle = createNodeHandler({
    routes: () => routes.routes,
    agent,
    cache,
    sts,
    nodeName,
    perSource: new Buckets(values.addressRate, values.maxEntries, clock),
    perSubject: new Buckets(values.accountRate, values.maxEntries, clock),
    verify: issuer && ((token) => issuer.verify(token)),
    metrics,
    answered: debug ? logRequest : undefined,
    clock,
  });
  const binders = addresses.map((address) =>
    new Binder(
      address,
      (request) => handle(request, { local: address.hostname, remote: request.remote ?? "" }),
      NODE_LIMITS,
    )
  );
  const probes = setUp(() =>
    listen(
      values.probeListen,
      createProbeHandler({
        state: () => binders.map((b) => b.state()),
        inUse: () => binders.reduce((n, b) => n + b.inUse, 0),
      }, metrics),
      PROBE_LIMITS,
    ), LISTEN_HINT);
  logEvent("started", {
    listen: addresses.map((address) => shown(address)),
    probeListen: shown(values.probeListen, probes.port),
    routes: [...routes.routes.keys()],
    nodeName: nodeName ?? null,
    issuer: values.issuer ?? null,
  });
  for (const binder of binders) setUp(() => binder.start(), LISTEN_HINT);

  await untilStopped({
    stop: (graceMs) => {
      routes.stop();
      return Promise.all([...binders.map((b) => b.stop(graceMs)), probes.stop(graceMs)]);
    },
    hangUp: () => void routes.look(),
    eventLog,
  });
  return { output: "", credentials: false, exitCode: EXIT_OK };
}

/** A --debug request line: who asked for what, and the answer; never the token. */
function logRequest({ status, route, claims, ms }: Outcome): void {
  logEvent("request", {
    route,
    status,
    ms: Math.round(ms),
    ...(claims
      ? { namespace: claims.namespace, serviceAccount: claims.serviceAccount, pod: claims.pod.name }
      : {}),
  });
}
