// Whether the SDKs can start a credential_process at all. Most start it through a shell: the
// JavaScript SDK v3 (child_process.exec) and the C++ SDK (popen) run /bin/sh itself; the Go,
// Java, Rust and .NET SDKs run `sh -c`, finding sh on PATH. botocore and Ruby run the program
// directly. A minimal image often has no shell: those SDKs then cannot run epicac that way, and
// the JavaScript SDK's default chain silently goes on to the container provider, the pod's own
// role.

import type { Env } from "../env.ts";
import { findExecutable } from "./aws-config.ts";
import { type Check, warn } from "./check.ts";

/** A warning when a shell some SDKs need is missing; undefined when both ways find one. */
export async function checkShell(env: Env): Promise<Check | undefined> {
  const binSh = await findExecutable("/bin/sh", env);
  const pathSh = await findExecutable("sh", env);
  if (binSh && pathSh) return undefined;
  const cannot: string[] = [];
  if (!binSh) {
    cannot.push(
      "the JavaScript SDK v3 and the C++ SDK run it through /bin/sh, which is missing: they cannot start it, and the JavaScript SDK then silently uses the pod's own role instead",
    );
  }
  if (!pathSh) {
    cannot.push(
      `the Go, Java, Rust and .NET SDKs run "sh -c" and find no sh on PATH (${
        env.PATH ?? "unset"
      }): they cannot start it`,
    );
  }
  return warn(
    "shell",
    `the profile runs credential_process, and ${
      cannot.join("; ")
    } (botocore and Ruby need no shell)`,
    "serve the credentials with an epicac serve sidecar, which needs no shell in the application's image, or write the profiles with epicac config --native if the SDKs are recent enough (see the README)",
  );
}
