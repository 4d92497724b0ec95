// A loopback emulator of the EKS Pod Identity agent: GET /v1/credentials answers like the real
// agent (JSON on success, Go http.Error plain text on failure), and other paths give the hostile
// answers the tests need. It records every request it receives.
//
// Also runnable on its own (make demo): `bun tests/fakes/agent.ts --credentials FILE` prints
// its URL and serves the credentials in FILE (re-read on every request) to a matching token.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import process from "node:process";

export interface AgentCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  AccountId?: string;
  Expiration: string;
}

export interface AgentOptions {
  /** The credentials served on success; a function is called per request. */
  credentials?: AgentCredentials | (() => AgentCredentials);
  /** When set, requests whose Authorization differs get the agent's 403. */
  expectedToken?: string | (() => string);
  /** Where /redirect points (default a TEST-NET address that is never reachable). */
  redirectTo?: string;
  /**
   * Many pods, as the agent of a node sees them: each token's own credentials; any other token
   * gets the agent's 403 (delete a token to have the agent start refusing it).
   */
  pods?: Map<string, AgentCredentials>;
  /** Where to listen (default 127.0.0.1, any free port). */
  host?: string;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** True when the request came to us as an absolute URI, as a proxy would see it. */
  viaProxyForm: boolean;
}

export interface Agent {
  /** http://127.0.0.1:<port><path> */
  url(path?: string): string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** What /quote-credentials quoted: secrets a test must never find anywhere epicac writes. */
export const quotedCredentials: AgentCredentials[] = [];

/** Fake but well-formed credentials, expiring an hour from now, with the agent's nanoseconds. */
export function fakeCredentials(overrides: Partial<AgentCredentials> = {}): AgentCredentials {
  const suffix = Math.random().toString(36).slice(2, 10).toUpperCase();
  return {
    AccessKeyId: `ASIAEMULATOR${suffix}`,
    SecretAccessKey: `emulatorSecret/${suffix}+abcdefghijklmnopqrstu`,
    Token: `IQoJb3JpZ2luX2VtdWxhdG9y${suffix}SessionToken==`,
    AccountId: "111122223333",
    Expiration: rfc3339Nanos(new Date(Date.now() + 3600_000)),
    ...overrides,
  };
}

/** The agent's timestamp format: RFC 3339 with nanoseconds. */
export function rfc3339Nanos(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1456789Z");
}

// Go's http.Error: text/plain, nosniff, message and a newline.
function httpError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
  });
  res.end(message + "\n");
}

export const STATUS_MESSAGES: Record<number, string> = {
  400: "Service account token cannot be empty",
  403: "Access Denied. The Service Account Token is not valid",
  404: "Not Found. Pod Identity association not found for this service account",
  429: "Too Many Requests. Rate exceeded, retry later",
  500: "Internal Server Error. Failed to fetch credentials",
  503: "Service Unavailable. The agent is starting",
};

