// The floor of `epicac serve`: Bun.serve answering every request with the agent's credentials
// (fetched once at start, as serve does) when its Authorization is the token in TOKEN_FILE,
// compared the way serve compares it. Compiled with epicac's bun flags.
//   floor-serve PORT TOKEN_FILE   (the agent from AWS_CONTAINER_*, as for epicac)

import { timingSafeEqual } from "node:crypto";
import process from "node:process";
import { digest } from "../../../src/serve/auth-token.ts";
import { fetchAgent } from "./agent.ts";

const { Bun } = globalThis as unknown as {
  Bun: {
    file(path: string): { text(): Promise<string> };
    serve(options: { hostname: string; port: number; fetch(request: Request): Response }): void;
  };
};
const [, , port, tokenFile] = process.argv;
const token = digest((await Bun.file(tokenFile).text()).trim());
const credentials = await (await fetchAgent()).text();

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  fetch(request) {
    const presented = request.headers.get("authorization");
    if (presented === null) return new Response("no token\n", { status: 401 });
    if (!timingSafeEqual(digest(presented), token)) {
      return new Response("wrong token\n", { status: 403 });
    }
    return new Response(credentials, { headers: { "content-type": "application/json" } });
  },
});
