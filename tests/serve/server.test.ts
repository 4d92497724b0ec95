// src/serve/server.ts on the runtime running the tests (Bun.listen under bun test, Deno.listen
// under deno test), with real loopback sockets and limits small enough to reach: a client that
// sends and never reads is no longer read, and is closed at the write timeout or the output cap;
// at the connection cap a newcomer is admitted by closing the connection idle longest.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { type HttpRequest, text } from "../../src/serve/http1.ts";
import { listen, type Server, type ServerLimits } from "../../src/serve/server.ts";
import { SERVE_LIMITS } from "../../src/serve/limits.ts";
import { flood } from "../support/misbehaving.ts";

/** The server checks deadlines this often (server.ts). */
const SWEEP_MS = 250;
const BIG_BODY = "x".repeat(8 * 1024 * 1024);

/**
 * A server answering `ok` (or 8 MiB on /big), counting the requests it parsed: serve's own limits,
 * but for the ones a test lowers to reach them.
 */
function start(limits: Partial<ServerLimits>) {
  const seen: HttpRequest[] = [];
  const server = listen({ hostname: "127.0.0.1", port: 0 }, (request) => {
    seen.push(request);
    return request.path === "/big" ? { status: 200, headers: {}, body: BIG_BODY } : text(200, "ok");
  }, { ...SERVE_LIMITS, ...limits });
  return { server, seen };
}

interface Client {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

/** A client connection recording what it receives and when the server closes it. */
async function client(server: Server, read = true, from = "127.0.0.1"): Promise<Client> {
  const socket = connect({ host: "127.0.0.1", port: server.port, localAddress: from });
  let received = "";
  socket.on("error", () => {});
  if (read) socket.setEncoding("latin1").on("data", (d: string) => (received += d));
  const closed = new Promise<number>((resolve) =>
    socket.on("close", () => resolve(performance.now()))
  );
  await new Promise((resolve) => socket.once("connect", resolve));
  if (!read) socket.pause();
  return { socket, received: () => received, closed };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a failure naming `what` after 10 s. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    sleep(10_000).then(() => Promise.reject(new Error(`${what}: not within 10 s`))),
  ]);
}

/** How many requests the flood client pipelines (misbehaving-client.mjs). */
const FLOOD_REQUESTS = 16 * 1024 * 1024 / "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".length;

function answered(c: Client, count: number): Promise<void> {
  return within(
    (async () => {
      while ((c.received().match(/HTTP\/1\.1 200 /g) ?? []).length < count) await sleep(10);
    })(),
    `${count} answers`,
  );
}

test("a client that pipelines 16 MB and never reads is no longer read, and is closed at the write timeout", async () => {
  const writeTimeoutMs = 4000;
  // Only the write timeout may close it here: the bound on what is held is out of reach.
  const { server, seen } = start({ writeTimeoutMs, maxQueuedBytes: 1024 * 1024 * 1024 });
  const flooding = flood("127.0.0.1", server.port, "/healthz");
  try {
    await flooding.waitFor("connected");
    // Answers flow until the kernel's buffers are full; then parsing stops.
    let parsed = -1;
    for (let i = 0; seen.length !== parsed; i++) {
      assert.ok(i < 20, `still parsing after ${i / 2} s: ${seen.length} requests`);
      parsed = seen.length;
      await sleep(500);
    }
    assert.ok(parsed < FLOOD_REQUESTS, `all ${parsed} requests parsed`);
    await sleep(500);
    assert.equal(seen.length, parsed, "nothing more is parsed while an answer waits");
    // Meanwhile, others are answered.
    const other = await client(server);
    other.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(other, 1);
    other.socket.destroy();
    const { ms } = await flooding.waitFor("closed", 30_000);
    assert.ok(Number(ms) >= writeTimeoutMs - SWEEP_MS, `closed after ${ms} ms: too soon`);
    assert.ok(Number(ms) < writeTimeoutMs * 4 + 2000, `closed only after ${ms} ms`);
  } finally {
    await flooding.stop();
    await server.stop(0);
  }
});

test("an answer the kernel cannot take, beyond maxQueuedBytes, closes the connection at once", async () => {
  const { server, seen } = start({ writeTimeoutMs: 60_000 });
  const flooding = flood("127.0.0.1", server.port, "/big");
  try {
    const { ms } = await flooding.waitFor("closed", 30_000);
    assert.ok(Number(ms) < 30_000, `closed after ${ms} ms`);
    assert.equal(seen.length, 1, "one request at a time: its answer was never taken");
  } finally {
    await flooding.stop();
    await server.stop(0);
  }
});

