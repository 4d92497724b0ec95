// doctor in an image without a shell, as the binary runs there: every shell hidden in a private
// mount namespace (tests/support/no-shell.ts). A credential_process profile is then a warning
// that names the SDKs that cannot start it and the JavaScript SDK's silent fallback; with a
// shell, doctor says nothing of it.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { runEpicac, runnableTargets } from "../support/epicac.ts";
import { noShellSkip, runWithoutShell } from "../support/no-shell.ts";

let pod: AgentPod;
let env: Record<string, string | undefined>;

before(async () => {
  pod = await startAgentPod("doctor-shell");
  const config = join(pod.dir, "aws-config");
  // Any executable will do for the check: the runtime running the tests is one.
  writeFileSync(config, `[profile app]\ncredential_process = ${process.execPath}\n`);
  env = pod.env({ AWS_CONFIG_FILE: config, AWS_PROFILE: "app", PATH: "/usr/bin:/bin" });
});

after(() => pod?.close());

for (const target of runnableTargets({ denoBundle: true })) {
  test(`${target.name}: doctor warns of a credential_process profile where no shell is`, {
    skip: noShellSkip(),
  }, async () => {
    const [program, ...args] = target.command;
    const hidden = await runWithoutShell(program, [...args, "doctor"], { env });
    assert.equal(hidden.code, 0, hidden.stdout + hidden.stderr);
    assert.match(hidden.stdout, /^\[pass\] config: .*credential_process/m);
    assert.match(
      hidden.stdout,
      /^\[warn\] shell: the profile runs credential_process, and the JavaScript SDK v3 and the C\+\+ SDK run it through \/bin\/sh, which is missing: they cannot start it, and the JavaScript SDK then silently uses the pod's own role instead; the Go, Java, Rust and \.NET SDKs run "sh -c" and find no sh on PATH/m,
    );
    assert.match(hidden.stdout, /-- fix: serve the credentials with an epicac serve sidecar/);
    assert.match(hidden.stdout, /\n1 warning\n$/);
    const withShell = await runEpicac(target, ["doctor"], { env });
    assert.doesNotMatch(withShell.stdout, /^\[warn\]/m);
    assert.match(withShell.stdout, /\nall checks passed\n$/);
  });
}
