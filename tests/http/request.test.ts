// src/http/request.ts against a real HTTP server on 127.0.0.1: redirects refused and reported with
// the host only, the body cap, a timeout that covers the body, the outer abort signal, and
// errors that name the peer.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getText, type PeerLabel } from "../../src/http/request.ts";
import { ConnectionError, EpicacError, TimeoutError } from "../../src/errors.ts";

const PEER: PeerLabel = {
  name: "the test agent",
  hint: "check the test agent",
  answerHint: "check that the URI points at a credentials endpoint",
};

interface Served {
  origin: string;
  port: number;
  url(path: string): URL;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A loopback server for one test; close() also drops connections that are still open. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Served> {
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (path) => new URL(origin + path),
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the request to fail");
}

const OPTIONS = { timeoutMs: 2000, maxBytes: 1024 };

test("returns the status, content type and body, and sends the given headers", async () => {
  const server = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ auth: req.headers.authorization, accept: req.headers.accept }));
  });
  try {
    const response = await getText(server.url("/v1/credentials"), PEER, {
      ...OPTIONS,
      headers: { authorization: "token-value", accept: "application/json" },
    });
    assert.equal(response.status, 200);
    assert.equal(response.contentType, "application/json");
    assert.deepEqual(JSON.parse(response.body), {
      auth: "token-value",
      accept: "application/json",
    });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].method, "GET");
    assert.equal(server.requests[0].url, "/v1/credentials");
  } finally {
    await server.close();
  }
});

test("non-200 answers are returned with their body, not thrown", async () => {
  const server = await serve((req, res) => {
    const status = Number(req.url!.slice(1));
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
    res.end(`failure ${status}\n`);
  });
  try {
    for (const status of [400, 403, 404, 429, 500, 503]) {
      const response = await getText(server.url(`/${status}`), PEER, OPTIONS);
      assert.equal(response.status, status);
      assert.equal(response.body, `failure ${status}\n`);
      assert.equal(response.contentType, "text/plain; charset=utf-8");
    }
  } finally {
    await server.close();
  }
});

test("an answer without a content type or body gives empty strings", async () => {
  const server = await serve((_req, res) => {
    res.removeHeader("content-type");
    res.writeHead(204);
    res.end();
  });
  try {
    const response = await getText(server.url("/"), PEER, OPTIONS);
    assert.deepEqual(response, { status: 204, contentType: "", body: "" });
  } finally {
    await server.close();
  }
});

test("a redirect is not followed and is reported with the target's host, never its path or query", async () => {
  const target = await serve((_req, res) => res.end("{}"));
  const server = await serve((req, res) => {
    res.writeHead(Number(req.url!.slice(1)), {
      location: `${target.origin}/steal/path?token=QuerySecret123`,
    });
    res.end();
  });
  try {
    for (const status of [301, 302, 303, 307, 308]) {
      const error = await rejection(getText(server.url(`/${status}`), PEER, OPTIONS));
      assert.ok(error instanceof EpicacError);
      assert.equal(
        error.message,
        `the test agent at ${server.origin} answered HTTP ${status}, a redirect to ` +
          `127.0.0.1:${target.port}; redirects are not followed`,
      );
      assert.equal(error.hint, "check the test agent; the endpoint must answer directly");
      assert.equal(error.retryable, false);
      assert.doesNotMatch(error.message + error.hint, /QuerySecret123|steal|token=/);
    }
    assert.equal(target.requests.length, 0, "the redirect target was contacted");
  } finally {
    await server.close();
    await target.close();
  }
});

test("a redirect without a Location header is still refused", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(302);
    res.end();
  });
  try {
    const error = await rejection(getText(server.url("/"), PEER, OPTIONS));
    assert.ok(error instanceof EpicacError);
    assert.match(error.message, /answered HTTP 302, a redirect; redirects are not followed$/);
  } finally {
    await server.close();
  }
});