test("at the connection cap a newcomer closes the connection idle longest, not one mid-request", async () => {
  const { server } = start({ maxConnections: 3 });
  const clients: Client[] = [];
  try {
    // A: mid-request, and the oldest. B, then C: idle, B longer.
    const a = await client(server);
    a.socket.write("GET /healthz HTTP/1.1\r\n");
    const b = await client(server);
    await sleep(20);
    const c = await client(server);
    clients.push(a, b, c);
    await sleep(50);
    const d = await client(server);
    clients.push(d);
    await within(b.closed, "B (idle longest) closed");
    d.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(d, 1);
    // Now C is idle longest (D was answered after), and A still arriving.
    await sleep(20);
    const e = await client(server);
    clients.push(e);
    await within(c.closed, "C (idle longest) closed");
    // None idle (D and E mid-request, like A): the one busy longest, A, makes room.
    d.socket.write("GET /healthz HTTP/1.1\r\n");
    e.socket.write("GET /healthz HTTP/1.1\r\n");
    await sleep(50);
    const f = await client(server);
    clients.push(f);
    await within(a.closed, "A (busy longest) closed");
    f.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(f, 1);
    for (const open of [d, e]) open.socket.write("Host: x\r\n\r\n");
    await answered(d, 2);
    await answered(e, 1);
  } finally {
    for (const c of clients) c.socket.destroy();
    await server.stop(0);
  }
});

test("at the cap, the connections closed are those of the address holding the most", async () => {
  const { server } = start({ maxConnections: 3 });
  const clients: Client[] = [];
  try {
    const mine = await client(server, true, "127.0.0.1");
    clients.push(mine);
    mine.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(mine, 1);
    // Another address opens connection after connection: it only ever closes its own.
    for (let i = 0; i < 6; i++) {
      const theirs = await client(server, true, "127.0.0.2");
      clients.push(theirs);
      await sleep(20);
    }
    await within(Promise.all(clients.slice(1, 5).map((c) => c.closed)), "their four oldest closed");
    mine.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(mine, 2);
  } finally {
    for (const c of clients) c.socket.destroy();
    await server.stop(0);
  }
});

test("past its own cap, an address closes its own connection idle longest, under the listener's cap", async () => {
  const { server } = start({ maxConnections: 100, maxPerAddress: 2 });
  const clients: Client[] = [];
  try {
    const other = await client(server, true, "127.0.0.1");
    clients.push(other);
    for (let i = 0; i < 4; i++) {
      clients.push(await client(server, true, "127.0.0.3"));
      await sleep(20);
    }
    const closedOldest = await Promise.race([
      Promise.all(clients.slice(1, 3).map((c) => c.closed)).then(() => true),
      sleep(5000).then(() => false),
    ]);
    assert.ok(closedOldest, "its two oldest were closed though the listener had room");
    for (const c of [other, ...clients.slice(3)]) {
      c.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      await answered(c, 1);
    }
  } finally {
    for (const c of clients) c.socket.destroy();
    await server.stop(0);
  }
});

test("an answer that comes later is sent when it comes, and the client's address is known", async () => {
  const remotes: (string | undefined)[] = [];
  const server = listen({ hostname: "127.0.0.1", port: 0 }, async (request) => {
    remotes.push(request.remote);
    await sleep(50);
    return text(200, `later ${request.path}`);
  }, SERVE_LIMITS);
  const c = await client(server, true, "127.0.0.4");
  try {
    c.socket.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    await answered(c, 2);
    assert.match(c.received(), /later \/a\n[^]*later \/b\n$/);
    assert.match(String(remotes[0]), /^(::ffff:)?127\.0\.0\.4$/);
  } finally {
    c.socket.destroy();
    await server.stop(0);
  }
});

test("past its own cap with every connection answering, an address's newcomer is refused, not them", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const server = listen({ hostname: "127.0.0.1", port: 0 }, async () => {
    await held;
    return text(200, "done");
  }, { ...SERVE_LIMITS, maxPerAddress: 2 });
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = await client(server, true, "127.0.0.5");
      c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      clients.push(c);
    }
    await sleep(100);
    const newcomer = await client(server, true, "127.0.0.5");
    clients.push(newcomer);
    const refused = await Promise.race([
      newcomer.closed.then(() => true),
      sleep(5000).then(() => false),
    ]);
    assert.ok(refused, "the newcomer was closed");
    release();
    for (const c of clients.slice(0, 2)) await answered(c, 1);
  } finally {
    release();
    for (const c of clients) c.socket.destroy();
    await server.stop(0);
  }
});
