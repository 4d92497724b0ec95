// One request through node:http or node:https, for a Deno application that uses the module.
// Deno's fetch sends every request through HTTP_PROXY, HTTPS_PROXY or ALL_PROXY when the process
// has them, and no per-request or per-client option turns that off; the module must not change
// its host's environment to avoid it. node:http(s) with an agent of its own whose proxy
// environment is empty connects directly, whatever the environment and NODE_USE_ENV_PROXY say.
// The answer is handed back as a Response, so request.ts reads it as it reads fetch's.

import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export interface DirectInit {
  method: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  signal: AbortSignal;
}

// Statuses whose Response cannot have a body.
const NULL_BODY = new Set([101, 204, 205, 304]);

export function directRequest(url: URL, init: DirectInit): Promise<Response> {
  const client = url.protocol === "https:" ? https : http;
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const outgoing = client.request(url, {
      method: init.method,
      headers,
      signal: init.signal,
      // One connection per request, never through a proxy, certificates always checked (a
      // host's NODE_TLS_REJECT_UNAUTHORIZED=0 must not weaken an https STS endpoint).
      agent: new client.Agent({ keepAlive: false, proxyEnv: {} }),
      rejectUnauthorized: true,
    }, (incoming) => {
      const status = incoming.statusCode ?? 0;
      if (status < 200 || status > 599) {
        incoming.destroy();
        reject(new Error(`an answer with the invalid HTTP status ${status}`));
        return;
      }
      const answer = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) {
        for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
          answer.append(name, one);
        }
      }
      const body = NULL_BODY.has(status)
        ? (incoming.resume(), null)
        : Readable.toWeb(incoming) as ReadableStream<Uint8Array>;
      resolve(new Response(body, { status, headers: answer }));
    });
    outgoing.on("error", reject);
    outgoing.end(init.body);
  });
}
