// Secrets against a hostile agent, end to end on every target and on every channel a secret
// could leak through: the error line, --debug, doctor and doctor --json. An agent error whose
// body is a credentials document, a token echoed back JSON-escaped (quotes and backslashes, or
// \uXXXX escapes, whole or mixed) in a field other than "message", and tokens too short to mask
// (refused before they are sent).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Agent, quotedCredentials } from "../fakes/agent.ts";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, type Target } from "../support/epicac.ts";
import { assertFailure, assertNoSecrets } from "../support/assertions.ts";

// Printable ASCII with the characters JSON escapes: a quote and a backslash.
const TOKEN = 'eks-token"with\\quote-and-backslash-0123456789abcdef';
let pod: AgentPod;
let agent: Agent;
let dir: string;

before(async () => {
  pod = await startAgentPod("redaction", TOKEN);
  ({ agent, dir } = pod);
});

after(() => pod?.close());

const env = (path: string, file = pod.tokenFile) =>
  pod.env({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file }, path);

const SECRETS = () => [TOKEN, pod.served.SecretAccessKey, pod.served.Token];
const FAST = ["--timeout", "0.5", "--retries", "1", "--deadline", "3"];

/** The same failing set-up through every channel: the error line, --debug, doctor, doctor --json. */
async function everyChannel(t: Target, path: string, file = pod.tokenFile) {
  const options = { env: env(path, file) };
  return {
    run: await runEpicac(t, FAST, options),
    debug: await runEpicac(t, [...FAST, "--debug"], options),
    doctor: await runEpicac(t, ["doctor", ...FAST], options),
    json: await runEpicac(t, ["doctor", "--json", ...FAST], options),
  };
}

function assertCleanEverywhere(runs: Awaited<ReturnType<typeof everyChannel>>, secrets: string[]) {
  for (const [channel, result] of Object.entries(runs)) {
    assert.notEqual(result.code, 0, `${channel} must fail`);
    assertNoSecrets(result.stdout + result.stderr, secrets);
    // JSON output must not carry them in escaped form either.
    for (const secret of secrets) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      assert.ok(!(result.stdout + result.stderr).includes(escaped), `${channel}: escaped secret`);
    }
  }
}

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["an agent failure whose body holds credentials is never quoted (500, 403, 201)", async (t) => {
    for (const status of [500, 403, 201]) {
      const runs = await everyChannel(t, `/status-credentials/${status}`);
      assertFailure(runs.run, {
        stderr: new RegExp(
          `answered HTTP ${status}: \\(a JSON document with credential fields, not shown; application/json, \\d+ bytes\\)`,
        ),
        secrets: SECRETS(),
      });
      assertCleanEverywhere(runs, SECRETS());
    }
  }],
  ["a plain-text failure quoting credentials no one registered is masked", async (t) => {
    const runs = await everyChannel(t, "/quote-credentials");
    const quoted = quotedCredentials.flatMap((c) => [c.AccessKeyId, c.SecretAccessKey, c.Token]);
    assertFailure(runs.run, {
      stderr:
        /answered HTTP 500: upstream failed: AccessKeyId \[redacted-key-id\] SecretAccessKey=\[redacted\]/,
      secrets: quoted,
    });
    assertCleanEverywhere(runs, [...SECRETS(), ...quoted]);
  }],
  ["a token echoed back JSON-escaped, in a field other than message, is masked", async (t) => {
    for (const form of ["quoted", "unicode", "mixed"]) {
      const runs = await everyChannel(t, `/echo-token-json/${form}`);
      assertFailure(runs.run, { stderr: /answered HTTP 403: .*\[redacted\]/, secrets: SECRETS() });
      assertCleanEverywhere(runs, SECRETS());
    }
  }],
  ["a token under 8 characters is refused before it is sent, on every channel", async (t) => {
    const short = join(dir, `short-${t.name.replace(/\W/g, "")}`);
    writeFileSync(short, "0\n");
    const before = agent.requests.length;
    const runs = await everyChannel(t, "/echo-token", short);
    assertFailure(runs.run, {
      stderr:
        /the token file .* holds only 1 character, too short to be a real token \(check that the kubelet/,
    });
    assert.match(runs.doctor.stdout, /\[FAIL\] token: the token file .* holds only 1 character/);
    const sent = agent.requests.slice(before).filter((r) => r.authorization !== undefined);
    assert.deepEqual(sent, [], "a too-short token reached the agent");
    // Nothing was masked into nonsense: "HTTP", "0.5" and the like are left alone.
    assert.ok(!runs.run.stderr.includes("[redacted]"), runs.run.stderr);
  }],
  [
    "a 7-character token is refused too; an 8-character one is sent, and masked when echoed",
    async (t) => {
      const seven = join(dir, `seven-${t.name.replace(/\W/g, "")}`);
      writeFileSync(seven, "Zq7xW3p\n");
      assertFailure(await runEpicac(t, FAST, { env: env("/echo-token", seven) }), {
        stderr: /holds only 7 characters, too short to be a real token/,
      });
      const eight = join(dir, `eight-${t.name.replace(/\W/g, "")}`);
      writeFileSync(eight, "Zq7xW3pR\n");
      const runs = await everyChannel(t, "/echo-token", eight);
      assertFailure(runs.run, { stderr: /HTTP 403: Access Denied for token \[redacted\]/ });
      assertCleanEverywhere(runs, ["Zq7xW3pR"]);
    },
  ],
];

for (const target of runnableTargets({ denoBundle: true })) {
  for (const [name, fn] of cases) test(`${target.name}: redaction: ${name}`, () => fn(target));
}
