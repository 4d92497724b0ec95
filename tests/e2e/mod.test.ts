// src/mod.ts in process, as a Deno or Bun application uses it: the providers handed to an
// STSClient, which calls GetCallerIdentity through moto (signatures and permissions checked).
// And an application whose environment names a proxy, or turns certificate checks off: the
// module's requests never reach the proxy, and an untrusted certificate is still refused.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { Agent } from "../fakes/agent.ts";
import type { Moto } from "../support/moto.ts";
import { type Pod, startPod } from "../support/pod.ts";
import {
  type AwsCredentialIdentityProvider,
  EpicacError,
  fromChain,
  fromContainer,
} from "../../src/mod.ts";
import { fakeJwt } from "../support/jwt.ts";
import { ROOT, runProcess } from "../support/epicac.ts";
import { DENO_PERMISSIONS } from "../../scripts/deno-permissions.ts";

const APPLICATION_PERMISSIONS = DENO_PERMISSIONS.filter((flag) => flag !== "--allow-write");

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "bW9k" });
let pod: Pod;
let moto: Moto;
let agent: Agent;

before(async () => {
  pod = await startPod("mod", TOKEN);
  ({ moto, agent } = pod);
});

after(() => pod?.close());

/** The pod's variables, passed explicitly: the module reads no other environment. */
function env() {
  return {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
  };
}

async function whoAmI(credentials: AwsCredentialIdentityProvider): Promise<string> {
  const client = new STSClient({ region: moto.region, endpoint: moto.endpoint, credentials });
  return (await client.send(new GetCallerIdentityCommand({}))).Arn ?? "";
}

const agentRequests = () => agent.requests.filter((r) => r.path === "/v1/credentials").length;

test("fromContainer gives an STSClient the pod's own session (src)", async () => {
  assert.match(
    await whoAmI(fromContainer({ env: env() })),
    /^arn:aws:sts::\d{12}:assumed-role\/src\//,
  );
});

test("fromChain gives an STSClient the destination role's session", async () => {
  const provider = fromChain({
    assume: [moto.roleArn("dest")],
    sessionName: "in-process",
    env: env(),
  });
  assert.match(await whoAmI(provider), /^arn:aws:sts::\d{12}:assumed-role\/dest\/in-process$/);
});

test("fromChain follows two hops", async () => {
  const provider = fromChain({ assume: [moto.roleArn("dest"), moto.roleArn("third")], env: env() });
  assert.match(await whoAmI(provider), /assumed-role\/third\//);
});

test("a provider keeps its credentials until the refresh window, sharing one in-flight refresh", async () => {
  const provider = fromContainer({ env: env() });
  const before = agentRequests();
  const all = await Promise.all(Array.from({ length: 10 }, () => provider()));
  assert.equal(agentRequests() - before, 1, "ten concurrent callers, one fetch");
  assert.equal(new Set(all.map((c) => c.accessKeyId)).size, 1);
  await provider();
  assert.equal(agentRequests() - before, 1, "still fresh: no second fetch");
});

test("inside the refresh window a provider fetches again", async () => {
  // The served session lasts an hour; a two-hour window means it is always due.
  const provider = fromContainer({ env: env(), refreshBeforeMs: 2 * 3600_000 });
  const before = agentRequests();
  await provider();
  await provider();
  assert.equal(agentRequests() - before, 2);
});

test("a denied hop rejects with an EpicacError naming the role", async () => {
  const provider = fromChain({ assume: [moto.roleArn("forbidden")], env: env() });
  await assert.rejects(provider(), (error: unknown) => {
    assert.ok(error instanceof EpicacError);
    assert.match(error.message, /sts:AssumeRole of .*role\/forbidden was denied/);
    return true;
  });
});

test("bad options are refused when the provider is made, before any call", () => {
  assert.throws(() => fromChain({ assume: ["not-an-arn"], env: env() }), /IAM role ARN/);
  assert.throws(
    () => fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 7200, env: env() }),
    /caps a chained role session/,
  );
  assert.throws(
    () => fromChain({ assume: [], stsEndpoint: "http://sts.example.com", env: env() }),
    /https URL/,
  );
  // The default refresh window is 15 minutes (botocore's): a 900 s session would always be due.
  assert.throws(
    () => fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 900, env: env() }),
    /durationSeconds 900 leaves less than 30s above refreshBeforeMs 900000/,
  );
  fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 960, env: env() });
  assert.throws(() => fromChain({ assume: [], region: "us-east-1.evil", env: env() }), /region/);
});

