// An STS endpoint must not expose signed requests: https to any host, plain http only to
// loopback (local test endpoints). This applies to --sts-endpoint and to the variables the AWS
// SDKs read (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL), which epicac reads itself and passes on
// explicitly; the client is told to ignore every other source of endpoints (client.ts).

import type { Env } from "../env.ts";
import { invalidValue } from "../errors.ts";

/**
 * --sts-endpoint, else the environment's STS endpoint as the AWS SDKs name it, checked; an
 * empty variable counts as unset. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (in any case) turns
 * the variables off, as in the SDKs.
 */
export function resolveStsEndpoint(flag: string | undefined, env: Env): string | undefined {
  if (flag !== undefined) {
    checkEndpoint(flag, "--sts-endpoint");
    return flag;
  }
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "")) return undefined;
  for (const name of ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]) {
    const value = env[name];
    if (value) {
      checkEndpoint(value, name);
      return value;
    }
  }
  return undefined;
}

/** The URL, or a usage error (a flag) or a configuration error (a variable) saying why not. */
export function checkEndpoint(text: string, origin: string): URL {
  const fail = (message: string) => invalidValue(origin, message);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(`${origin} is not a valid URL: '${text}'`);
  }
  if (url.username || url.password) {
    throw fail(`${origin} carries a user name or password`);
  }
  if (url.protocol === "https:") return url;
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === "http:" && loopback) return url;
  throw fail(
    `${origin} must be an https URL (plain http only to loopback), not '${url.protocol}//${url.host}'`,
  );
}
