// src/serve/http1.ts with a socket that records what is written: requests parsed and answered
// in order, kept alive or closed as asked, and every limit held: no body, one Authorization,
// headers within their size, a request that trickles cut at the header timeout, an idle
// connection closed, one request at a time while an answer waits, what is held for a client
// that does not read bounded in bytes and in time.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cacheable,
  Connection,
  type ConnectionLimits,
  type HttpRequest,
  type HttpResponse,
  type Socket,
  text,
} from "../../src/serve/http1.ts";

const LIMITS: ConnectionLimits = {
  headerTimeoutMs: 5000,
  maxHeaderBytes: 1024,
  idleTimeoutMs: 60_000,
  maxQueuedBytes: 4096,
  writeTimeoutMs: 10_000,
};

/** A socket whose kernel takes every write, or (stalled) none. */
class RecordingSocket implements Socket {
  written: string[] = [];
  sent: Uint8Array[] = [];
  stalled = false;
  paused = false;
  ended = false;
  destroyed = false;

  write(bytes: Uint8Array): boolean {
    this.sent.push(bytes);
    this.written.push(new TextDecoder().decode(bytes));
    return !this.stalled;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const recordingSocket = () => new RecordingSocket();

const echo = (seen: HttpRequest[]) => (request: HttpRequest): HttpResponse => {
  seen.push(request);
  return {
    status: 200,
    headers: { "content-type": "text/plain" },
    body: `you asked ${request.path}`,
  };
};

function connection(limits = LIMITS) {
  const seen: HttpRequest[] = [];
  const socket = recordingSocket();
  const conn = new Connection(socket, echo(seen), limits);
  const send = (text: string) => conn.receive(new TextEncoder().encode(text));
  return { conn, send, socket, written: socket.written, seen, ended: () => socket.ended };
}

const GET = (path: string, headers = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

test("a GET is parsed, answered with a length, and the connection kept alive", () => {
  const c = connection();
  c.send(GET("/v1/credentials", "Authorization: tok\r\n"));
  assert.equal(c.seen.length, 1);
  assert.equal(c.seen[0].method, "GET");
  assert.equal(c.seen[0].path, "/v1/credentials");
  assert.equal(c.seen[0].headers.get("authorization"), "tok");
  assert.match(c.written[0], /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(
    c.written[0],
    /\r\ncontent-length: 25\r\nconnection: keep-alive\r\n\r\nyou asked \/v1\/credentials$/,
  );
  assert.equal(c.ended(), false);
});

test("requests split across chunks, and several in one chunk, are answered in order", () => {
  const c = connection();
  const two = GET("/a") + GET("/b");
  for (const ch of two.slice(0, 10)) c.send(ch);
  c.send(two.slice(10));
  assert.deepEqual(c.seen.map((r) => r.path), ["/a", "/b"]);
  assert.equal(c.written.length, 2);
  assert.match(c.written[1], /you asked \/b$/);
});

test("HEAD gets the headers without the body; Connection: close and HTTP/1.0 close after the answer", () => {
  const head = connection();
  head.send("HEAD /x HTTP/1.1\r\n\r\n");
  assert.match(head.written[0], /content-length: 12\r\nconnection: keep-alive\r\n\r\n$/);
  const close = connection();
  close.send(GET("/x", "Connection: close\r\n"));
  assert.match(close.written[0], /connection: close\r\n/);
  assert.equal(close.ended(), true);
  const old = connection();
  old.send("GET /x HTTP/1.0\r\n\r\n");
  assert.equal(old.ended(), true);
});

test("a request with a body, a second Authorization, or a malformed line is refused and closed", () => {
  for (
    const [request, status, message] of [
      [GET("/x", "Content-Length: 5\r\n") + "hello", 400, "a request body is not accepted"],
      [GET("/x", "Transfer-Encoding: chunked\r\n"), 400, "a request body is not accepted"],
      [
        GET("/x", "Authorization: a\r\nAuthorization: b\r\n"),
        400,
        "duplicate authorization header",
      ],
      ["GET /x\r\n\r\n", 400, "malformed request line"],
      ["GET /x HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed header"],
      ["GET /x HTTP/1.1\r\nnocolon\r\n\r\n", 400, "malformed header"],
      ["get /x HTTP/1.1\r\n\r\n", 400, "malformed request line"],
      // Read otherwise by another parser: a bare LF ends a line for some, a space in a name
      // or a control byte hides a header, a byte above ASCII has no one meaning.
      ["GET /x HTTP/1.1\r\nX-A: a\nAuthorization: b\r\n\r\n", 400, "malformed header"],
      ["GET /x HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400, "malformed header"],
      ["GET /x HTTP/1.1\r\nAuthorization : b\r\n\r\n", 400, "malformed header"],
      ["GET /x HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", 400, "malformed header"],
      ["GET /x HTTP/1.1\r\nX-A: caf\xe9\r\n\r\n", 400, "malformed header"],
      ["GET /caf\xe9 HTTP/1.1\r\n\r\n", 400, "malformed request line"],
      ["GET  /x HTTP/1.1\r\n\r\n", 400, "malformed request line"],
    ] as const
  ) {
    const c = connection();
    c.send(request);
    assert.equal(c.seen.length, 0, request);
    assert.match(c.written[0], new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.match(c.written[0], new RegExp(`${message}\\n$`));
    assert.equal(c.ended(), true);
  }
});

test("headers over maxHeaderBytes are refused with 431, whole or still arriving", () => {
  const whole = connection();
  whole.send(GET("/x", `X-Pad: ${"a".repeat(2000)}\r\n`));
  assert.match(whole.written[0], /^HTTP\/1\.1 431 /);
  assert.equal(whole.ended(), true);
  const arriving = connection();
  arriving.send(`GET /x HTTP/1.1\r\nX-Pad: ${"a".repeat(1100)}`);
  assert.match(arriving.written[0], /^HTTP\/1\.1 431 /);
});

test("a request still arriving at its header timeout gets 408 and is closed; a complete one is not", () => {
  const c = connection();
  c.send("GET /x HTTP/1.1\r\nHo");
  c.conn.expireIfDue(Date.now() + 4000);
  assert.equal(c.ended(), false, "before the timeout");
  c.conn.expireIfDue(Date.now() + 5001);
  assert.match(c.written[0], /^HTTP\/1\.1 408 /);
  assert.equal(c.ended(), true);
  const done = connection();
  done.send(GET("/x"));
  done.conn.expireIfDue(Date.now() + 5001);
  assert.equal(done.ended(), false, "a kept-alive connection waits its idle timeout");
  done.conn.expireIfDue(Date.now() + 60_001);
  assert.equal(done.ended(), true);
  assert.equal(done.written.length, 1, "an idle connection is closed without an answer");
});

test("a handler that throws is a 500, and the connection goes on", () => {
  const socket = recordingSocket();
  const written = socket.written;
  const conn = new Connection(socket, () => {
    throw new Error("bug");
  }, LIMITS);
  conn.receive(new TextEncoder().encode(GET("/x")));
  assert.match(written[0], /^HTTP\/1\.1 500 /);
  assert.equal(text(503, "x").body, "x\n");
});

test("a stopping server closes an idle connection at once, and a busy one once it is answered", () => {
  const idle = connection();
  idle.send(GET("/first"));
  idle.conn.finishAndClose();
  assert.equal(idle.ended(), true);
  assert.equal(idle.conn.isClosed, true);

  const busy = connection();
  busy.send("GET /arriving HTTP/1.1\r\nHost: x\r\n");
  busy.conn.finishAndClose();
  assert.equal(busy.ended(), false, "the request arriving may finish");
  busy.send("\r\n");
  assert.equal(busy.seen.length, 1);
  assert.match(busy.written[0], /^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n/);
  assert.equal(busy.ended(), true);
});

test("a cacheable answer is built into its kept-alive bytes once; HEAD and closing answers from it", () => {
  const socket = recordingSocket();
  const sent = socket.sent;
  const answer = cacheable({
    status: 200,
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const conn = new Connection(socket, () => answer, LIMITS);
  const send = (text: string) => conn.receive(new TextEncoder().encode(text));
  send(
    GET("/a") + GET("/b") + `HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n` +
      GET("/d", "Connection: close\r\n"),
  );
  assert.equal(sent.length, 4);
  assert.equal(sent[0], sent[1], "the same bytes, not built again");
  assert.match(new TextDecoder().decode(sent[1]), /connection: keep-alive\r\n\r\n\{\}$/);
  assert.match(
    new TextDecoder().decode(sent[2]),
    /content-length: 2\r\nconnection: keep-alive\r\n\r\n$/,
  );
  assert.match(new TextDecoder().decode(sent[3]), /connection: close\r\n\r\n\{\}$/);
});

test("one request at a time: while an answer waits unsent, nothing more is parsed and reading stops", () => {
  const c = connection();
  c.socket.stalled = true;
  c.send(GET("/a") + GET("/b") + GET("/c"));
  assert.deepEqual(c.seen.map((r) => r.path), ["/a"]);
  assert.equal(c.socket.paused, true);
  assert.equal(c.conn.idle, false, "busy while its answer waits");
  c.send(GET("/d"));
  assert.equal(c.seen.length, 1, "requests arriving meanwhile wait too");
  c.socket.stalled = false;
  c.conn.drained();
  assert.deepEqual(c.seen.map((r) => r.path), ["/a", "/b", "/c", "/d"]);
  assert.equal(c.socket.paused, false);
  assert.equal(c.conn.idle, true);
  assert.equal(c.written.length, 4);
});

test("requests held behind an unsent answer are bounded: past maxQueuedBytes the connection is dropped", () => {
  const c = connection();
  c.socket.stalled = true;
  c.send(GET("/a"));
  const one = GET("/pipelined");
  const fits = Math.floor(LIMITS.maxQueuedBytes / one.length);
  c.send(one.repeat(fits));
  assert.equal(c.socket.destroyed, false, "within the bound");
  c.send(one);
  assert.equal(c.socket.destroyed, true);
  assert.equal(c.conn.isClosed, true);
  assert.equal(c.seen.length, 1);
});

test("output the kernel left over beyond maxQueuedBytes drops the connection", () => {
  const c = connection();
  c.socket.stalled = true;
  c.send(GET("/a"));
  c.conn.queued(LIMITS.maxQueuedBytes);
  assert.equal(c.socket.destroyed, false);
  c.conn.queued(LIMITS.maxQueuedBytes + 1);
  assert.equal(c.socket.destroyed, true);
});

test("an answer not taken within the write timeout drops the connection; the other timeouts wait", () => {
  const c = connection();
  c.socket.stalled = true;
  const at = Date.now();
  c.send(GET("/a") + "GET /b HTTP/1.1\r\n");
  c.conn.expireIfDue(at + LIMITS.headerTimeoutMs + 1);
  assert.equal(c.socket.destroyed, false, "no header timeout while the answer before waits");
  assert.equal(c.written.length, 1, "and no 408");
  c.conn.expireIfDue(at + LIMITS.writeTimeoutMs + 1000);
  assert.equal(c.socket.destroyed, true);

  // The last answer of a connection (Connection: close) is held to the same deadline.
  const last = connection();
  last.socket.stalled = true;
  last.send(GET("/a", "Connection: close\r\n"));
  assert.equal(last.socket.ended, true);
  last.conn.expireIfDue(Date.now() + LIMITS.writeTimeoutMs + 1000);
  assert.equal(last.socket.destroyed, true);

  // Once taken, the deadline is gone: the idle timeout applies again.
  const taken = connection();
  taken.socket.stalled = true;
  taken.send(GET("/a"));
  taken.conn.drained();
  taken.conn.expireIfDue(Date.now() + LIMITS.writeTimeoutMs + 1000);
  assert.equal(taken.socket.destroyed, false);
  assert.equal(taken.socket.ended, false);
});

test("idle means no request in progress: since when is known, for the connection cap", () => {
  const c = connection();
  assert.equal(c.conn.idle, true);
  const openedAt = c.conn.since;
  c.send("GET /a HTTP/1.1\r\n");
  assert.equal(c.conn.idle, false, "a request arriving");
  assert.ok(c.conn.since >= openedAt);
  c.send("\r\n");
  assert.equal(c.conn.idle, true, "answered");
  c.conn.close();
  assert.equal(c.conn.idle, false, "a closed connection is not idle");
});

test("a stopping server lets an answer waiting to be taken go out, then closes", () => {
  const c = connection();
  c.socket.stalled = true;
  c.send(GET("/a"));
  c.conn.finishAndClose();
  assert.equal(c.socket.ended, false);
  c.conn.drained();
  assert.equal(c.socket.ended, true);
});

test("an answer that comes later: reading pauses, pipelined requests wait, then go on in order", async () => {
  const seen: string[] = [];
  const pending: ((r: HttpResponse) => void)[] = [];
  const socket = recordingSocket();
  const conn = new Connection(
    socket,
    (request) => {
      seen.push(request.path);
      return new Promise<HttpResponse>((resolve) => pending.push(resolve));
    },
    LIMITS,
    "10.0.0.7",
  );
  conn.receive(new TextEncoder().encode(GET("/a") + GET("/b")));
  assert.deepEqual(seen, ["/a"], "one request at a time");
  assert.equal(socket.paused, true);
  assert.equal(conn.idle, false);
  conn.expireIfDue(Date.now() + LIMITS.idleTimeoutMs + 1);
  assert.equal(socket.ended || socket.destroyed, false, "no timeout of its own while answering");
  pending.shift()!(text(200, "first"));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(seen, ["/a", "/b"]);
  pending.shift()!(text(200, "second"));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(socket.paused, false);
  assert.equal(conn.idle, true);
  assert.match(socket.written[0], /first\n$/);
  assert.match(socket.written[1], /second\n$/);
});

test("an answer that fails later is a 500; one that comes after the connection closed is dropped", async () => {
  const socket = recordingSocket();
  let reject!: (e: Error) => void;
  const conn = new Connection(socket, () => new Promise((_, r) => (reject = r)), LIMITS);
  conn.receive(new TextEncoder().encode(GET("/a")));
  reject(new Error("with a secret inside"));
  await new Promise((r) => setTimeout(r, 0));
  assert.match(socket.written[0], /^HTTP\/1\.1 500 [^]*internal error\n$/);

  const gone = recordingSocket();
  let resolve!: (r: HttpResponse) => void;
  const closed = new Connection(gone, () => new Promise((r) => (resolve = r)), LIMITS);
  closed.receive(new TextEncoder().encode(GET("/a")));
  closed.destroy();
  resolve(text(200, "late"));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(gone.written, []);
});

test("the client's address reaches the handler; optional whitespace is space and tab only", () => {
  const seen: HttpRequest[] = [];
  const socket = recordingSocket();
  const conn = new Connection(socket, echo(seen), LIMITS, "10.0.0.7");
  conn.receive(new TextEncoder().encode(GET("/a", "Authorization: \t tok \t\r\n")));
  assert.equal(seen[0].remote, "10.0.0.7");
  assert.equal(seen[0].headers.get("authorization"), "tok");
  // Header bytes are read one character each: 0xA0, a no-break space, is not whitespace to be
  // trimmed but a byte outside ASCII, refused.
  const nbsp = new Connection(recordingSocket(), echo(seen), LIMITS);
  const request = GET("/a", "Authorization: \u00a0tok\u00a0\r\n");
  nbsp.receive(Uint8Array.from(request, (c) => c.charCodeAt(0)));
  assert.equal(seen.length, 1, "a no-break space around a value is refused, not trimmed");
});
