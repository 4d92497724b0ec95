// The EKS Pod Identity agent of a node, for epicac node's benchmark: GET /v1/credentials answers
// each pod's own credentials from memory (PODS_FILE: {token: credentials}), another token the
// agent's 403, and past the real agent's own limit (1000 a second, burst 500) its 429. Compiled
// with epicac's bun flags like the floors, so that it answers at least as fast as serve does.
//   pod-agent PODS_FILE   (prints its URL, on loopback, any free port)

import process from "node:process";
import { Buckets } from "../../../src/node/limiter.ts";
import { SYSTEM_CLOCK } from "../../../src/refreshing.ts";
import { STATUS_MESSAGES } from "../../../tests/fakes/agent.ts";

const { Bun } = globalThis as unknown as {
  Bun: {
    file(path: string): { json(): Promise<Record<string, unknown>> };
    serve(options: { hostname: string; port: number; fetch(request: Request): Response }): {
      port: number;
    };
  };
};
/** The real agent's limiter: one for the whole node. */
const AGENT_LIMIT = { perSecond: 1000, burst: 500 };

// Each pod's answer, serialized once.
const pods = new Map(
  Object.entries(await Bun.file(process.argv[2]).json()).map(([t, c]) => [t, JSON.stringify(c)]),
);
const limit = new Buckets(AGENT_LIMIT, 1, SYSTEM_CLOCK);
// Go's http.Error, as the agent answers a refusal.
const refused = (status: number) =>
  new Response(`${STATUS_MESSAGES[status]}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    if (!limit.take()) return refused(429);
    const token = request.headers.get("authorization");
    if (!token) return refused(400);
    const credentials = pods.get(token);
    if (!credentials) return refused(403);
    return new Response(credentials, { headers: { "content-type": "application/json" } });
  },
});
console.log(`http://127.0.0.1:${server.port}/v1/credentials`);
