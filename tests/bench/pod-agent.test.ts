// The node section's Pod Identity agent (scripts/bench/floors/pod-agent.ts), as a process: each
// pod's token gets that pod's own credentials, another token the agent's 403, none its 400; and
// a flood gets no more answers than the real agent's limit lets through (500 at once, then 1000
// a second), the rest its 429.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchPods } from "../../scripts/bench/node.ts";
import { startPeer, stopAll } from "../../scripts/bench/peers.ts";
import { STATUS_MESSAGES } from "../fakes/agent.ts";
import { ROOT } from "../support/epicac.ts";

test("pod agent: each pod's own credentials, the agent's refusals, and its rate limit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-pod-agent-"));
  try {
    const pods = benchPods(2);
    const file = join(dir, "pods.json");
    writeFileSync(
      file,
      JSON.stringify(Object.fromEntries(pods.map((p) => [p.token, p.credentials]))),
    );
    const url = await startPeer("the pods' agent", [
      "bun",
      join(ROOT, "scripts/bench/floors/pod-agent.ts"),
      file,
    ]);
    const ask = async (headers: Record<string, string>) => {
      const response = await fetch(url, { headers });
      return { status: response.status, body: await response.text() };
    };
    for (const pod of pods) {
      const answer = await ask({ authorization: pod.token });
      assert.deepEqual([answer.status, JSON.parse(answer.body)], [200, pod.credentials]);
    }
    assert.deepEqual(await ask({ authorization: `${pods[0].token}x` }), {
      status: 403,
      body: `${STATUS_MESSAGES[403]}\n`,
    });
    assert.deepEqual(await ask({}), { status: 400, body: `${STATUS_MESSAGES[400]}\n` });

    const started = performance.now();
    const flood = await Promise.all(
      Array.from({ length: 1500 }, () => ask({ authorization: pods[0].token })),
    );
    const seconds = (performance.now() - started) / 1000;
    const answered = flood.filter((a) => a.status === 200).length;
    assert.ok(answered >= 400, `${answered} answered: the burst is 500`);
    assert.ok(answered <= 500 + 1000 * seconds + 1, `${answered} answered in ${seconds} s`);
    for (const refused of flood.filter((a) => a.status !== 200)) {
      assert.deepEqual(refused, { status: 429, body: `${STATUS_MESSAGES[429]}\n` });
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
