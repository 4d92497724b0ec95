// epicac node end to end, as a process on every native target (and a smoke run of the arm64
// binary under qemu), in the test run's loopback-only network namespace with the agent's
// addresses on `lo`: the agent emulator on 169.254.170.23:80 knows each pod's token and gives
// each pod a session of moto's role `src` of its own; moto, behind a counting proxy, is STS; each
// pod asks from an address of its own. What a pod gets is checked at STS's door: which keys
// signed each AssumeRole, for which role, under which session name.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { runEpicac, runnableTargets, type Target } from "../support/epicac.ts";
import { assertNoSecrets } from "../support/assertions.ts";
import { kubeletToken, type PodIdentity } from "../support/jwt.ts";
import { AGENT_IPV6, agentAddressesSkip, closedPort } from "../support/network.ts";
import { ask, NODE_NAME, type NodePod, startTestNode, type TestNode } from "../support/node-pod.ts";
import { WallClock } from "../support/wall-clock.ts";
import { flood, hold } from "../support/misbehaving.ts";
import { rssPeak } from "../support/proc.ts";
import { NODE_LIMITS } from "../../src/serve/limits.ts";

const STOP_WITHIN_MS = 5000;
/**
 * How much further an attack may grow epicac node's resident memory once earlier ones grew it:
 * the runtimes collect lazily, and from run to run on two shared cores the figure moves by up to
 * 26 MiB; a server that kept reading a flood it does not answer grows by 130 MiB and more.
 */
const MAX_GROWTH_MIB = 48;

/**
 * For cases whose pods all ask at once: moto answers one request at a time, and an STS attempt
 * that outlives the default 1 s timeout is retried, a second call for the same chain.
 */
const SLOW_STS = ["--timeout", "10", "--deadline", "60"];

let node: TestNode;
const skip = agentAddressesSkip();

before(async () => {
  if (!skip) node = await startTestNode("node");
});
after(() => node?.close());

/** The routes of most cases: prod for shop/app and every account of bank, audit for audit/reader. */
function routes() {
  return {
    prod: { assume: [node.moto.roleArn("dest")], allow: ["shop/app", "bank/*"] },
    audit: { assume: [node.moto.roleArn("third")], allow: ["audit/reader"] },
  };
}

const credentialsOf = (body: string) =>
  JSON.parse(body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };

const assumed = (from: number) =>
  node.sts.calls.slice(from).filter((c) => c.action === "AssumeRole");

/** Every secret the node's pods hold or were given, for the no-leak checks. */
function secretsOf(pods: NodePod[], answers: string[] = []): string[] {
  return [
    ...pods.flatMap((p) => [p.token, p.source.SecretAccessKey, p.source.Token]),
    ...answers.filter((a) => a.startsWith("{")).flatMap((a) => {
      const c = credentialsOf(a);
      return [c.SecretAccessKey, c.Token];
    }),
  ];
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const answer = await fetch(url);
  return { status: answer.status, body: await answer.text() };
}

type Case = [string, (target: Target) => Promise<void>];