// An application of its own, run by the runtime running this file, whose environment sends
// HTTP and HTTPS through a proxy (every spelling Bun, Deno and Node read). It prints what each
// provider gave, or the error; with "control" it makes one plain fetch to the agent instead.
const APPLICATION = `
import { fromChain, fromContainer } from ${JSON.stringify(`${ROOT}src/mod.ts`)};
import process from "node:process";
const env = JSON.parse(process.argv[2]);
async function attempt(provider) {
  try {
    return { accessKeyId: (await provider()).accessKeyId };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
}
if (process.argv[3] === "control") {
  console.log(JSON.stringify(await attempt(async () => {
    await fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    return { accessKeyId: "fetched" };
  })));
} else {
  console.log(JSON.stringify({
    container: await attempt(fromContainer({ env })),
    chain: await attempt(fromChain({ assume: [env.ROLE], env })),
  }));
}
`;

/** A listener standing in for the proxy: it counts connections and drops them. */
async function startProxy() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function runApplication(
  mode: "providers" | "control",
  processEnv: Record<string, string>,
  podEnv: Record<string, string> = {},
): Promise<Record<string, { accessKeyId?: string; error?: string }>> {
  const dir = mkdtempSync(join(tmpdir(), "epicac-mod-app-"));
  try {
    const file = join(dir, "app.mjs");
    writeFileSync(file, APPLICATION);
    const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
    const [program, ...args] = deno
      // The permissions the README asks of an application: the Deno binaries', but writing.
      ? [
        deno.execPath(),
        "run",
        "--no-prompt",
        ...APPLICATION_PERMISSIONS,
        `--config=${ROOT}deno.json`,
        file,
      ]
      : [process.execPath, file];
    const result = await runProcess(
      program,
      [...args, JSON.stringify({ ...env(), ROLE: moto.roleArn("dest"), ...podEnv }), mode],
      // With the checkout's configuration, which resolves @aws-sdk/client-sts for the module.
      { env: { HOME: dir, ...processEnv }, cwd: ROOT, killAfterMs: 60_000 },
    );
    assert.equal(result.code, 0, `the application failed: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every variable that names a proxy for Bun, Deno or Node, pointing at `url`. */
function proxyVariables(url: string): Record<string, string> {
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    ALL_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    all_proxy: url,
    NODE_USE_ENV_PROXY: "1",
  };
}

test("control: the application's proxy variables are live (a plain fetch goes to the proxy)", async () => {
  const proxy = await startProxy();
  try {
    const result = await runApplication("control", proxyVariables(proxy.url));
    assert.ok(result.error, "the proxy drops the connection");
    assert.ok(proxy.connections() > 0, "the plain fetch went to the proxy");
  } finally {
    await proxy.close();
  }
});

for (
  const [label, noProxy] of [
    ["without NO_PROXY", {}],
    ["with a NO_PROXY that does not list loopback", {
      NO_PROXY: "example.com",
      no_proxy: "example.com",
    }],
  ] as const
) {
  test(`with HTTP_PROXY, HTTPS_PROXY and ALL_PROXY set, ${label}: fromContainer() and fromChain() never reach the proxy`, async () => {
    const proxy = await startProxy();
    try {
      const before = agentRequests();
      const result = await runApplication("providers", {
        ...proxyVariables(proxy.url),
        ...noProxy,
      });
      assert.equal(proxy.connections(), 0, "a connection reached the proxy");
      assert.deepEqual(Object.keys(result.container), ["accessKeyId"], result.container.error);
      assert.deepEqual(Object.keys(result.chain), ["accessKeyId"], result.chain.error);
      assert.equal(agentRequests() - before, 2, "each provider called the agent itself");
    } finally {
      await proxy.close();
    }
  });
}

/** An https listener on loopback whose certificate nobody trusts; it counts what it answers. */
async function startUntrustedHttps() {
  const dir = mkdtempSync(join(tmpdir(), "epicac-mod-tls-"));
  try {
    const made = await runProcess("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ]);
    assert.equal(made.code, 0, `openssl: ${made.stderr}`);
    let answered = 0;
    const server = createHttpsServer({
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    }, (_request, response) => {
      answered++;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      answered: () => answered,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("with NODE_TLS_REJECT_UNAUTHORIZED=0, fromChain() still refuses an STS endpoint whose certificate is not trusted", async () => {
  const sts = await startUntrustedHttps();
  try {
    const result = await runApplication(
      "providers",
      { NODE_TLS_REJECT_UNAUTHORIZED: "0" },
      { AWS_ENDPOINT_URL_STS: sts.url },
    );
    assert.deepEqual(Object.keys(result.container), ["accessKeyId"], result.container.error);
    assert.match(result.chain.error ?? "", /TLS failure/);
    assert.equal(sts.answered(), 0, "a request was sent over the untrusted connection");
  } finally {
    await sts.close();
  }
});
