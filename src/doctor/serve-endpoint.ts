// doctor, run in an application container whose credentials come from an `epicac serve` sidecar:
// AWS_CONTAINER_CREDENTIALS_FULL_URI on the pod's loopback. Does something listen, is it serve,
// can this container read its token, and is it ready (its /readyz says which route lacks
// credentials, and why)? The credentials request itself is the source check's.

import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";
import { getText, type PeerLabel } from "../http/request.ts";
import { oneLine, redact, registerSecret } from "../redact.ts";
import { isLoopbackHost } from "../sources/container-uri.ts";
import { readFailure, readSmallFile } from "../small-file.ts";
import { type Check, fail, pass } from "./check.ts";

const NAME = "serve";
/** What serve's probes answer: a line each; a longer answer is not serve's. */
const MAX_PROBE_BYTES = 8 * 1024;

const PEER: PeerLabel = {
  name: "the epicac serve sidecar",
  hint:
    "check that the sidecar runs in this pod (an initContainers entry with restartPolicy: Always) and listens on this port (--listen)",
  answerHint: "check that AWS_CONTAINER_CREDENTIALS_FULL_URI points at the epicac sidecar",
};

/** A loopback FULL_URI: the pod's own sidecar, or undefined when the URI is not one. */
function serveEndpoint(env: Env): URL | undefined {
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (!full) return undefined;
  try {
    const url = new URL(full);
    return url.protocol === "http:" && isLoopbackHost(url.hostname) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sidecar's check, or none when the loopback URI is not an epicac sidecar (a local agent
 * emulator, say): only serve answers GET /healthz with "ok", and that probe carries no token.
 * Nothing listening on a loopback URI is a failure either way: no agent lives there.
 */
export async function checkServeEndpoint(
  env: Env,
  limits: { timeoutMs: number; signal?: AbortSignal },
): Promise<Check[]> {
  const url = serveEndpoint(env);
  if (!url) return [];
  const probe = (path: string, authorization?: string) =>
    getText(new URL(path, url.origin), PEER, {
      headers: authorization ? { authorization } : {},
      timeoutMs: limits.timeoutMs,
      maxBytes: MAX_PROBE_BYTES,
      signal: limits.signal,
    });
  let health;
  try {
    health = await probe("/healthz");
  } catch (error) {
    const reason = error instanceof EpicacError ? error : undefined;
    return [fail(NAME, reason?.message ?? String(error), PEER.hint)];
  }
  if (health.status !== 200 || health.body.trim() !== "ok") return [];
  const token = await sidecarToken(env, url);
  if (typeof token !== "string") return [token];
  // With the token, /readyz says why a route is not ready.
  const ready = await probe("/readyz", token);
  if (ready.status === 200) return [pass(NAME, `epicac serve at ${url.origin} is ready`)];
  return [fail(
    NAME,
    `epicac serve at ${url.origin} is not ready: ${
      oneLine(redact(ready.body.trim().replace(/^not ready: /, "")))
    }`,
    'see the sidecar\'s log (its "refresh failed" events) and run epicac doctor in the sidecar with the same flags',
  )];
}

/** The sidecar's token as this container presents it, or a failed check saying why it cannot. */
async function sidecarToken(env: Env, url: URL): Promise<Check | string> {
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  const inline = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (!tokenFile && !inline) {
    return fail(
      NAME,
      `${url.origin} needs the token of the sidecar's --token-file, and neither AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE nor AWS_CONTAINER_AUTHORIZATION_TOKEN is set`,
      "set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to the sidecar's --token-file, on a volume both containers mount",
    );
  }
  try {
    const token = tokenFile ? (await readSmallFile(tokenFile)).trim() : inline!;
    registerSecret(token);
    return token;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return fail(
      NAME,
      `cannot read the sidecar's token file ${tokenFile}: ${readFailure(error)}`,
      code === "EACCES"
        ? "the sidecar writes it mode 0640: set the pod's securityContext.fsGroup, so that this container's group may read it"
        : code === "ENOENT"
        ? "the sidecar writes it once it starts: mount the same emptyDir in both containers, and start the application after the sidecar (a startupProbe on /readyz)"
        : "point AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE at the sidecar's --token-file",
    );
  }
}
