// The permissions the Deno build of epicac runs with, shared by `deno compile` (scripts/build)
// and the tests that run the sources under Deno, so both exercise the same sandbox.
//
// - env: only the variables epicac and the AWS SDK read; the proxy variables are listed because
//   epicac removes them from its own environment (src/http/no-proxy.ts).
// - net: unscoped, because an https endpoint may be any host and loopback ports vary.
// - read: unscoped, because the token file, AWS config and cache paths come from the environment.

export const DENO_PERMISSIONS: readonly string[] = [
  "--allow-env=AWS_*,EPICAC_*,HOME,HTTP_PROXY,HTTPS_PROXY,ALL_PROXY,http_proxy,https_proxy,all_proxy",
  "--allow-net",
  "--allow-read",
];

if (import.meta.main) console.log(DENO_PERMISSIONS.join(" "));
