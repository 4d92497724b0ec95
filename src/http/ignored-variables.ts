// Credentials endpoints are called directly, never through a proxy. The AWS SDKs do the same;
// Bun's and Deno's fetch would otherwise send the request, Authorization token included, to
// whatever HTTP_PROXY names.

export const PROXY_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/** Remove the proxy variables from this process's environment, before its first fetch. */
export function ignoreProxyVariables(env: Record<string, string | undefined>): void {
  for (const name of PROXY_VARIABLES) delete env[name];
}
