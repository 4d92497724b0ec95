// src/serve/http1.ts's parser against an independent one: Node's llhttp, through a node:http
// server in a Node process (Bun's and Deno's node:http do not use llhttp). fast-check builds
// request heads, well-formed and not (odd methods, targets and versions, header names and
// values with spaces, control bytes, bare CR or LF, high bytes, folded lines, duplicates); each
// is sent to both. Whatever llhttp refuses, epicac refuses; whatever both accept, they read as
// the same method, path and headers; and epicac refuses what llhttp accepts only for its own
// documented rules (an ASCII head, no body, one Authorization, Host and Content-Length, HTTP/1.0
// or 1.1, one space between the request line's parts).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import fc from "fast-check";
import { Connection, type HttpRequest } from "../../src/serve/http1.ts";

/**
 * A node:http server answering each request with how llhttp read it, or why it refused it, in
 * a header (a HEAD answer has no body), base64 JSON.
 */
const LLHTTP_SERVER = `
const http = require("node:http");
const header = (read) => Buffer.from(JSON.stringify(read)).toString("base64");
const server = http.createServer({ requireHostHeader: false }, (req, res) => {
  const { method, url, httpVersion, rawHeaders } = req;
  res.writeHead(200, { "x-read": header({ method, url, httpVersion, rawHeaders }) });
  res.end();
});
server.on("clientError", (error, socket) => {
  socket.end("HTTP/1.1 400 Bad Request\\r\\nx-read: " + header({ error: error.code }) + "\\r\\n\\r\\n");
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

let node: ChildProcess;
let port: number;

before(async () => {
  node = spawn("node", ["-e", LLHTTP_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  port = await new Promise<number>((resolve) =>
    node.stdout!.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim())))
  );
});

after(() => {
  node?.kill();
});

type Verdict =
  | {
    accepted: true;
    method: string;
    path: string;
    headers: [string, string][];
    /** As llhttp read it ("1.1"); epicac's verdicts have none. */
    version?: string;
  }
  | { accepted: false; why: string };

/** llhttp's verdict on a request head: its first answer, whole. */
function llhttp(head: Uint8Array): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let bytes: Uint8Array = new Uint8Array(0);
    const verdict = (): Verdict | undefined => {
      const answer = new TextDecoder("latin1").decode(bytes);
      const read = /\r\nx-read: ([A-Za-z0-9+/=]+)\r\n/.exec(answer)?.[1];
      if (!answer.includes("\r\n\r\n") || !read) return undefined;
      const body = JSON.parse(
        new TextDecoder().decode(Uint8Array.from(atob(read), (c) => c.charCodeAt(0))),
      );
      if (!answer.startsWith("HTTP/1.1 200 ")) return { accepted: false, why: body.error };
      const headers: [string, string][] = [];
      for (let i = 0; i < body.rawHeaders.length; i += 2) {
        headers.push([body.rawHeaders[i].toLowerCase(), body.rawHeaders[i + 1]]);
      }
      return {
        accepted: true,
        method: body.method,
        path: body.url,
        headers,
        version: body.httpVersion,
      };
    };
    // A head llhttp still waits on: the end of the stream tells it there is no more.
    const timer = setTimeout(() => socket.end(), 1000);
    const done = (result: Verdict) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.on("data", (d: Uint8Array) => {
      bytes = concat([bytes, d]);
      const result = verdict();
      if (result) done(result);
    });
    socket.on("error", reject);
    socket.on("close", () => done(verdict() ?? { accepted: false, why: "closed" }));
    socket.write(head);
  });
}

/** epicac's verdict on the same bytes. */
function epicac(head: Uint8Array): Verdict {
  const seen: HttpRequest[] = [];
  const written: string[] = [];
  const connection = new Connection(
    {
      write: (bytes) => (written.push(new TextDecoder().decode(bytes)), true),
      pause: () => {},
      resume: () => {},
      end: () => {},
      destroy: () => {},
    },
    (request) => {
      seen.push(request);
      return { status: 200, headers: {}, body: "" };
    },
    {
      headerTimeoutMs: 5000,
      maxHeaderBytes: 8192,
      idleTimeoutMs: 60_000,
      maxQueuedBytes: 65536,
      writeTimeoutMs: 10_000,
    },
  );
  connection.receive(head);
  if (seen.length === 0) {
    return { accepted: false, why: (written[0] ?? "no answer").split("\r\n\r\n")[1]?.trim() };
  }
  const { method, path, headers } = seen[0];
  return { accepted: true, method, path, headers: [...headers] };
}

/** Headers as llhttp reads them, folded as epicac folds them: duplicates joined with ", ". */
function joined(headers: [string, string][]): [string, string][] {
  const map = new Map<string, string>();
  for (const [name, value] of headers) {
    map.set(name, map.has(name) ? `${map.get(name)}, ${value}` : value);
  }
  return [...map];
}

/**
 * Why epicac may refuse a request llhttp accepts: its own rules (http1.ts), those that apply
 * to this request. (When several do, epicac names the first it meets.)
 */
function reasonsByDesign(read: Extract<Verdict, { accepted: true }>, text: string): Set<string> {
  const reasons = new Set<string>();
  const count = (name: string) => read.headers.filter(([n]) => n === name).length;
  const valueOf = (name: string) => read.headers.find(([n]) => n === name)?.[1];
  const firstLine = text.slice(0, text.indexOf("\r\n"));
  // The head is ASCII.
  if (/[^\0-\x7f]/.test(firstLine)) reasons.add("malformed request line");
  if (/[^\0-\x7f]/.test(text.slice(firstLine.length))) reasons.add("malformed header");
  // METHOD SP TARGET SP HTTP/1.x, one space each, a method in capitals, a visible target.
  if (
    firstLine !== `${read.method} ${read.path} HTTP/${read.version}` ||
    !/^[A-Z]+$/.test(read.method) || !/^[!-~]+$/.test(read.path) ||
    !["1.0", "1.1"].includes(read.version!)
  ) reasons.add("malformed request line");
  if (count("transfer-encoding") > 0 || (valueOf("content-length") ?? "0") !== "0") {
    reasons.add("a request body is not accepted");
  }
  for (const name of ["authorization", "host", "content-length"]) {
    if (count(name) > 1) reasons.add(`duplicate ${name} header`);
  }
  return reasons;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}

// The parts of a request head: each well-formed most of the time, so that about half the heads
// are valid, and the rest break in one or two places.
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);
/** Mostly `usual`, sometimes `unusual`. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...unusual: fc.Arbitrary<T>[]) =>
  fc.oneof(
    { weight: 12 * unusual.length, arbitrary: usual },
    ...unusual.map((arbitrary) => ({ weight: 1, arbitrary })),
  );
const odd = oneOf(
  "",
  " ",
  "\t",
  "\r",
  "\n",
  "\0",
  "\x7f",
  "\x80",
  "\xff",
  ":",
  "  ",
  "\r\n ",
  "\v",
);
const text = (chars: fc.Arbitrary<string>) =>
  fc.array(chars, { maxLength: 12 }).map((a) => a.join(""));
const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const spaced = fc.oneof(visible, oneOf(" ", "\t"));
const withOdd = (base: fc.Arbitrary<string>) =>
  fc.tuple(base, odd, base).map(([a, o, b]) => a + o + b);
const method = mostly(
  oneOf("GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"),
  oneOf("get", "Get", "GET1", "G-T", ""),
  withOdd(oneOf("GET", "POST")),
);
const target = mostly(
  text(visible).map((p) => `/${p}`),
  withOdd(text(visible)).map((p) => `/${p}`),
  oneOf("*", "http://x/y", "", "//", "/%00", "/?a=b#c"),
);
const version = mostly(
  oneOf("HTTP/1.1", "HTTP/1.1", "HTTP/1.0"),
  oneOf("HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1", "HTTP/1.1 ", "HTTP/0.9"),
);
const space = mostly(oneOf(" "), oneOf("  ", "\t", " \t"));
const name = mostly(
  oneOf("Host", "Authorization", "Content-Length", "Transfer-Encoding", "Connection", "X-A", "x-a"),
  text(visible),
  withOdd(oneOf("X-A", "Host", "Authorization")),
);
const colon = mostly(oneOf(": ", ": ", ":"), oneOf(":  ", " :", ":\t", "::", "", " "));
const value = mostly(
  text(visible),
  text(spaced),
  withOdd(text(spaced)),
  oneOf("0", "00", "5", "chunked", "close", "keep-alive", " 0 ", "0, 0"),
);
const lineEnd = mostly(oneOf("\r\n"), oneOf("\n", "\r", "\r\r\n", "\n\r"));
const head = fc.record({
  method,
  target,
  version,
  space,
  headers: fc.array(fc.tuple(name, colon, value, lineEnd), { maxLength: 6 }),
  firstEnd: lineEnd,
}).map((h) => {
  const text = `${h.method}${h.space}${h.target} ${h.version}${h.firstEnd}` +
    h.headers.map(([n, c, v, end]) => `${n}${c}${v}${end}`).join("") + "\r\n\r\n";
  // One head: what follows its end would be another request, to both.
  return text.slice(0, text.indexOf("\r\n\r\n") + 4);
});

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

test("epicac's parser agrees with llhttp, or is stricter for its own reasons only", async () => {
  await fc.assert(
    fc.asyncProperty(head, async (text) => {
      const bytes = latin1(text);
      const theirs = await llhttp(bytes);
      const ours = epicac(bytes);
      // Bytes above ASCII escaped, so that a failure shows them.
      const shown = JSON.stringify(text).replace(
        /[^\0-\x7f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16)}`,
      );
      if (!theirs.accepted) {
        // A method llhttp does not know is refused by both: 400 there, 405 here (only GET and
        // HEAD are served, whatever the method's name).
        const refusedAnyway = ours.accepted && theirs.why === "HPE_INVALID_METHOD" &&
          ours.method !== "GET" && ours.method !== "HEAD";
        assert.ok(
          !ours.accepted || refusedAnyway,
          `llhttp refused ${shown} (${theirs.why}); epicac took it`,
        );
      } else if (ours.accepted) {
        assert.equal(ours.method, theirs.method, shown);
        assert.equal(ours.path, theirs.path, shown);
        assert.deepEqual(ours.headers, joined(theirs.headers), shown);
      } else {
        assert.ok(
          reasonsByDesign(theirs, text).has(ours.why),
          `epicac refused ${shown} (${ours.why})`,
        );
      }
    }),
    { numRuns: 1000 },
  );
});