const cases: Case[] = [
  [
    "each pod gets its route's role assumed with its own credentials, named after it, once per pod and route",
    async (target) => {
      node.writeRoutes(routes());
      const identities: PodIdentity[] = [];
      for (const namespace of ["shop", "bank", "audit"]) {
        for (const serviceAccount of ["app", "reader"]) {
          for (let i = 0; i < 10; i++) {
            identities.push({ namespace, serviceAccount, pod: `${serviceAccount}-${i}` });
          }
        }
      }
      const pods = await node.pods(identities);
      // One address per pod, and new tokens from each: the agent checks each pod's token once.
      const running = await node.start(target, ["--debug", ...SLOW_STS]);
      const from = node.sts.calls.length;
      const asked = pods.flatMap((pod) =>
        ["prod", "audit"].flatMap((route) => [0, 1].map(() => ({ pod, route })))
      );
      const answers = await Promise.all(asked.map(({ pod, route }) => ask(pod, route)));
      const allowed = (pod: NodePod, route: string) =>
        route === "prod"
          ? (pod.namespace === "shop" && pod.serviceAccount === "app") || pod.namespace === "bank"
          : pod.namespace === "audit" && pod.serviceAccount === "reader";
      const keyOf = new Map<string, string>();
      asked.forEach(({ pod, route }, i) => {
        const answer = answers[i];
        const what = `${pod.namespace}/${pod.serviceAccount}/${pod.pod} on ${route}`;
        if (!allowed(pod, route)) {
          assert.equal(answer.status, 403, what);
          assert.match(answer.body, /^Access Denied/, what);
          return;
        }
        assert.equal(answer.status, 200, `${what}: ${answer.body}`);
        const key = credentialsOf(answer.body).AccessKeyId;
        const previous = keyOf.get(`${pod.pod}.${pod.namespace}.${route}`);
        if (previous) assert.equal(key, previous, `${what}: both requests get one chain`);
        keyOf.set(`${pod.pod}.${pod.namespace}.${route}`, key);
      });
      assert.equal(
        new Set(keyOf.values()).size,
        keyOf.size,
        "no two pods, no two routes share credentials",
      );
      // At STS: one AssumeRole per allowed pod and route, signed with that pod's own keys.
      const calls = assumed(from);
      const grants = asked.filter(({ pod, route }, i) => i % 2 === 0 && allowed(pod, route));
      assert.equal(calls.length, grants.length);
      for (const { pod, route } of grants) {
        const call = calls.find((c) => c.accessKeyId === pod.source.AccessKeyId);
        assert.ok(call, `${pod.namespace}/${pod.pod}: its chain signed with its own keys`);
        assert.equal(call.roleArn, node.moto.roleArn(route === "prod" ? "dest" : "third"));
        assert.match(
          String(call.sessionName),
          new RegExp(`^${pod.namespace}\\.${pod.serviceAccount}\\.${pod.pod}-[0-9a-f]{8}$`),
        );
        assert.equal(call.status, 200);
      }
      await running.stop();
      const lines = running.events().filter((e) => e.event === "request");
      assert.equal(lines.length, asked.length, "one --debug line per request");
      assert.ok(lines.every((l) => typeof l.namespace !== "string" || l.pod !== undefined));
      assertNoSecrets(running.stderr(), secretsOf(pods, answers.map((a) => a.body)));
    },
  ],

  [
    "100 pods asking at once, three times each, make exactly one STS chain per pod's credentials",
    async (target) => {
      node.writeRoutes(routes());
      const pods = await node.pods(
        Array.from({ length: 100 }, (_, i) => ({
          namespace: "bank",
          serviceAccount: "app",
          pod: `teller-${i}`,
        })),
      );
      // One service account's 300 requests at once: over its default request rate.
      const running = await node.start(target, [
        ...["--account-rate", "1000:1000"],
        ...SLOW_STS,
      ]);
      const from = node.sts.calls.length;
      const answers = await Promise.all(
        pods.flatMap((pod) => [0, 1, 2].map(() => ask(pod, "prod"))),
      );
      const refused = answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body}`);
      assert.deepEqual(refused, [], "every pod is answered");
      const calls = assumed(from);
      assert.equal(calls.length, 100);
      assert.deepEqual(
        calls.map((c) => c.accessKeyId).sort(),
        pods.map((p) => p.source.AccessKeyId).sort(),
        "one chain per pod, each signed with that pod's own keys",
      );
      await running.stop();
    },
  ],

  [
    "SIGTERM with requests in flight: they are answered, then it exits 0 within 5 s",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "late" }]);
      const running = await node.start(target, ["--timeout", "4"]);
      node.sts.delayMs = 1500;
      const inFlight = Promise.all([0, 1, 2].map(() => ask(pod, "prod")));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = running.stop();
      const answers = await inFlight.finally(() => delete node.sts.delayMs);
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
      const { code, ms } = await stopped;
      assert.equal(code, 0);
      assert.ok(ms < STOP_WITHIN_MS, `stopped in ${ms} ms`);
    },
  ],

  [
    "tokens the node cannot use are refused before the agent is asked; an unknown route is refused like a denied one",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "web" }]);
      const running = await node.start(target);
      const agentBefore = node.agent.requests.length;
      const otherNode = kubeletToken({ ...pod, node: "node-b" });
      const expired = kubeletToken(pod, { exp: Math.floor(Date.now() / 1000) - 60 });
      for (
        const [token, message] of [
          [otherNode, /node/],
          [expired, /expired/],
          ["not-a-token", /./],
          ["", /./],
        ] as const
      ) {
        const answer = await ask(pod, "prod", { token });
        assert.equal(answer.status, 400, `${answer.body}`);
        assert.match(answer.body, message);
      }
      const wrongHost = await ask(pod, "prod", { host: "evil.example:90" });
      assert.equal(wrongHost.status, 403);
      const proxied = await ask(pod, "prod", {
        path: "http://169.254.170.23:90/v1/credentials/prod",
      });
      assert.equal(proxied.status, 403);
      assert.equal(node.agent.requests.length, agentBefore, "the agent was never asked");
      // An unknown route and a route that does not allow the pod: the same refusal, and neither
      // the agent nor STS is asked.
      const stsBefore = node.sts.calls.length;
      const unknown = await ask(pod, "nope");
      const denied = await ask(pod, "audit");
      assert.equal(unknown.status, 403);
      assert.equal(denied.status, 403);
      assert.equal(node.agent.requests.length, agentBefore, "the agent was never asked");
      assert.equal(node.sts.calls.length, stsBefore, "nor STS");
      assert.equal(
        unknown.body.replace("nope", "ROUTE"),
        denied.body.replace("audit", "ROUTE"),
        "routes cannot be listed by asking",
      );
      assert.equal((await ask(pod, "prod")).status, 200);
      await running.stop();
      assertNoSecrets(running.stderr(), secretsOf([pod]));
    },
  ],

  [
    "the agent's verdict rules: a token it refuses is refused, within a minute of the agent changing its mind",
    async (target) => {
      node.writeRoutes(routes());
      const clock = new WallClock();
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "gone" }]);
      // A well-formed token the agent never issued: the agent's own 403, passed on.
      const forged = kubeletToken({ ...pod, node: NODE_NAME, pod: "forged" });
      const running = await node.start(target, [], clock.env());
      try {
        const stsBefore = node.sts.calls.length;
        const refused = await ask(pod, "prod", { token: forged });
        assert.equal(refused.status, 403);
        assert.equal(node.sts.calls.length, stsBefore, "no STS call for a forged token");
        assert.equal((await ask(pod, "prod")).status, 200);
        node.known.delete(pod.token); // the pod was deleted: the agent refuses its token now
        assert.equal((await ask(pod, "prod")).status, 200, "remembered for up to a minute");
        clock.jump(61);
        const after = await ask(pod, "prod");
        assert.equal(after.status, 403, after.body);
      } finally {
        await running.stop();
        clock.close();
      }
    },
  ],

  [
    "an address that presents new token after new token gets 429 past its budget, and the agent is not asked",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "minter" }]);
      const running = await node.start(target, ["--address-new-tokens", "1:3"]);
      const agentBefore = node.agent.requests.length;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const minted = kubeletToken({ ...pod, node: NODE_NAME, pod: `minted-${i}` });
        statuses.push((await ask(pod, "prod", { token: minted })).status);
      }
      assert.deepEqual(statuses.slice(0, 3), [403, 403, 403], "the agent refused the first three");
      assert.ok(statuses.slice(3).every((s) => s === 429), `then 429: ${statuses}`);
      assert.ok(node.agent.requests.length - agentBefore <= 4, "the agent was asked for 3 or 4");
      const [other] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "other" }]);
      assert.equal((await ask(other, "prod")).status, 200, "another address is unaffected");
      await running.stop();
    },
  ],

  [
    "the routes file: a change is picked up and the changed route's chains forgotten; a broken one keeps the routes",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "reload" }]);
      const running = await node.start(target);
      const first = credentialsOf((await ask(pod, "prod")).body).AccessKeyId;
      node.writeRoutes({
        ...routes(),
        prod: { ...routes().prod, durationSeconds: 1800 },
        extra: { assume: [node.moto.roleArn("third")], allow: ["shop/app"] },
      });
      running.signal("SIGHUP");
      await running.waitForEvent("routes reloaded");
      const second = await ask(pod, "prod");
      assert.notEqual(credentialsOf(second.body).AccessKeyId, first, "a new chain for prod");
      assert.equal((await ask(pod, "extra")).status, 200);
      writeFileSync(node.routesFile, "{ not json");
      running.signal("SIGHUP");
      const refused = await running.waitForEvent("routes refused");
      assert.match(String(refused.error), /not JSON/);
      assert.equal((await ask(pod, "extra")).status, 200, "the previous routes are kept");
      const metrics = await get(running.probeUrl("/metrics"));
      assert.match(metrics.body, /^epicac_route_reload_failures_total 1$/m);
      await running.stop();
    },
  ],

  [
    "faults: the agent down, slow, limiting, failing or garbled; STS throttling or down; the node answers again after",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "bank", serviceAccount: "app", pod: "faults" }]);
      const down = await node.start(target, [
        "--agent-uri",
        `http://127.0.0.1:${await closedPort()}/v1/credentials`,
      ]);
      assert.equal((await ask(pod, "prod")).status, 502);
      await down.stop();
      const slow = await node.start(target, [
        "--agent-uri",
        "http://169.254.170.23/slow/3000",
        "--timeout",
        "0.5",
      ]);
      assert.equal((await ask(pod, "prod")).status, 504);
      await slow.stop();
      // The agent's own refusals go back as they are; an answer that is not credentials is 502.
      for (const [path, status] of [["status/429", 429], ["status/500", 500], ["malformed", 502]]) {
        const agent = await node.start(target, ["--agent-uri", `http://169.254.170.23/${path}`]);
        const answer = await ask(pod, "prod");
        assert.equal(answer.status, status, `${path}: ${answer.body}`);
        await agent.stop();
        assertNoSecrets(answer.body + agent.stderr(), secretsOf([pod]));
      }

      // No retries: STS's refusal is the answer at once, not the deadline's.
      const running = await node.start(target, ["--retries", "0"]);
      node.sts.refuse = { status: 400, code: "Throttling" };
      try {
        const throttled = await ask(pod, "prod");
        assert.equal(throttled.status, 429, throttled.body);
        node.sts.refuse = { status: 503, code: "ServiceUnavailable" };
        const unavailable = await ask(pod, "prod");
        assert.equal(unavailable.status, 502, unavailable.body);
        assert.match(unavailable.body, /STS|sts:AssumeRole/);
      } finally {
        delete node.sts.refuse;
      }
      assert.equal((await ask(pod, "prod")).status, 200);
      assert.equal((await get(running.probeUrl("/healthz"))).status, 200);
      const stopped = await running.stop();
      assert.equal(stopped.code, 0);
      assert.ok(stopped.ms < STOP_WITHIN_MS, `stopped in ${stopped.ms} ms`);
      assert.equal(stopped.stdout, "");
      assertNoSecrets(running.stderr(), secretsOf([pod]));
    },
  ],

  [
    "a second node on the same address is not ready and says why; an address that comes later is bound",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "twice" }]);
      spawnSync("ip", ["-6", "addr", "del", `${AGENT_IPV6}/128`, "dev", "lo"]);
      const first = await node.start(
        target,
        [
          "--listen",
          "169.254.170.23:90",
          "--listen",
          `[${AGENT_IPV6}]:90`,
        ],
        {},
        { listening: false },
      );
      try {
        await first.waitForEvent("address not there yet");
        const waiting = await get(first.probeUrl("/readyz"));
        assert.equal(waiting.status, 503);
        assert.match(waiting.body, /fd00:ec2::23\]:90 not on any interface yet/);
        assert.equal((await ask(pod, "prod")).status, 200, "the other address serves meanwhile");
        // The init container adds it.
        assert.equal(agentAddressesSkip(), undefined, "the agent's addresses are on lo again");
        await first.waitForEvent("listening", (e) => String(e.address).includes(AGENT_IPV6));
        assert.equal((await get(first.probeUrl("/readyz"))).status, 200);
        assert.equal((await ask(pod, "prod", { at: AGENT_IPV6 })).status, 200);

        const second = await node.start(target, [], {}, { listening: false });
        await second.waitForEvent("address in use");
        const ready = await get(second.probeUrl("/readyz"));
        assert.equal(ready.status, 503);
        assert.match(ready.body, /169\.254\.170\.23:90 in use by another process/);
        assert.match(
          (await get(second.probeUrl("/metrics"))).body,
          /^epicac_address_in_use_total [1-9]/m,
        );
        await second.stop();
        assert.equal((await ask(pod, "prod")).status, 200, "the first one still serves");
      } finally {
        agentAddressesSkip();
        await first.stop();
      }
    },
  ],

  [
    "a pod that floods and holds connections grows memory by a bounded amount and starves no other pod",
    async (target) => {
      node.writeRoutes(routes());
      const [attacker, victim] = await node.pods([
        { namespace: "shop", serviceAccount: "app", pod: "attacker" },
        { namespace: "bank", serviceAccount: "app", pod: "victim" },
      ]);
      const running = await node.start(target);
      assert.equal((await ask(attacker, "prod")).status, 200);
      // 16 MB of pipelined requests with a valid token, never read; and 4 times the per-address
      // connection cap, reopened as fast as they are closed. The victim is answered meanwhile.
      const attack = async () => {
        const flooding = flood("169.254.170.23", 90, "/v1/credentials/prod", {
          authorization: attacker.token,
          holdMs: 4000,
        });
        const holding = hold("169.254.170.23", 90, 4 * NODE_LIMITS.maxPerAddress!);
        try {
          await flooding.waitFor("connected");
          for (let i = 0; i < 5; i++) {
            const started = performance.now();
            const answer = await ask(victim, "prod");
            const ms = performance.now() - started;
            assert.equal(answer.status, 200);
            assert.ok(ms < NODE_LIMITS.headerTimeoutMs, `the victim waited ${ms} ms`);
            await new Promise((resolve) => setTimeout(resolve, 400));
          }
          await flooding.exited;
        } finally {
          await holding.stop();
          await flooding.stop();
        }
      };
      // The first attacks grow the heap to what serving such load needs (the runtimes collect
      // lazily); attacks after those may not grow it further by more than the bound.
      await attack();
      await attack();
      const { baseline, peak } = await rssPeak(running.pid, async () => {
        await attack();
        await attack();
      });
      const growthMiB = (peak - baseline) / 1024;
      assert.ok(growthMiB <= MAX_GROWTH_MIB, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
      const stopped = await running.stop();
      assert.equal(stopped.code, 0);
      assert.ok(stopped.ms < STOP_WITHIN_MS, `stopped in ${stopped.ms} ms`);
    },
  ],

  [
    "doctor in an application pod checks epicac node: a route that answers passes, one that refuses the pod names the fix",
    async (target) => {
      node.writeRoutes(routes());
      const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "doctor" }]);
      const running = await node.start(target);
      const doctor = (route: string) =>
        runEpicac(target, ["doctor", "--timeout", "5"], {
          env: {
            HOME: node.dir,
            AWS_REGION: node.moto.region,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://169.254.170.23:90/v1/credentials/${route}`,
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile,
            AWS_ENDPOINT_URL_STS: node.sts.endpoint,
            AWS_EC2_METADATA_DISABLED: "true",
          },
        });
      const good = await doctor("prod");
      assert.match(good.stdout, /node\b.*epicac node at 169\.254\.170\.23:90, route prod answers/);
      const refused = await doctor("audit");
      assert.notEqual(refused.code, 0);
      assert.match(refused.stdout, /add "shop\/app" to routes\.audit\.allow/);
      for (const result of [good, refused]) {
        assertNoSecrets(result.stdout + result.stderr, secretsOf([pod]));
      }
      await running.stop();
    },
  ],

  [
    "config --trust-policies writes, from the routes file, one trust policy per role of every route",
    async (target) => {
      node.writeRoutes(routes());
      const source = `arn:aws:iam::${node.moto.accountId}:role/src`;
      const cluster = `arn:aws:eks:${node.moto.region}:${node.moto.accountId}:cluster/c`;
      const written = await runEpicac(target, [
        "config",
        "--trust-policies",
        "--routes",
        node.routesFile,
        "--source-role",
        source,
        "--cluster-arn",
        cluster,
      ], { env: { HOME: node.dir } });
      assert.equal(written.code, 0, written.stderr);
      assert.equal(written.stderr, "");
      const policies = JSON.parse(written.stdout);
      assert.deepEqual(
        Object.keys(policies).sort(),
        [node.moto.roleArn("dest"), node.moto.roleArn("third")].sort(),
      );
      const trusted = JSON.stringify(policies[node.moto.roleArn("dest")]);
      assert.match(trusted, new RegExp(source.replaceAll("/", "\\/")));
      assert.match(trusted, /sts:TagSession/);
    },
  ],

  [
    "nothing is written to disk; metrics name routes and statuses, never a pod's secret",
    async (target) => {
      node.writeRoutes(routes());
      const pods = await node.pods([
        { namespace: "shop", serviceAccount: "app", pod: "quiet-1" },
        { namespace: "audit", serviceAccount: "reader", pod: "quiet-2" },
      ]);
      const before = readdirSync(node.dir).sort();
      const running = await node.start(target, ["--debug"]);
      const answers = [
        await ask(pods[0], "prod"),
        await ask(pods[1], "audit"),
        await ask(pods[1], "prod"),
      ];
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 403]);
      const metrics = (await get(running.probeUrl("/metrics"))).body;
      assert.match(metrics, /^epicac_requests_total\{route="prod",status="200"\} 1$/m);
      assert.match(metrics, /^epicac_requests_total\{route="prod",status="403"\} 1$/m);
      await running.stop();
      assert.deepEqual(readdirSync(node.dir).sort(), before, "no file in HOME");
      const secrets = secretsOf(pods, answers.map((a) => a.body));
      assertNoSecrets(metrics, secrets);
      assertNoSecrets(running.stderr(), secrets);
    },
  ],
];

const smoke: Case = [
  "starts, answers a pod and stops on SIGTERM",
  async (target) => {
    node.writeRoutes(routes());
    const [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "smoke" }]);
    const running = await node.start(target);
    const answer = await ask(pod, "prod");
    assert.equal(answer.status, 200, answer.body);
    assert.equal((await running.stop()).code, 0);
  },
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of target.emulated ? [smoke] : cases) {
    test(`${target.name}: node ${name}`, { skip: skip ?? target.skip }, async () => {
      try {
        await fn(target);
      } finally {
        await node.stopNodes();
      }
    });
  }
}