test("a relative redirect names the peer's own host, not a placeholder", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(302, { location: "/elsewhere?token=QuerySecret123" });
    res.end();
  });
  try {
    const error = await rejection(getText(server.url("/"), PEER, OPTIONS));
    assert.ok(error instanceof EpicacError);
    assert.doesNotMatch(error.message, /QuerySecret123/);
    assert.doesNotMatch(error.message, /unknown\.invalid/);
    assert.match(error.message, new RegExp(`a redirect to 127\\.0\\.0\\.1:${server.port};`));
  } finally {
    await server.close();
  }
});

test("a body of exactly maxBytes is accepted", async () => {
  const body = "x".repeat(1024);
  const server = await serve((_req, res) => res.end(body));
  try {
    assert.equal((await getText(server.url("/"), PEER, OPTIONS)).body, body);
  } finally {
    await server.close();
  }
});

test("a declared Content-Length over the cap is refused without waiting for the body", async () => {
  const server = await serve((_req, res) => {
    // Declares 100000 bytes, then sends nothing: only the header can trigger the refusal.
    res.writeHead(200, { "content-length": "100000" });
    res.flushHeaders();
  });
  try {
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/"), PEER, { timeoutMs: 10_000, maxBytes: 1024 }),
    );
    assert.ok(error instanceof EpicacError);
    assert.ok(!(error instanceof TimeoutError), String(error));
    assert.equal(
      error.message,
      `the test agent at ${server.origin} sent a body larger than 1024 bytes`,
    );
    assert.equal(error.hint, "check that the URI points at a credentials endpoint");
    assert.equal(error.retryable, false);
    assert.ok(performance.now() - started < 10_000, "waited for the body");
  } finally {
    await server.close();
  }
});

test("a body without Content-Length is cut off once it passes the cap, before it ends", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write("y".repeat(600));
    setTimeout(() => res.write("y".repeat(600)), 20); // never ended
  });
  try {
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/"), PEER, { timeoutMs: 10_000, maxBytes: 1024 }),
    );
    assert.ok(error instanceof EpicacError);
    assert.match(error.message, /sent a body larger than 1024 bytes$/);
    assert.ok(performance.now() - started < 10_000, "waited for the body to end");
  } finally {
    await server.close();
  }
});

test("the cap counts bytes, not characters", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    // 400 characters, 1200 bytes, sent chunked so that only the counted bytes can refuse it.
    res.write("€".repeat(200));
    res.end("€".repeat(200));
  });
  try {
    const error = await rejection(getText(server.url("/"), PEER, OPTIONS));
    assert.ok(error instanceof EpicacError);
    assert.match(error.message, /larger than 1024 bytes/);
  } finally {
    await server.close();
  }
});

test("a UTF-8 character split across chunks is decoded intact", async () => {
  const bytes = new TextEncoder().encode('{"name":"é€😀"}');
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(bytes.slice(0, 11)); // ends inside "é"
    setTimeout(() => {
      res.write(bytes.slice(11, 15)); // ends inside "€"
      setTimeout(() => res.end(bytes.slice(15)), 10);
    }, 10);
  });
  try {
    assert.equal((await getText(server.url("/"), PEER, OPTIONS)).body, '{"name":"é€😀"}');
  } finally {
    await server.close();
  }
});

test("an endpoint that never answers times out after timeoutMs", async () => {
  const server = await serve(() => {}); // accepts, never answers
  try {
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/v1/credentials"), PEER, { timeoutMs: 150, maxBytes: 1024 }),
    );
    const ms = performance.now() - started;
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(
      error.message,
      `no complete answer from the test agent at ${server.origin} within 0.15s`,
    );
    assert.equal(error.hint, "check the test agent, or raise --timeout");
    assert.equal(error.retryable, true);
    // Not before the timeout; after it only by what machine load adds.
    assert.ok(ms >= 140 && ms < 150 + 5000, `took ${ms.toFixed(0)} ms`);
  } finally {
    await server.close();
  }
});

