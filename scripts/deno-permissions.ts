// The permissions the Deno build of epicac runs with, shared by `deno compile` (scripts/build)
// and the tests that run the sources under Deno, so both exercise the same sandbox.
//
// - env: only what epicac and the AWS SDK for JavaScript read. The proxy and TLS variables are
//   listed because epicac removes them from its own environment (src/http/ignored-variables.ts); the home
//   variables and _X_AMZN_TRACE_ID are read by the SDK when --assume loads it; PATH by doctor,
//   to find a credential_process program; NODE_NAME by epicac node (the downward API's).
// - sys: the hostname (the default session name), the OS release (the SDK's user agent) and
//   the uid (the cache checks who owns its files).
// - net: unscoped, because an https endpoint may be any host and loopback ports vary.
// - read: unscoped, because the token file, AWS config and cache paths come from the environment.
// - write: unscoped, for --cache-dir, whose path is only known at run time.
// No subprocesses, no FFI.

import { IGNORED_VARIABLES } from "../src/http/ignored-variables.ts";

const ENV = [
  "AWS_*",
  "EPICAC_*",
  "HOME",
  "PATH",
  "USERPROFILE",
  "HOMEPATH",
  "HOMEDRIVE",
  "_X_AMZN_TRACE_ID",
  "NODE_NAME",
  ...IGNORED_VARIABLES,
];

export const DENO_PERMISSIONS: readonly string[] = [
  `--allow-env=${ENV.join(",")}`,
  "--allow-sys=hostname,osRelease,uid",
  "--allow-net",
  "--allow-read",
  "--allow-write",
];

if (import.meta.main) console.log(DENO_PERMISSIONS.join(" "));
