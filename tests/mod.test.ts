// src/mod.ts: the module takes typed values all the way to STS (a tag key holding '=' and an
// external id holding a comma arrive as given), and a bad option is refused naming the option,
// never a flag. Its documented options are the declared ones.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromChain, fromContainer, UsageError } from "../src/mod.ts";
import { CHAIN_INPUTS, REFRESH_BEFORE } from "../src/inputs/chain.ts";
import { type Input, MODULE } from "../src/inputs/input.ts";
import { type Agent, fakeCredentials, startAgent } from "./fakes/agent.ts";
import { type FakeSts, startFakeSts } from "./fakes/sts.ts";
import { podToken } from "./support/jwt.ts";
import { thrownBy } from "./support/assertions.ts";

const DEST = "arn:aws:iam::222222222222:role/dest";
const TOKEN = podToken();
let dir: string;
let agent: Agent;
let sts: FakeSts;
let env: Record<string, string>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "epicac-mod-"));
  writeFileSync(join(dir, "token"), TOKEN);
  agent = await startAgent({ credentials: () => fakeCredentials(), expectedToken: TOKEN });
  sts = await startFakeSts();
  env = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, "token"),
    AWS_REGION: "us-west-2",
    AWS_ENDPOINT_URL_STS: sts.endpoint,
  };
});

after(async () => {
  await agent?.close();
  await sts?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a tag key holding '=' and an external id holding a comma reach STS as given", async () => {
  const provider = fromChain({
    assume: [DEST],
    externalId: "team-a,prod",
    tags: { "cost=center": "a=b", team: "payments" },
    env,
  });
  await provider();
  const [request] = sts.requests.filter((r) => r.action === "AssumeRole");
  assert.equal(request.params.ExternalId, "team-a,prod");
  assert.equal(request.params["Tags.member.1.Key"], "cost=center");
  assert.equal(request.params["Tags.member.1.Value"], "a=b");
  assert.equal(request.params["Tags.member.2.Key"], "team");
});

test("a bad option is refused when the provider is made, naming the option", () => {
  const refused = (make: () => unknown) => thrownBy(UsageError, make).message;
  assert.equal(
    refused(() => fromChain({ assume: [DEST], externalId: "x", env })),
    "externalId takes 2 to 1224 characters of letters, digits and _+=,.@:/-",
  );
  assert.equal(
    refused(() => fromContainer({ timeoutMs: 5, env })),
    "timeoutMs takes a number of milliseconds from 50 to 60000, not '5'",
  );
  assert.match(
    refused(() => fromChain({ assume: [DEST], durationSeconds: 7200, env })),
    /^durationSeconds 7200 is over 3600/,
  );
  // An option the module does not have (a misspelling, from JavaScript) is refused too.
  assert.match(
    refused(() => fromChain({ assume: [DEST], env, externalID: "abc" } as never)),
    /^externalID is not an option/,
  );
});

test("the module's documented options are exactly the declared ones, with their defaults", () => {
  const source = readFileSync(new URL("../src/mod.ts", import.meta.url), "utf8");
  const documented = new Map<string, string>();
  for (const [, doc, name] of source.matchAll(/\/\*\* (.*?) \*\/\n {2}(\w+)\??:/g)) {
    documented.set(name, doc);
  }
  documented.delete("env");
  const declared = [...Object.values(CHAIN_INPUTS), REFRESH_BEFORE] as Input<unknown>[];
  assert.deepEqual([...documented.keys()].sort(), declared.map((input) => input.option).sort());
  for (const input of declared) {
    if (input.default === undefined) continue;
    assert.ok(
      documented.get(input.option!)!.includes(
        `(default ${input.shown?.(input.default, MODULE) ?? input.default}`,
      ),
      `${input.option}'s documentation gives its default`,
    );
  }
});