export async function startAgent(options: AgentOptions = {}): Promise<Agent> {
  const requests: RecordedRequest[] = [];
  const flakyCounts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const credentials = () =>
    typeof options.credentials === "function"
      ? options.credentials()
      : options.credentials ?? fakeCredentials();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://agent.invalid");
    const authorization = req.headers.authorization;
    requests.push({
      method: req.method ?? "",
      path: url.pathname,
      authorization,
      viaProxyForm: /^https?:\/\//.test(req.url ?? ""),
    });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const [, route, arg, key] = url.pathname.split("/");

    switch (route) {
      case "v1": { // /v1/credentials: the real agent's behaviour
        if (req.method !== "GET") return httpError(res, 405, "Method Not Allowed");
        if (!authorization) return httpError(res, 400, STATUS_MESSAGES[400]);
        const expected = typeof options.expectedToken === "function"
          ? options.expectedToken()
          : options.expectedToken;
        if (expected !== undefined && authorization !== expected) {
          return httpError(res, 403, STATUS_MESSAGES[403]);
        }
        if (options.pods) {
          const pod = options.pods.get(authorization);
          return pod ? json(200, pod) : httpError(res, 403, STATUS_MESSAGES[403]);
        }
        return json(200, credentials());
      }
      case "status": { // /status/<code>: the agent's plain-text failures
        const status = Number(arg);
        return httpError(res, status, STATUS_MESSAGES[status] ?? "Error");
      }
      case "echo-token": // a hostile 403 that quotes the caller's token back
        return httpError(res, 403, `Access Denied for token ${authorization}`);
      case "echo-token-json": { // the same, JSON-escaped in a field other than "message"
        const token = authorization ?? "";
        const escaped = arg === "unicode" // every character as \uXXXX
          ? [...token].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")
          : arg === "mixed" // every other character, the rest escaped as JSON needs
          ? [...token].map((c, i) =>
            i % 2
              ? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`
              : JSON.stringify(c).slice(1, -1)
          ).join("")
          : JSON.stringify(token).slice(1, -1); // quotes and backslashes escaped
        res.writeHead(403, { "content-type": "application/json" });
        return res.end(`{"code":"AccessDenied","detail":"token ${escaped} refused"}`);
      }
      case "status-credentials": { // /status-credentials/<code>: a failure whose body is credentials
        res.writeHead(Number(arg), { "content-type": "application/json" });
        return res.end(JSON.stringify(credentials()));
      }
      case "quote-credentials": { // a plain-text 500 quoting credentials no one was ever given
        const quoted = fakeCredentials();
        quotedCredentials.push(quoted);
        return httpError(
          res,
          500,
          `upstream failed: AccessKeyId ${quoted.AccessKeyId} SecretAccessKey=${quoted.SecretAccessKey} ` +
            `SessionToken: ${quoted.Token}${"Ab12/+".repeat(20)} (retry)`,
        );
      }
      case "malformed": { // truncated JSON that contains a secret
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          `{"AccessKeyId":"ASIAX","SecretAccessKey":"${credentials().SecretAccessKey}","Tok`,
        );
      }
      case "html":
        res.writeHead(200, { "content-type": "text/html" });
        return res.end("<html><body><h1>Welcome to nginx!</h1></body></html>");
      case "html-error":
        res.writeHead(502, { "content-type": "text/html" });
        return res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
      case "missing-fields": {
        const { SecretAccessKey: _dropped, ...rest } = credentials();
        return json(200, rest);
      }
      case "not-object":
        return json(200, ["AccessKeyId"]);
      case "bad-expiration":
        return json(200, { ...credentials(), Expiration: "tomorrow" });
      case "expired":
        return json(200, {
          ...credentials(),
          Expiration: rfc3339Nanos(new Date(Date.now() - 60_000)),
        });
      case "redirect":
        res.writeHead(302, {
          location: options.redirectTo ?? "http://203.0.113.7/steal?token=abc",
        });
        return res.end();
      case "oversized": { // 100 KiB; /oversized/chunked sends no Content-Length
        const body = JSON.stringify({ ...credentials(), Padding: "x".repeat(100 * 1024) });
        if (arg === "chunked") {
          res.writeHead(200, { "content-type": "application/json" });
          for (let i = 0; i < body.length; i += 8192) res.write(body.slice(i, i + 8192));
          return res.end();
        }
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": new TextEncoder().encode(body).byteLength,
        });
        return res.end(body);
      }
      case "slow": { // /slow/<ms>: credentials after a delay
        const timer = setTimeout(() => json(200, credentials()), Number(arg));
        res.on("close", () => clearTimeout(timer));
        return;
      }
      case "slow-body": { // headers at once, the body never finishes
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"AccessKeyId":');
        hanging.add(res);
        return;
      }
      case "hang": // accepts, never answers
        hanging.add(res);
        return;
      case "flaky": { // /flaky/<n>/<key>: 503 for the first n requests per key, then credentials
        const seen = (flakyCounts.get(`${arg}/${key}`) ?? 0) + 1;
        flakyCounts.set(`${arg}/${key}`, seen);
        if (seen <= Number(arg)) return httpError(res, 503, STATUS_MESSAGES[503]);
        return json(200, credentials());
      }
      case "ecs": // the ECS agent's answer: RoleArn, no AccountId
        return json(200, {
          ...credentials(),
          AccountId: undefined,
          RoleArn: "arn:aws:iam::444455556666:role/ecs-task",
        });
      default:
        return httpError(res, 404, "404 page not found");
    }
  };

  const server = createServer(handle);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}${
    port === 80 ? "" : `:${port}`
  }`;
  return {
    url: (path = "/v1/credentials") => `${origin}${path}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Stand-alone: serve the credentials in a file (for make demo) until stopped.
if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: { credentials: { type: "string" }, token: { type: "string" } },
    strict: true,
  });
  if (!values.credentials) {
    console.error("usage: agent.ts --credentials FILE [--token FILE]");
    process.exit(2);
  }
  const file = values.credentials;
  const tokenFile = values.token;
  const agent = await startAgent({
    credentials: () => JSON.parse(readFileSync(file, "utf8")),
    expectedToken: tokenFile ? () => readFileSync(tokenFile, "utf8").trim() : undefined,
  });
  console.log(agent.url());
  const stop = () => agent.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