test("the timeout also covers a body that never ends", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"AccessKeyId":'); // headers and part of the body, then nothing
  });
  try {
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/"), PEER, { timeoutMs: 200, maxBytes: 1024 }),
    );
    const ms = performance.now() - started;
    assert.ok(error instanceof TimeoutError, String(error));
    assert.match(error.message, /within 0\.2s$/);
    assert.ok(ms >= 190 && ms < 200 + 5000, `took ${ms.toFixed(0)} ms`);
  } finally {
    await server.close();
  }
});

test("aborting the outer signal ends a pending request at once", async () => {
  const server = await serve(() => {});
  try {
    const outer = new AbortController();
    setTimeout(() => outer.abort(), 50);
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/"), PEER, { timeoutMs: 30_000, maxBytes: 1024, signal: outer.signal }),
    );
    const ms = performance.now() - started;
    assert.ok(error instanceof TimeoutError, String(error));
    assert.match(error.message, /before the overall deadline$/, "cut by the outer signal");
    assert.ok(ms < 30_000, `took ${ms.toFixed(0)} ms`);
  } finally {
    await server.close();
  }
});

test("aborting the outer signal also ends a body that is still arriving", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200);
    res.write("partial");
  });
  try {
    const outer = new AbortController();
    setTimeout(() => outer.abort(), 100);
    const started = performance.now();
    const error = await rejection(
      getText(server.url("/"), PEER, { timeoutMs: 30_000, maxBytes: 1024, signal: outer.signal }),
    );
    assert.ok(error instanceof TimeoutError, String(error));
    assert.match(error.message, /before the overall deadline$/, "cut by the outer signal");
    assert.ok(performance.now() - started < 30_000);
  } finally {
    await server.close();
  }
});

test("an outer signal that is already aborted sends no request", async () => {
  const server = await serve((_req, res) => res.end("{}"));
  try {
    const error = await rejection(
      getText(server.url("/"), PEER, { ...OPTIONS, signal: AbortSignal.abort() }),
    );
    assert.ok(error instanceof TimeoutError, String(error));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test("a refused connection is a retryable ConnectionError worded 'connection refused'", async () => {
  const port = await closedPort();
  const error = await rejection(
    getText(new URL(`http://127.0.0.1:${port}/v1/credentials`), PEER, OPTIONS),
  );
  assert.ok(error instanceof ConnectionError, String(error));
  assert.equal(
    error.message,
    `cannot connect to the test agent at http://127.0.0.1:${port}: connection refused`,
  );
  assert.equal(error.hint, "check the test agent");
  assert.equal(error.retryable, true);
});

test("errors name the origin only, never the URI's path or query", async () => {
  const port = await closedPort();
  const refused = await rejection(
    getText(new URL(`http://127.0.0.1:${port}/v2/secret-path?code=QuerySecret123`), PEER, OPTIONS),
  );
  assert.ok(refused instanceof EpicacError);
  assert.doesNotMatch(refused.message, /secret-path|QuerySecret123/);

  const server = await serve(() => {});
  try {
    const timedOut = await rejection(
      getText(server.url("/v2/secret-path?code=QuerySecret123"), PEER, {
        timeoutMs: 100,
        maxBytes: 1024,
      }),
    );
    assert.ok(timedOut instanceof EpicacError);
    assert.doesNotMatch(timedOut.message, /secret-path|QuerySecret123/);
  } finally {
    await server.close();
  }
});

test("a connection dropped in the middle of the body is a retryable ConnectionError", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("0123456789");
    setTimeout(() => res.socket?.destroy(), 20);
  });
  try {
    const error = await rejection(getText(server.url("/"), PEER, OPTIONS));
    assert.ok(error instanceof ConnectionError, `got ${String(error)}`);
    assert.equal(error.retryable, true);
    assert.ok(error.message.includes(`the test agent at ${server.origin}`), error.message);
  } finally {
    await server.close();
  }
});
