// Real SDKs still get credentials from `epicac serve` while another process of the pod, without
// the token, holds far more connections than serve takes (600 against its 512: idle, trickling a
// request's head, or sending one every 2 s, each reopened as soon as serve closes it): the AWS
// CLI (botocore) and the JavaScript SDK v3's default chain, against moto, on every native target.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT, runnableTargets, runProcess } from "../../support/epicac.ts";
import { startServePod } from "../../support/serve-pod.ts";
import { hold } from "../../support/misbehaving.ts";
import { needsLoopbackOnly } from "../../support/network.ts";
import { SERVE_LIMITS } from "../../../src/serve/limits.ts";

const HELD = 600;
const CONSUMER = `${ROOT}tests/support/sdk-consumer.mjs`;

const clients: [name: string, command: string[]][] = [
  ["the AWS CLI (botocore)", ["aws", "sts", "get-caller-identity", "--output", "json"]],
  ["the JavaScript SDK v3's default chain under Node", ["node", CONSUMER, "--default-chain"]],
];

// The clients must reach moto and serve only: run where the namespace has nothing but loopback.
const skip = needsLoopbackOnly();

for (const target of runnableTargets().filter((t) => !t.emulated)) {
  test(
    `${target.name}: with ${HELD} connections held by a process without the token, botocore and the JavaScript SDK are answered`,
    { skip },
    async () => {
      assert.ok(HELD > SERVE_LIMITS.maxConnections);
      const pod = await startServePod("serve-slots", target);
      const holding = hold("127.0.0.1", pod.serving.port, HELD);
      try {
        await holding.waitFor("holding");
        for (const [name, [program, ...args]] of clients) {
          const result = await runProcess(program, args, {
            env: pod.clientEnv(),
            cwd: ROOT,
            killAfterMs: 90_000,
          });
          assert.equal(result.code, 0, `${name}: ${result.stdout} ${result.stderr}`);
          const identity = JSON.parse(result.stdout);
          assert.match(
            identity.Arn,
            new RegExp(`^arn:aws:sts::${pod.pod.moto.accountId}:assumed-role/dest/`),
            name,
          );
        }
        const last = holding.events().at(-1)!;
        assert.ok(Number(last.opened) > HELD, "serve closed held connections to make room");
      } finally {
        await holding.stop();
        await pod.close();
      }
    },
  );
}
